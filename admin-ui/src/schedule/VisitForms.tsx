// A visit's check-in forms: each one's title, where it stands in words, and the questions the
// patient was shown with their answers (a draft's marked as such, since the patient may still
// change them). Questions hidden by an earlier answer are left out, with how many; a shown
// question without an answer says so. Reading it is on the chart's audit trail (the API's
// `appointmentForms`); forms withdrawn with a cancelled visit are not listed.
import { useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import type { FormRequestStatus } from "@portico/client/gql/graphql";
import { EmptyState, ErrorState, LoadingState } from "../components/PageState";
import { formatDate, formatDateTime } from "../components/format";
import { questionsAnswered } from "./formAnswers";

const VisitFormsQuery = graphql(`
  query VisitForms($appointmentId: ID!) {
    appointmentForms(appointmentId: $appointmentId) {
      id
      status
      dueOn
      submittedAt
      form {
        id
        title
        version
        items {
          linkId
          text
          type
          enableWhen {
            question
            operator
            value
          }
          enableBehavior
        }
      }
      answers {
        linkId
        value
      }
    }
  }
`);

function statusWords(status: FormRequestStatus, submittedAt: string | null | undefined, zone: string): string {
  switch (status) {
    case "PENDING":
      return "Not started";
    case "IN_PROGRESS":
      return "Draft saved, not sent yet";
    case "COMPLETED":
      return submittedAt ? `Submitted on ${formatDateTime(submittedAt, zone)}` : "Submitted";
    case "WITHDRAWN":
      return "Withdrawn: the visit was cancelled before it was sent";
  }
}

const TAG: Record<FormRequestStatus, string> = {
  PENDING: "tag tag-muted",
  IN_PROGRESS: "tag",
  COMPLETED: "tag tag-ok",
  WITHDRAWN: "tag tag-muted",
};

const TAG_WORDS: Record<FormRequestStatus, string> = {
  PENDING: "Not started",
  IN_PROGRESS: "Draft",
  COMPLETED: "Submitted",
  WITHDRAWN: "Withdrawn",
};

export function VisitForms({ appointmentId, zone, visitStatus }: { appointmentId: string; zone: string; visitStatus: string }) {
  const [{ data, error }, reload] = useQuery({ query: VisitFormsQuery, variables: { appointmentId } });
  return (
    <section aria-labelledby="visit-forms">
      <h2 id="visit-forms">Check-in forms</h2>
      {error ? (
        <ErrorState problem={problemOf(error)} retry={() => reload({ requestPolicy: "network-only" })} />
      ) : !data ? (
        <LoadingState label="Loading the visit's forms" rows={3} />
      ) : data.appointmentForms.length === 0 && visitStatus === "CANCELLED" ? (
        <EmptyState title="This visit has no forms to show.">Forms the patient had not sent when the visit was cancelled are withdrawn.</EmptyState>
      ) : data.appointmentForms.length === 0 ? (
        <EmptyState title="This visit has no forms.">
          A visit comes with forms when its visit type asks for them; forms sent on their own are on the patient's chart.
        </EmptyState>
      ) : (
        data.appointmentForms.map((r) => {
          const { shown, hidden } = questionsAnswered(r.form.items, r.answers);
          const answered = r.status === "COMPLETED" || r.status === "IN_PROGRESS";
          return (
            <article key={r.id} className="visit-form" aria-labelledby={`form-${r.id}`}>
              <h3 id={`form-${r.id}`}>
                {r.form.title} <span className={TAG[r.status]}>{TAG_WORDS[r.status]}</span>
              </h3>
              <p className="meta">
                {statusWords(r.status, r.submittedAt, zone)}
                {r.dueOn && r.status !== "COMPLETED" && <> · due by {formatDate(r.dueOn)}</>}
                {" · "}version {r.form.version}
              </p>
              {r.status === "IN_PROGRESS" && <p className="hint draft-note">The patient may still change these answers before sending them.</p>}
              {answered && (
                <dl className="form-answers">
                  {shown.map(({ item, answer }) => (
                    <div key={item.linkId}>
                      <dt>{item.text}</dt>
                      {answer === null ? (
                        <dd className="muted">{r.status === "COMPLETED" ? "Not answered" : "Not answered yet"}</dd>
                      ) : (
                        <dd className="answer">{answer}</dd>
                      )}
                    </div>
                  ))}
                </dl>
              )}
              {answered && hidden > 0 && (
                <p className="hint hidden-note">
                  {hidden === 1
                    ? "1 question was not asked because of an earlier answer."
                    : `${hidden} questions were not asked because of earlier answers.`}
                </p>
              )}
            </article>
          );
        })
      )}
    </section>
  );
}
