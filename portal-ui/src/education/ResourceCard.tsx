// A resource the care team sent in a message: its title, summary and a way to open it.
import { useT } from "../i18n/I18n";
import { ResourceLink } from "./LearnMore";
import type { Resource } from "./learnMore";
import "./education.css";

export function ResourceCard({ resource }: { resource: Resource & { summary: string } }) {
  const t = useT();
  return (
    <section className="education-card" aria-label={t("education.card")}>
      <p className="hint">{t("education.card")}</p>
      <p>
        <strong>
          <ResourceLink resource={resource} />
        </strong>
      </p>
      <p>{resource.summary}</p>
    </section>
  );
}
