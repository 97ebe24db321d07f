// The patient's results, newest first: each test's value and unit, the usual range, the flag
// in words with a shape, and a sentence of what it means; a link to the test's history.
import { Link } from "react-router";
import { useQuery } from "urql";
import { graphql } from "@portico/client";
import type { ResultRowFragment } from "@portico/client/gql/graphql";
import { usePortal } from "../app/portal";
import { useFormat, useT } from "../i18n/I18n";
import { EmptyState } from "../components/PageState";
import { Allowed, BackToRecords, ShowMore, Waiting, useFocusFirst, usePages } from "./common";
import { FlagBadge, asFlag, useResultWords } from "./results";
import { LearnMore } from "../education/LearnMore";
import { useLearnMore, type Code, type Resource } from "../education/learnMore";

const loinc = (code: string): Code => ({ system: "loinc", code });

const ResultsQuery = graphql(`
  query PortalResults($patientId: ID!, $first: Int, $after: String) {
    patient(id: $patientId) {
      id
      results(first: $first, after: $after) {
        pageInfo {
          hasNextPage
          endCursor
        }
        nodes {
          ...ResultRow
        }
      }
    }
  }
`);

// One result as every results list shows it (here and under each report).
graphql(`
  fragment ResultRow on Observation {
    id
    code
    display
    status
    value
    unit
    valueText
    rangeLow
    rangeHigh
    rangeText
    interpretation
    effectiveAt
    components {
      code
      display
      value
      unit
    }
  }
`);

const PAGE = 20;

export type Result = ResultRowFragment;

export default function ResultsPage() {
  const t = useT();
  return (
    <Allowed scopes={["READ"]} title={t("records.results.title")}>
      <BackToRecords />
      <h1>{t("records.results.title")}</h1>
      <p className="lead">{t("records.results.lead")}</p>
      <Pages />
    </Allowed>
  );
}

function Pages() {
  const [cursors, more] = usePages();
  return (
    <>
      {cursors.map((after, i) => (
        <Chunk key={after ?? "first"} after={after} last={i === cursors.length - 1} onMore={more} />
      ))}
    </>
  );
}

function Chunk({ after, last, onMore }: { after: string | null; last: boolean; onMore: (cursor: string) => void }) {
  const { chart } = usePortal();
  const t = useT();
  const [{ data, error }, reload] = useQuery({ query: ResultsQuery, variables: { patientId: chart.patient.id, first: PAGE, after } });
  const first = useFocusFirst<HTMLLIElement>(after !== null, Boolean(data));
  const learnMore = useLearnMore(chart.patient.id, (data?.patient.results.nodes ?? []).map((r) => loinc(r.code)));
  if (!data) return <Waiting error={error} retry={() => reload({ requestPolicy: "network-only" })} label={t("records.results.loading")} />;
  const { nodes, pageInfo } = data.patient.results;
  if (nodes.length === 0 && after === null) {
    return (
      <EmptyState>
        <p>{t("records.results.empty")}</p>
      </EmptyState>
    );
  }
  return (
    <>
      <ul className="plain record-list">
        {nodes.map((r, i) => (
          <li key={r.id} ref={i === 0 ? first : undefined} tabIndex={i === 0 && after !== null ? -1 : undefined}>
            <ResultItem result={r} learnMore={learnMore(loinc(r.code))} />
          </li>
        ))}
      </ul>
      {last && pageInfo.hasNextPage && pageInfo.endCursor && <ShowMore label={t("records.results.more")} onClick={() => onMore(pageInfo.endCursor!)} />}
    </>
  );
}

/** One result in words; `heading` is its level in the page (h2 in the list, h3 in a report). */
export function ResultItem({ result: r, heading = 2, showDate = true, learnMore = [] }: { result: Result; heading?: 2 | 3; showDate?: boolean; learnMore?: Resource[] }) {
  const t = useT();
  const f = useFormat();
  const words = useResultWords();
  const flag = asFlag(r.interpretation);
  const H = heading === 2 ? "h2" : "h3";
  const parts = words.parts(r);
  const status = words.status(r.status);
  return (
    <article className="result" aria-labelledby={`result-${r.id}`}>
      <H id={`result-${r.id}`} className="result-name">
        {r.display}
      </H>
      {showDate && <p className="result-date">{t("records.result.taken", { date: f.date(r.effectiveAt) })}</p>}
      <p className="result-value">
        <span className="value">{words.value(r)}</span>
        {flag && <> <FlagBadge flag={flag} /></>}
      </p>
      {parts && <p className="hint">{parts}</p>}
      {(r.value != null || r.rangeLow != null || r.rangeHigh != null || r.rangeText) && <p className="result-range">{words.range(r)}</p>}
      {flag && <p className="result-meaning">{words.meaning(flag)}</p>}
      {status && <p className="hint">{status}</p>}
      <LearnMore resources={learnMore} />
      {(r.value != null || r.components.length > 0) && (
        <p className="result-link no-print">
          <Link to={{ pathname: "/records/results/history", hash: encodeURIComponent(r.code) }}>{t("records.result.trend", { test: r.display })}</Link>
        </p>
      )}
    </article>
  );
}
