// Past visits with what the clinician wrote, newest first.
import { useQuery } from "urql";
import { graphql } from "@portico/client";
import { usePortal } from "../app/portal";
import { useFormat, useT } from "../i18n/I18n";
import { EmptyState } from "../components/PageState";
import { Allowed, BackToRecords, ShowMore, Waiting, useFocusFirst, usePages } from "./common";

const VisitsQuery = graphql(`
  query PortalVisitSummaries($patientId: ID!, $first: Int, $after: String) {
    patient(id: $patientId) {
      id
      visitSummaries(first: $first, after: $after) {
        pageInfo {
          hasNextPage
          endCursor
        }
        nodes {
          id
          status
          class
          reason
          summary
          practitionerName
          startedAt
        }
      }
    }
  }
`);

const CLASSES = ["ambulatory", "virtual", "emergency", "inpatient", "home"] as const;

export default function VisitsPage() {
  const t = useT();
  const f = useFormat();
  const [cursors, more] = usePages();
  const zone = f.zoneNote();
  return (
    <Allowed scopes={["READ"]} title={t("records.visits.title")}>
      <BackToRecords />
      <h1>{t("records.visits.title")}</h1>
      <p className="lead">{t("records.visits.lead")}</p>
      {zone && <p className="hint">{zone}</p>}
      {cursors.map((after, i) => (
        <Chunk key={after ?? "first"} after={after} last={i === cursors.length - 1} onMore={more} />
      ))}
    </Allowed>
  );
}

function Chunk({ after, last, onMore }: { after: string | null; last: boolean; onMore: (cursor: string) => void }) {
  const { chart } = usePortal();
  const t = useT();
  const f = useFormat();
  const [{ data, error }, reload] = useQuery({ query: VisitsQuery, variables: { patientId: chart.patient.id, first: 10, after } });
  const first = useFocusFirst<HTMLElement>(after !== null, Boolean(data));
  if (!data) return <Waiting error={error} retry={() => reload({ requestPolicy: "network-only" })} label={t("records.visits.loading")} />;
  const { nodes, pageInfo } = data.patient.visitSummaries;
  if (nodes.length === 0 && after === null) {
    return (
      <EmptyState>
        <p>{t("records.visits.empty")}</p>
      </EmptyState>
    );
  }
  return (
    <>
      {nodes.map((v, i) => {
        const kind = (CLASSES as readonly string[]).includes(v.class) ? (v.class as (typeof CLASSES)[number]) : null;
        return (
          <section key={v.id} className="card visit" aria-labelledby={`visit-${v.id}`} ref={i === 0 ? first : undefined} tabIndex={i === 0 && after !== null ? -1 : undefined}>
            <h2 id={`visit-${v.id}`}>{f.dayWithYear(v.startedAt)}</h2>
            <p className="result-date">
              {v.reason ?? t("records.visits.noReason")}
              {kind && <> · {t(`records.visits.class.${kind}`)}</>}
              {v.practitionerName && <> · {t("records.visits.with", { name: v.practitionerName })}</>}
            </p>
            {v.status === "cancelled" && <p className="hint">{t("records.visits.cancelled")}</p>}
            {v.status === "planned" && <p className="hint">{t("records.visits.planned")}</p>}
            {v.summary ? (
              <>
                <h3>{t("records.visits.summary")}</h3>
                <p className="visit-summary">{v.summary}</p>
              </>
            ) : (
              <p className="hint">{t("records.visits.noSummary")}</p>
            )}
          </section>
        );
      })}
      {last && pageInfo.hasNextPage && pageInfo.endCursor && <ShowMore label={t("records.visits.more")} onClick={() => onMore(pageInfo.endCursor!)} />}
    </>
  );
}
