// The feedback score beside the adoption charts: the average rating and how many surveys
// sent in the period were answered, read live (not from the nightly rollups).
import { useQuery } from "urql";
import { graphql } from "@portico/client";

const FiguresQuery = graphql(`
  query AdoptionFeedbackFigures($from: DateTime, $to: DateTime) {
    feedbackScores(from: $from, to: $to) {
      overall {
        count
        average
        nps
      }
      surveysSent
      surveysAnswered
      responseRate
    }
  }
`);

const one = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1, minimumFractionDigits: 1 });
const percent = new Intl.NumberFormat("en-US", { style: "percent", maximumFractionDigits: 0 });

/** The figures for the days `from` to `to` (inclusive, YYYY-MM-DD). */
export function FeedbackFigures({ from, to }: { from: string; to: string }) {
  const end = new Date(Date.parse(`${to}T00:00:00Z`) + 86_400_000).toISOString();
  const [{ data }] = useQuery({ query: FiguresQuery, variables: { from: `${from}T00:00:00Z`, to: end } });
  if (!data) return null;
  const s = data.feedbackScores;
  return (
    <section aria-labelledby="feedback-figures-title">
      <h2 id="feedback-figures-title">Patient feedback in this period</h2>
      <dl className="facts">
        <dt>Average rating (0–10)</dt>
        <dd>{s.overall.average == null ? "No ratings yet" : `${one.format(s.overall.average)} from ${s.overall.count} ratings`}</dd>
        <dt>Surveys answered</dt>
        <dd>
          {s.surveysAnswered} of {s.surveysSent}
          {s.responseRate != null && ` (${percent.format(s.responseRate)})`}
        </dd>
      </dl>
    </section>
  );
}
