// Test reports (a lab panel, an imaging study), newest first: when, whether final, the care
// team's conclusion, and each result in words.
import { useQuery } from "urql";
import { graphql } from "@portico/client";
import { usePortal } from "../app/portal";
import { useFormat, useT } from "../i18n/I18n";
import { EmptyState } from "../components/PageState";
import { Allowed, BackToRecords, ShowMore, Waiting, useFocusFirst, usePages } from "./common";
import { ResultItem } from "./ResultsPage";

const ReportsQuery = graphql(`
  query PortalReports($patientId: ID!, $first: Int, $after: String) {
    patient(id: $patientId) {
      id
      diagnosticReports(first: $first, after: $after) {
        pageInfo {
          hasNextPage
          endCursor
        }
        nodes {
          id
          display
          status
          conclusion
          effectiveAt
          issuedAt
          results {
            ...ResultRow
          }
        }
      }
    }
  }
`);

export default function ReportsPage() {
  const t = useT();
  const [cursors, more] = usePages();
  return (
    <Allowed scopes={["READ"]} title={t("records.reports.title")}>
      <BackToRecords />
      <h1>{t("records.reports.title")}</h1>
      <p className="lead">{t("records.reports.lead")}</p>
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
  const [{ data, error }, reload] = useQuery({ query: ReportsQuery, variables: { patientId: chart.patient.id, first: 10, after } });
  const first = useFocusFirst<HTMLElement>(after !== null, Boolean(data));
  if (!data) return <Waiting error={error} retry={() => reload({ requestPolicy: "network-only" })} label={t("records.reports.loading")} />;
  const { nodes, pageInfo } = data.patient.diagnosticReports;
  if (nodes.length === 0 && after === null) {
    return (
      <EmptyState>
        <p>{t("records.reports.empty")}</p>
      </EmptyState>
    );
  }
  return (
    <>
      {nodes.map((report, i) => (
        <section key={report.id} className="card report" aria-labelledby={`report-${report.id}`} ref={i === 0 ? first : undefined} tabIndex={i === 0 && after !== null ? -1 : undefined}>
          <h2 id={`report-${report.id}`}>{report.display}</h2>
          <p className="result-date">
            {t("records.reports.taken", { date: f.date(report.effectiveAt) })}
            {report.issuedAt && <> · {t("records.reports.issued", { date: f.date(report.issuedAt) })}</>}
          </p>
          {report.status === "preliminary" && <p className="notice">{t("records.status.preliminary")}</p>}
          {report.conclusion && (
            <div className="report-conclusion">
              <h3>{t("records.reports.conclusion")}</h3>
              <p>{report.conclusion}</p>
            </div>
          )}
          {report.results.length > 0 && (
            <ul className="plain record-list">
              {report.results.map((r) => (
                <li key={r.id}>
                  <ResultItem result={r} heading={3} showDate={false} />
                </li>
              ))}
            </ul>
          )}
        </section>
      ))}
      {last && pageInfo.hasNextPage && pageInfo.endCursor && <ShowMore label={t("records.reports.more")} onClick={() => onMore(pageInfo.endCursor!)} />}
    </>
  );
}
