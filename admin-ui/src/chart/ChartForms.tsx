// The chart's forms: each form asked of the patient, where it stands, and for a sent one its
// questions with the patient's answers (read only). Reading it is on the chart's audit
// trail. Staff can send an active form on its own from here.
import { useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import { EmptyState, ErrorState, LoadingState } from "../components/PageState";
import { formatDate, formatDateTime } from "../components/format";
import { SendForm } from "../forms/SendForm";

const ChartFormsQuery = graphql(`
  query ChartForms($patientId: ID!) {
    formRequests(patientId: $patientId) {
      id
      status
      dueOn
      submittedAt
      appointmentId
      form {
        id
        title
        version
        items {
          linkId
          text
          type
        }
      }
      answers {
        linkId
        value
      }
    }
  }
`);

const STATUS_WORDS: Record<string, string> = {
  PENDING: "Not started",
  IN_PROGRESS: "Started, not sent",
  COMPLETED: "Sent",
  WITHDRAWN: "Withdrawn",
};

function answerWords(type: string, value: string): string {
  if (type === "BOOLEAN") return value === "true" ? "Yes" : "No";
  return value;
}

export function ChartForms({ patientId, zone }: { patientId: string; zone: string }) {
  const [{ data, error }, reload] = useQuery({ query: ChartFormsQuery, variables: { patientId } });
  return (
    <section aria-labelledby="forms-title" className="chart-section">
      <h2 id="forms-title">Forms</h2>
      {error ? (
        <ErrorState problem={problemOf(error)} retry={() => reload({ requestPolicy: "network-only" })} />
      ) : !data ? (
        <LoadingState label="Loading forms" />
      ) : data.formRequests.length === 0 ? (
        <EmptyState title="No forms asked of this patient." />
      ) : (
        data.formRequests.map((r) => (
          <article key={r.id} className="chart-form" aria-labelledby={`form-${r.id}`}>
            <h3 id={`form-${r.id}`}>
              {r.form.title} <span className="hint">(version {r.form.version})</span>
            </h3>
            <p>
              {STATUS_WORDS[r.status] ?? r.status}
              {r.submittedAt && <> on {formatDateTime(r.submittedAt, zone)}</>}
              {r.appointmentId ? " · with a visit" : ""}
              {r.dueOn && <> · due {formatDate(r.dueOn)}</>}
            </p>
            {r.status === "COMPLETED" && (
              <dl className="form-answers">
                {r.answers.map((a) => {
                  const item = r.form.items.find((i) => i.linkId === a.linkId);
                  return (
                    <div key={a.linkId}>
                      <dt>{item?.text ?? a.linkId}</dt>
                      <dd>{answerWords(item?.type ?? "STRING", a.value)}</dd>
                    </div>
                  );
                })}
              </dl>
            )}
          </article>
        ))
      )}
      <SendForm patientId={patientId} timeZone={zone} onSent={() => reload({ requestPolicy: "network-only" })} />
    </section>
  );
}
