// One education resource opened from "Learn more" or a message's card: an article shown
// here, a link offered to open in a new tab. An archived resource is no longer available.
import { useParams } from "react-router";
import { useQuery } from "urql";
import { graphql } from "@portico/client";
import { useT } from "../i18n/I18n";
import { ErrorState, LoadingState } from "../components/PageState";
import { useProblem } from "../app/problem";
import { Markdown } from "./markdown";
import { ResourceLink } from "./LearnMore";
import { BackToRecords } from "../records/common";
import "./education.css";

const ResourceQuery = graphql(`
  query PortalEducationResource($id: ID!) {
    educationResource(id: $id) {
      id
      title
      summary
      kind
      url
      body
      language
    }
  }
`);

export default function ArticlePage() {
  const t = useT();
  const describe = useProblem();
  const { id = "" } = useParams();
  const [{ data, error, fetching }, reload] = useQuery({ query: ResourceQuery, variables: { id } });
  if (fetching && !data) return <LoadingState label={t("education.loading")} />;
  if (!data) {
    const gone = error?.graphQLErrors.some((e) => e.extensions?.code === "NOT_FOUND");
    if (gone) {
      return (
        <>
          <h1>{t("education.goneTitle")}</h1>
          <p>{t("education.gone")}</p>
        </>
      );
    }
    return <ErrorState problem={describe(error)} retry={() => reload({ requestPolicy: "network-only" })} />;
  }
  const r = data.educationResource;
  return (
    <article className="education-article" lang={r.language}>
      <BackToRecords />
      <h1>{r.title}</h1>
      <p className="lead">{r.summary}</p>
      {r.kind === "article" && r.body ? (
        <Markdown source={r.body} />
      ) : (
        <p>
          <ResourceLink resource={r} />
        </p>
      )}
      <p className="education-note">{t("education.note")}</p>
    </article>
  );
}
