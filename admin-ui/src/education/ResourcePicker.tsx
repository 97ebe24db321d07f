// Choosing a resource of the library to send with a reply: the active ones, by title.
import { useQuery } from "urql";
import { graphql } from "@portico/client";
import { Field } from "../components/PageState";

const ActiveResources = graphql(`
  query EducationToSend {
    educationResources(first: 100) {
      edges {
        node {
          id
          title
          language
        }
      }
    }
  }
`);

export function ResourcePicker({ value, onChange, error }: { value: string; onChange: (id: string) => void; error?: string | undefined }) {
  const [{ data }] = useQuery({ query: ActiveResources });
  const resources = data?.educationResources.edges.map((e) => e.node) ?? [];
  if (resources.length === 0) return null;
  return (
    <Field name="educationResourceId" label="Send a resource from the library (optional)" hint="The patient sees it as a card they can open. The email or text tells them only that there is a message." error={error}>
      {(p) => (
        <select {...p} value={value} onChange={(e) => onChange(e.target.value)}>
          <option value="">No resource</option>
          {resources.map((r) => (
            <option key={r.id} value={r.id}>
              {r.title} ({r.language === "es" ? "Spanish" : "English"})
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** A resource sent with a message, as both sides of the thread see it. */
export function ResourceCard({ resource }: { resource: { title: string; summary: string; kind: string; url?: string | null } }) {
  return (
    <div className="education-card">
      <p className="muted">Education resource</p>
      <p>
        <strong>{resource.kind === "link" && resource.url ? (
          <a href={resource.url} target="_blank" rel="noopener noreferrer">
            {resource.title}
          </a>
        ) : (
          resource.title
        )}</strong>
      </p>
      <p>{resource.summary}</p>
    </div>
  );
}
