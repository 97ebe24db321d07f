// Home answers "what do I need to do?" (UI.md): the next visits, new results since the last
// visit, unread messages, refills in progress and reminders due, for the chart in view.
import { useEffect } from "react";
import { Link } from "react-router";
import { useQuery } from "urql";
import { graphql } from "@portico/client";
import { usePortal, allows } from "../app/portal";
import { useProblem } from "../app/problem";
import { useFormat, useT } from "../i18n/I18n";
import { ErrorState, LoadingState } from "../components/PageState";

const HomeQuery = graphql(`
  query PortalHome($patientId: ID!) {
    patient(id: $patientId) {
      id
      dashboard {
        nextAppointments {
          id
          start
          provider {
            displayName
          }
          location {
            name
          }
          appointmentType {
            name
          }
        }
        newResults {
          id
          interpretation
        }
        unreadThreads
        reminders {
          kind
          title
          dueOn
          resourceId
          needsVisit
        }
      }
    }
  }
`);

// Forms to fill in: a line at the top, and each next to the visit it came with.
const HomeFormsQuery = graphql(`
  query PortalHomeForms($patientId: ID!) {
    formRequests(patientId: $patientId) {
      id
      status
      appointmentId
      form {
        id
        title
      }
    }
  }
`);

const RefillsQuery = graphql(`
  query PortalHomeRefills($patientId: ID!) {
    refillRequests(patientId: $patientId) {
      id
      status
    }
  }
`);

const IN_PROGRESS = new Set(["requested", "routed"]);
const FLAGGED = new Set(["H", "L", "HH", "LL", "A", "AA"]);

export default function HomePage() {
  const { chart } = usePortal();
  const t = useT();
  const f = useFormat();
  const describe = useProblem();
  const patientId = chart.patient.id;
  const [{ data, error }, reload] = useQuery({ query: HomeQuery, variables: { patientId } });
  const [refills] = useQuery({ query: RefillsQuery, variables: { patientId } });
  const [forms] = useQuery({ query: HomeFormsQuery, variables: { patientId } });
  const self = chart.relationship === "self";
  // A User Timing mark when the content is on screen, for the navigation benchmark
  // (portal-ui/bench/home-timing.bench.ts).
  useEffect(() => {
    if (data) performance.mark("portal:home-content");
  }, [data]);
  const title = self ? t("home.title", { name: chart.patient.givenName }) : t("home.titleProxy", { name: chart.patient.givenName });

  if (!data) {
    return (
      <>
        <h1>{title}</h1>
        {error ? <ErrorState problem={describe(error)} retry={() => reload({ requestPolicy: "network-only" })} /> : <LoadingState label={t("home.loading")} lines={6} />}
      </>
    );
  }
  const d = data.patient.dashboard;
  const flagged = d.newResults.filter((r) => r.interpretation && FLAGGED.has(r.interpretation)).length;
  const inProgress = refills.data?.refillRequests.filter((r) => IN_PROGRESS.has(r.status)).length ?? 0;
  const zone = f.zoneNote();
  const openForms = forms.data?.formRequests.filter((r) => r.status === "PENDING" || r.status === "IN_PROGRESS") ?? [];

  return (
    <>
      <h1>{title}</h1>
      <p className="lead">{t("home.lead")}</p>
      {openForms.length > 0 && (
        <p className="notice">
          <Link to="/forms" className="strong-link">
            {t("forms.home", { count: openForms.length })}
          </Link>
        </p>
      )}
      <div className="cards">
        <section className="card" aria-labelledby="home-visits">
          <h2 id="home-visits">{self ? t("home.visits.title") : t("home.visits.titleProxy", { name: chart.patient.givenName })}</h2>
          {d.nextAppointments.length === 0 ? (
            <p>{t("home.visits.none")}</p>
          ) : (
            <ul className="plain">
              {d.nextAppointments.map((a) => (
                <li key={a.id}>
                  <Link to={`/visits/${encodeURIComponent(a.id)}`} className="strong-link">
                    {f.when(a.start)}
                  </Link>
                  <br />
                  {t("home.visits.with", { type: a.appointmentType?.name ?? "", provider: a.provider?.displayName ?? "" })}
                  {a.location && <> {t("home.visits.at", { location: a.location.name })}</>}
                  {openForms
                    .filter((r) => r.appointmentId === a.id)
                    .map((r) => (
                      <span key={r.id}>
                        <br />
                        <Link to={`/forms/${encodeURIComponent(r.id)}`}>{t("forms.open", { title: r.form.title })}</Link>
                      </span>
                    ))}
                </li>
              ))}
            </ul>
          )}
          {zone && <p className="hint">{zone}</p>}
          <p className="card-actions">
            {allows(chart, "BOOK") && (
              <Link className="button" to="/book">
                {t("home.visits.book")}
              </Link>
            )}
            <Link to="/visits">{t("home.visits.all")}</Link>
          </p>
        </section>
        <section className="card" aria-labelledby="home-results">
          <h2 id="home-results">{t("home.results.title")}</h2>
          <p>{t("home.results.count", { count: d.newResults.length })}</p>
          {flagged > 0 && <p className="flag-text">{t("home.results.flagged", { count: flagged })}</p>}
          {allows(chart, "READ") && (
            <p className="card-actions">
              <Link to="/records/results">{self ? t("home.results.read") : t("home.results.readProxy", { name: chart.patient.givenName })}</Link>
            </p>
          )}
        </section>
        <section className="card" aria-labelledby="home-messages">
          <h2 id="home-messages">{t("home.messages.title")}</h2>
          <p>{t("home.messages.unread", { count: d.unreadThreads })}</p>
          <p className="card-actions">
            <Link to="/messages">{t("home.messages.open")}</Link>
          </p>
        </section>
        <section className="card" aria-labelledby="home-refills">
          <h2 id="home-refills">{t("home.refills.title")}</h2>
          <p>{t("home.refills.count", { count: inProgress })}</p>
          <p className="card-actions">
            <Link to="/refills">{t("home.refills.open")}</Link>
          </p>
        </section>
        <section className="card" aria-labelledby="home-reminders">
          <h2 id="home-reminders">{t("home.reminders.title")}</h2>
          {d.reminders.length === 0 ? (
            <p>{t("home.reminders.none")}</p>
          ) : (
            <ul className="plain">
              {d.reminders.map((r) => (
                <li key={`${r.kind}-${r.resourceId}`}>
                  {r.kind === "IMMUNIZATION_DUE" ? t("home.reminders.immunization", { title: r.title }) : t("home.reminders.renewal", { title: r.title })}
                  {r.dueOn && <> {t("home.reminders.dueOn", { date: f.calendarDate(r.dueOn) })}</>}
                  {r.needsVisit && <> {t("home.reminders.needsVisit")}</>}
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
    </>
  );
}
