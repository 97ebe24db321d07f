// The "Learn more" links beside one record: an article opens in the portal, a link in a new
// tab (without giving the other site a handle on the portal's window).
import { Link } from "react-router";
import { useT } from "../i18n/I18n";
import type { Resource } from "./learnMore";
import "./education.css";

export function ResourceLink({ resource }: { resource: Pick<Resource, "id" | "title" | "kind" | "url"> }) {
  const t = useT();
  if (resource.kind === "link" && resource.url) {
    return (
      <a href={resource.url} target="_blank" rel="noopener noreferrer">
        {resource.title}
        <span className="visually-hidden"> {t("education.newTab")}</span>
      </a>
    );
  }
  return <Link to={`/education/${encodeURIComponent(resource.id)}`}>{resource.title}</Link>;
}

export function LearnMore({ resources }: { resources: Resource[] }) {
  const t = useT();
  if (resources.length === 0) return null;
  return (
    <p className="learn-more">
      <span>{t("education.learnMore")}: </span>
      {resources.map((r, i) => (
        <span key={r.id}>
          {i > 0 && " · "}
          <ResourceLink resource={r} />
        </span>
      ))}
    </p>
  );
}
