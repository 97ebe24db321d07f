// The practice's forms (staff read them; practice admins build, change, activate and
// retire them): each form's newest version, its status, and the visit types that ask for
// it.
import { useState } from "react";
import { Link } from "react-router";
import { useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import { EmptyState, ErrorState, LoadingState } from "../components/PageState";
import { formatDateTime } from "../components/format";
import { roleOf, useConsole } from "../app/session";
import { StatusButton } from "./StatusButton";
import { typesAsking, useAttachments } from "./attachments";
import { STATUS_WORDS } from "./words";
import "./forms.css";

const FormsQuery = graphql(`
  query FormsList {
    forms {
      id
      title
      version
      status
      url
      updatedAt
      items {
        linkId
      }
    }
  }
`);

export default function FormsListPage() {
  const { me } = useConsole();
  const admin = roleOf(me) === "practice_admin";
  const [{ data, error, fetching }, reload] = useQuery({ query: FormsQuery });
  const attachments = useAttachments();
  const [notice, setNotice] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const forms = data?.forms ?? [];

  return (
    <>
      <h1>Forms</h1>
      <p>
        Questionnaires patients fill in before a visit: a visit type that asks for a form sends it with every booking, and staff can send an active
        form to a patient from their chart.
      </p>
      {admin && (
        <p>
          <Link to="/forms/new" className="button primary">
            New form
          </Link>
        </p>
      )}
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {problem && (
        <p className="error-text" role="alert">
          {problem}
        </p>
      )}
      {error && !data && <ErrorState problem={problemOf(error)} retry={() => reload({ requestPolicy: "network-only" })} />}
      {fetching && !data && <LoadingState label="Loading forms" rows={3} />}
      {data && forms.length === 0 && (
        <EmptyState title="No forms yet.">
          {admin ? "Start with New form: add its questions, then choose which visit types ask for it." : "A practice admin builds them."}
        </EmptyState>
      )}
      {forms.length > 0 && (
        <table className="data-table">
          <caption className="visually-hidden">The practice's forms, by title</caption>
          <thead>
            <tr>
              <th scope="col">Title</th>
              <th scope="col">Version</th>
              <th scope="col">Status</th>
              <th scope="col">Asked when booking</th>
              <th scope="col">Changed</th>
              {admin && (
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {forms.map((f) => {
              const asking = typesAsking(attachments, f.url);
              return (
                <tr key={f.id}>
                  <th scope="row">
                    {admin ? <Link to={`/forms/${encodeURIComponent(f.id)}`}>{f.title}</Link> : f.title}
                    <div className="muted">
                      {f.items.length} {f.items.length === 1 ? "question" : "questions"}
                    </div>
                  </th>
                  <td>{f.version}</td>
                  <td>
                    <span className={`tag status-${f.status.toLowerCase()}`}>{STATUS_WORDS[f.status]}</span>
                  </td>
                  <td>
                    {!attachments.byType ? (
                      <span className="muted">{attachments.problem ? "Could not be read" : "Loading…"}</span>
                    ) : asking.length === 0 ? (
                      <span className="muted">No visit type</span>
                    ) : (
                      asking.map((t) => t.name).join(", ")
                    )}
                  </td>
                  <td>{formatDateTime(f.updatedAt, me.tenant.timeZone)}</td>
                  {admin && (
                    <td>
                      <div className="row-actions">
                        <Link to={`/forms/${encodeURIComponent(f.id)}`} className="button small" aria-label={`Change ${f.title}`}>
                          Change
                        </Link>
                        <StatusButton
                          form={f}
                          onDone={(r) => {
                            setNotice(r.notice ?? null);
                            setProblem(r.problem ?? null);
                          }}
                        />
                      </div>
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </>
  );
}
