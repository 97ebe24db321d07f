// A one-page summary to print: who, allergies, medicines, problems, vaccines, contacts, each
// test's latest result and the latest visit notes. Printed black on white with no navigation
// (records.css); the "Print" button opens the browser's print dialog.
import { useQuery } from "urql";
import { graphql } from "@portico/client";
import { usePortal } from "../app/portal";
import { useBrand } from "../app/brandContext";
import { useFormat, useT } from "../i18n/I18n";
import { Allowed, BackToRecords, Waiting } from "./common";
import { EmergencySections } from "./EmergencyPage";
import { asFlag, useResultWords } from "./results";

const SummaryQuery = graphql(`
  query PortalSummary($patientId: ID!) {
    patient(id: $patientId) {
      id
      givenName
      familyName
      birthDate
      emergencySummary {
        ...EmergencyCard
      }
      resultSeries {
        code
        display
        unit
        rangeLow
        rangeHigh
        rangeText
        points {
          observationId
          at
          value
          valueText
          unit
          flag
          status
          components {
            code
            display
            value
            unit
          }
        }
      }
      visitSummaries(first: 3) {
        nodes {
          id
          reason
          summary
          practitionerName
          startedAt
        }
      }
    }
  }
`);

export default function SummaryPage() {
  const t = useT();
  return (
    <Allowed scopes={["READ"]} title={t("records.summary.title")}>
      <BackToRecords />
      <h1>{t("records.summary.title")}</h1>
      <Summary />
    </Allowed>
  );
}

function Summary() {
  const { chart } = usePortal();
  const brand = useBrand();
  const t = useT();
  const f = useFormat();
  const words = useResultWords();
  const [{ data, error }, reload] = useQuery({ query: SummaryQuery, variables: { patientId: chart.patient.id } });
  if (!data) return <Waiting error={error} retry={() => reload({ requestPolicy: "network-only" })} label={t("records.summary.loading")} lines={10} />;
  const p = data.patient;
  const latest = p.resultSeries
    .map((s) => ({ series: s, point: s.points[s.points.length - 1] }))
    .filter((x): x is { series: (typeof p.resultSeries)[number]; point: NonNullable<(typeof x)["point"]> } => Boolean(x.point))
    .sort((a, b) => b.point.at.localeCompare(a.point.at));
  return (
    <>
      <p className="lead no-print">{t("records.summary.lead")}</p>
      <p className="card-actions no-print">
        <button type="button" className="button" onClick={() => window.print()}>
          {t("records.print")}
        </button>
      </p>
      <div className="summary-sheet">
        <div className="summary-who">
          <p className="emergency-name">
            {p.givenName} {p.familyName}
          </p>
          <p>{t("records.emergency.born", { date: f.calendarDate(p.birthDate) })}</p>
          <p>{t("records.summary.from", { practice: brand.displayName, date: f.date(new Date().toISOString()) })}</p>
        </div>
        <div className="summary-grid">
          <EmergencySections summary={p.emergencySummary} headingLevel={2} />
        </div>
        <section className="emergency-section" aria-labelledby="sum-results">
          <h2 id="sum-results">{t("records.summary.results")}</h2>
          {latest.length === 0 ? (
            <p>{t("records.results.empty")}</p>
          ) : (
            <table className="records-table stacked-table">
              <thead>
                <tr>
                  <th scope="col">{t("records.summary.col.test")}</th>
                  <th scope="col">{t("records.trend.col.date")}</th>
                  <th scope="col">{t("records.trend.col.value")}</th>
                  <th scope="col">{t("records.summary.col.range")}</th>
                </tr>
              </thead>
              <tbody>
                {latest.map(({ series, point }) => {
                  const flag = asFlag(point.flag);
                  return (
                    <tr key={series.code}>
                      <th scope="row">{series.display}</th>
                      <td data-label={t("records.trend.col.date")}>{f.date(point.at)}</td>
                      <td data-label={t("records.trend.col.value")}>
                        {words.value({ ...point, unit: point.unit ?? series.unit })}
                        {flag && flag !== "N" && <strong> ({t(`records.flag.${flag}`)})</strong>}
                      </td>
                      <td data-label={t("records.summary.col.range")}>{words.rangeValue(series, series.unit)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </section>
        <section className="emergency-section" aria-labelledby="sum-visits">
          <h2 id="sum-visits">{t("records.summary.visits")}</h2>
          {p.visitSummaries.nodes.length === 0 ? (
            <p>{t("records.visits.empty")}</p>
          ) : (
            <ul className="em-list">
              {p.visitSummaries.nodes.map((v) => (
                <li key={v.id}>
                  <strong>{f.date(v.startedAt)}</strong>
                  {v.reason && <> — {v.reason}</>}
                  {v.practitionerName && <> — {v.practitionerName}</>}
                  {v.summary && <p className="visit-summary">{v.summary}</p>}
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
    </>
  );
}
