// Patient feedback for practice admins: the score over the last twelve months (average and
// the promoter / passive / detractor split, with counts) by provider, location and month,
// and the patients' comments, newest first, each of which can be marked handled. Reading
// the comments is audited as a read of each patient's chart.
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import { EmptyState, ErrorState, LoadingState } from "../components/PageState";
import { formatDateTime } from "../components/format";
import { useConsole } from "../app/session";

const ScoresQuery = graphql(`
  query FeedbackScores {
    feedbackScores {
      overall {
        count
        average
        promoters
        passives
        detractors
        nps
      }
      byProvider {
        id
        label
        score {
          count
          average
          promoters
          passives
          detractors
          nps
        }
      }
      byLocation {
        id
        label
        score {
          count
          average
          promoters
          passives
          detractors
          nps
        }
      }
      byMonth {
        label
        score {
          count
          average
          promoters
          passives
          detractors
          nps
        }
      }
      surveysSent
      surveysAnswered
      responseRate
    }
  }
`);

const CommentsQuery = graphql(`
  query FeedbackComments($unhandled: Boolean) {
    feedbackComments(unhandled: $unhandled, first: 100) {
      id
      rating
      comment
      restricted
      source
      createdAt
      handledAt
      handledBy
    }
    staffMembers {
      id
      displayName
    }
  }
`);

const MarkHandled = graphql(`
  mutation MarkFeedbackHandled($input: MarkFeedbackHandledInput!) {
    markFeedbackHandled(input: $input) {
      feedback {
        id
        handledAt
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

type Score = { count: number; average?: number | null; promoters: number; passives: number; detractors: number; nps?: number | null };

const one = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1, minimumFractionDigits: 1 });
const whole = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0, signDisplay: "exceptZero" });
const percent = new Intl.NumberFormat("en-US", { style: "percent", maximumFractionDigits: 0 });

function monthLabel(yearMonth: string): string {
  const [year, month] = yearMonth.split("-").map(Number);
  return new Intl.DateTimeFormat("en-US", { month: "long", year: "numeric", timeZone: "UTC" }).format(new Date(Date.UTC(year!, month! - 1, 1)));
}

export default function FeedbackPage() {
  return (
    <>
      <h1>Patient feedback</h1>
      <Scores />
      <Comments />
    </>
  );
}

function Scores() {
  const [{ data, error, fetching }, reload] = useQuery({ query: ScoresQuery });
  if (error && !data) return <ErrorState problem={problemOf(error)} retry={() => reload({ requestPolicy: "network-only" })} />;
  if (fetching && !data) return <LoadingState label="Loading feedback scores" />;
  if (!data) return null;
  const s = data.feedbackScores;
  return (
    <section aria-labelledby="scores-title">
      <h2 id="scores-title">How likely patients are to recommend you, last 12 months</h2>
      {s.overall.count === 0 ? (
        <EmptyState title="No ratings yet.">Patients get a short survey two hours after a visit is marked completed; their ratings appear here.</EmptyState>
      ) : (
        <>
          <dl className="facts">
              <dt>Average rating (0–10)</dt>
              <dd>{s.overall.average == null ? "—" : one.format(s.overall.average)}</dd>
              <dt>Net promoter score</dt>
              <dd>{s.overall.nps == null ? "—" : whole.format(s.overall.nps)}</dd>
              <dt>Ratings</dt>
              <dd>{s.overall.count}</dd>
              <dt>Surveys answered</dt>
              <dd>
                {s.surveysAnswered} of {s.surveysSent}
                {s.responseRate != null && ` (${percent.format(s.responseRate)})`}
              </dd>
          </dl>
          <ScoreTable caption="By provider" rows={s.byProvider.map((g) => ({ key: g.id ?? g.label, label: g.label, score: g.score }))} />
          <ScoreTable caption="By location" rows={s.byLocation.map((g) => ({ key: g.id ?? g.label, label: g.label, score: g.score }))} />
          <ScoreTable caption="By month" rows={s.byMonth.map((g) => ({ key: g.label, label: monthLabel(g.label), score: g.score }))} />
        </>
      )}
    </section>
  );
}

function ScoreTable({ caption, rows }: { caption: string; rows: { key: string; label: string; score: Score }[] }) {
  if (rows.length === 0) return null;
  return (
    <table className="data-table">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">{caption.replace("By ", "").replace(/^./, (c) => c.toUpperCase())}</th>
          <th scope="col">Ratings</th>
          <th scope="col">Average</th>
          <th scope="col">Promoters (9–10)</th>
          <th scope="col">Passives (7–8)</th>
          <th scope="col">Detractors (0–6)</th>
          <th scope="col">NPS</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.key}>
            <th scope="row">{r.label}</th>
            <td>{r.score.count}</td>
            <td>{r.score.average == null ? "—" : one.format(r.score.average)}</td>
            <td>{r.score.promoters}</td>
            <td>{r.score.passives}</td>
            <td>{r.score.detractors}</td>
            <td>{r.score.nps == null ? "—" : whole.format(r.score.nps)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Comments() {
  const { me } = useConsole();
  const [unhandled, setUnhandled] = useState(true);
  const [{ data, error, fetching }, reload] = useQuery({ query: CommentsQuery, variables: { unhandled } });
  const [marking, mark] = useMutation(MarkHandled);
  const [done, setDone] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const refresh = () => reload({ requestPolicy: "network-only" });
  const names = new Map((data?.staffMembers ?? []).map((m) => [m.id, m.displayName]));

  async function handle(id: string) {
    setFailure(null);
    const result = await mark({ input: { id } });
    if (result.error) return setFailure(problemOf(result.error).sentence);
    setDone("Marked handled.");
    refresh();
  }

  return (
    <section aria-labelledby="comments-title">
      <h2 id="comments-title">Comments, newest first</h2>
      <label className="checkbox">
        <input type="checkbox" checked={unhandled} onChange={(e) => setUnhandled(e.target.checked)} />
        Not yet handled only
      </label>
      {done && (
        <p className="notice" role="status">
          {done}
        </p>
      )}
      {failure && (
        <p className="error-message" role="alert">
          {failure}
        </p>
      )}
      {error && !data && <ErrorState problem={problemOf(error)} retry={refresh} />}
      {fetching && !data && <LoadingState label="Loading comments" />}
      {data && data.feedbackComments.length === 0 && (
        <EmptyState title={unhandled ? "No comments are waiting." : "No comments yet."}>Comments patients leave in a survey or in the portal appear here.</EmptyState>
      )}
      <ul className="cards">
        {data?.feedbackComments.map((c) => (
          <li key={c.id} className="card">
            <p className="meta">
              {formatDateTime(c.createdAt, me.tenant.timeZone)} · {c.source === "survey" ? "after a visit" : "from the portal"}
              {c.rating != null && ` · rated ${c.rating} of 10`}
              {c.handledAt &&
                ` · handled by ${names.get(c.handledBy ?? "") ?? "a former colleague"} on ${formatDateTime(c.handledAt, me.tenant.timeZone)}`}
            </p>
            <p>{c.restricted ? "Restricted chart: break the glass on the chart to read this comment." : c.comment}</p>
            {!c.handledAt && (
              <button type="button" disabled={marking.fetching} onClick={() => void handle(c.id)}>
                Mark handled
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
