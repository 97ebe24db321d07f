// The forms the care team asked for (with a visit, or on their own): those still to fill in
// first, each with a link that opens it; sent ones below. The notices link here.
import { Link, useLocation } from "react-router";
import { useQuery } from "urql";
import { graphql } from "@portico/client";
import { usePortal } from "../app/portal";
import { useFormat, useT } from "../i18n/I18n";
import { EmptyState } from "../components/PageState";
import { BackToRecords, Waiting } from "../records/common";

export const FormRequestsQuery = graphql(`
  query PortalFormRequests($patientId: ID!) {
    formRequests(patientId: $patientId) {
      id
      status
      dueOn
      appointmentId
      form {
        id
        title
      }
    }
  }
`);

export default function FormsPage() {
  const t = useT();
  const format = useFormat();
  const { chart } = usePortal();
  const location = useLocation();
  const done = (location.state as { done?: "saved" | "submitted" } | null)?.done;
  const [{ data, error }, reload] = useQuery({
    query: FormRequestsQuery,
    variables: { patientId: chart.patient.id },
    requestPolicy: "cache-and-network",
  });
  const open = data?.formRequests.filter((r) => r.status === "PENDING" || r.status === "IN_PROGRESS") ?? [];
  const sent = data?.formRequests.filter((r) => r.status === "COMPLETED") ?? [];
  return (
    <>
      <BackToRecords to="/" label={t("records.backHome")} />
      <h1>{t("forms.title")}</h1>
      {done && (
        <p className="notice success-notice" role="status">
          <span aria-hidden="true">✓ </span>
          {t(done === "saved" ? "forms.saved" : "forms.submitted")}
        </p>
      )}
      <p className="lead">{t("forms.lead")}</p>
      {!data ? (
        <Waiting error={error} retry={() => reload({ requestPolicy: "network-only" })} label={t("forms.loading")} />
      ) : open.length === 0 ? (
        <EmptyState>
          <p>{t("forms.empty")}</p>
        </EmptyState>
      ) : (
        <ul className="plain">
          {open.map((r) => (
            <li key={r.id}>
              <h2>
                <Link to={`/forms/${encodeURIComponent(r.id)}`}>
                  {t(r.status === "IN_PROGRESS" ? "forms.continue" : "forms.open", { title: r.form.title })}
                </Link>
              </h2>
              <p>{t(r.status === "IN_PROGRESS" ? "forms.status.inProgress" : "forms.status.pending")}</p>
              {r.appointmentId && <p>{t("forms.forVisit")}</p>}
              {r.dueOn && <p>{t("forms.due", { date: format.calendarDate(r.dueOn) })}</p>}
            </li>
          ))}
        </ul>
      )}
      {sent.length > 0 && (
        <>
          <h2>{t("forms.done")}</h2>
          <ul className="plain">
            {sent.map((r) => (
              <li key={r.id}>
                <p>
                  <strong>{r.form.title}</strong>
                </p>
                <p>{t("forms.status.completed")}</p>
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}
