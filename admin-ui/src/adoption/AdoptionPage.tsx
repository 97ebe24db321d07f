// Adoption as charts that answer one question each, by day, week or month, with the previous
// period of the same length for comparison and a table for screen readers. Practice admins
// see their practice; operators see the platform's totals.
import { useMemo, useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import type { AdoptionGranularity } from "@portico/client/gql/graphql";
import { EmptyState, ErrorState, LoadingState } from "../components/PageState";
import { formatDate } from "../components/format";
import { roleOf, useConsole } from "../app/session";
import { AdoptionChart, type Metric } from "./AdoptionChart";
import { FeedbackFigures } from "../feedback/FeedbackFigures";
import { InvitationFunnel } from "./InvitationFunnel";

graphql(`
  fragment AdoptionPointFields on AdoptionPoint {
    start
    days
    patients
    activated
    activationRate
    averageDailyActive
    monthlyActive
    bookings
    onlineBookings
    onlineShare
    noShows
    noShowRate
    remindersSent
    remindersDelivered
    messagesIn
    medianFirstResponseMinutes
    refillsDecided
    medianRefillTurnaroundMinutes
  }
`);

const PracticeAdoption = graphql(`
  query PracticeAdoption($from: NaiveDate!, $to: NaiveDate!, $granularity: AdoptionGranularity) {
    adoptionMetrics(from: $from, to: $to, granularity: $granularity) {
      ...AdoptionPointFields
    }
  }
`);

const PlatformAdoption = graphql(`
  query PlatformAdoptionTotals($from: NaiveDate!, $to: NaiveDate!, $granularity: AdoptionGranularity) {
    platformAdoption(from: $from, to: $to, granularity: $granularity) {
      totals {
        ...AdoptionPointFields
      }
    }
  }
`);

const Recompute = graphql(`
  mutation RecomputeAdoption($from: NaiveDate!, $to: NaiveDate!) {
    recomputeAdoption(from: $from, to: $to) {
      days
      userErrors {
        field
        code
        message
      }
    }
  }
`);

/** The server recomputes at most 92 days at a time. */
const CHUNK_DAYS = 92;

function chunks(from: string, to: string): { from: string; to: string }[] {
  const out: { from: string; to: string }[] = [];
  let start = Date.parse(`${from}T00:00:00Z`);
  const end = Date.parse(`${to}T00:00:00Z`);
  while (start <= end) {
    const stop = Math.min(end, start + (CHUNK_DAYS - 1) * 86_400_000);
    out.push({ from: isoDay(new Date(start)), to: isoDay(new Date(stop)) });
    start = stop + 86_400_000;
  }
  return out;
}

const SPANS: Record<AdoptionGranularity, { days: number; label: string }> = {
  DAY: { days: 30, label: "Last 30 days, by day" },
  WEEK: { days: 12 * 7, label: "Last 12 weeks, by week" },
  MONTH: { days: 365, label: "Last 12 months, by month" },
};

const METRICS: Metric[] = [
  { key: "activationRate", title: "Share of patients who have activated their portal account", kind: "share" },
  { key: "averageDailyActive", title: "Patients using the portal on an average day", kind: "count" },
  { key: "onlineShare", title: "Share of visits booked online", kind: "share" },
  { key: "noShowRate", title: "Share of visits missed without notice (no-shows)", kind: "share" },
  { key: "reminderDelivery", title: "Share of reminders delivered", kind: "share" },
  { key: "medianFirstResponseMinutes", title: "Median time to answer a patient's message (minutes)", kind: "count" },
  { key: "medianRefillTurnaroundMinutes", title: "Median time to decide a refill (minutes)", kind: "count" },
];

function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export default function AdoptionPage() {
  const { me } = useConsole();
  const operator = roleOf(me) === "operator";
  const [granularity, setGranularity] = useState<AdoptionGranularity>("WEEK");
  const range = useMemo(() => {
    const to = new Date();
    const from = new Date(to.getTime() - (SPANS[granularity].days - 1) * 86_400_000);
    const prevTo = new Date(from.getTime() - 86_400_000);
    const prevFrom = new Date(prevTo.getTime() - (SPANS[granularity].days - 1) * 86_400_000);
    return { from: isoDay(from), to: isoDay(to), prevFrom: isoDay(prevFrom), prevTo: isoDay(prevTo) };
  }, [granularity]);
  const vars = { from: range.from, to: range.to, granularity };
  const prevVars = { from: range.prevFrom, to: range.prevTo, granularity };
  const [platformNow] = useQuery({ query: PlatformAdoption, variables: vars, pause: !operator });
  const [platformBefore] = useQuery({ query: PlatformAdoption, variables: prevVars, pause: !operator });
  const [practiceNow, reloadNow] = useQuery({ query: PracticeAdoption, variables: vars, pause: operator });
  const [practiceBefore, reloadBefore] = useQuery({ query: PracticeAdoption, variables: prevVars, pause: operator });
  const current = operator ? platformNow : practiceNow;
  const [, recompute] = useMutation(Recompute);
  const [progress, setProgress] = useState<{ done: number; of: number; error?: string } | null>(null);

  // Long work shows its progress: the previous and the current period, 92 days at a time.
  async function recomputeAll() {
    const parts = [...chunks(range.prevFrom, range.prevTo), ...chunks(range.from, range.to)];
    setProgress({ done: 0, of: parts.length });
    for (const [i, part] of parts.entries()) {
      const r = await recompute(part);
      const failed = r.error ? problemOf(r.error).sentence : r.data?.recomputeAdoption.userErrors[0]?.message;
      if (failed) return setProgress({ done: i, of: parts.length, error: failed });
      setProgress({ done: i + 1, of: parts.length });
    }
    reloadNow({ requestPolicy: "network-only" });
    reloadBefore({ requestPolicy: "network-only" });
  }
  const now = operator ? platformNow.data?.platformAdoption.totals : practiceNow.data?.adoptionMetrics;
  const before = operator ? platformBefore.data?.platformAdoption.totals : practiceBefore.data?.adoptionMetrics;

  return (
    <>
      <h1>{operator ? "Adoption across the platform" : "Adoption"}</h1>
      <div className="filters" role="group" aria-label="Period">
        {(Object.keys(SPANS) as AdoptionGranularity[]).map((g) => (
          <button key={g} type="button" aria-pressed={g === granularity} onClick={() => setGranularity(g)}>
            {g === "DAY" ? "Days" : g === "WEEK" ? "Weeks" : "Months"}
          </button>
        ))}
      </div>
      <p className="meta">
        {SPANS[granularity].label}: {formatDate(range.from)} to {formatDate(range.to)}, compared with {formatDate(range.prevFrom)} to{" "}
        {formatDate(range.prevTo)}.
      </p>
      {!operator && (
        <div className="actions">
          <button type="button" onClick={() => void recomputeAll()} disabled={progress !== null && progress.done < progress.of && !progress.error}>
            Recompute these figures
          </button>
          {progress && (
            <span role="status" className="meta">
              {progress.error
                ? `Stopped: ${progress.error}`
                : progress.done < progress.of
                  ? `Recomputing… ${progress.done} of ${progress.of} parts done`
                  : "Figures recomputed."}{" "}
              <progress max={progress.of} value={progress.done} aria-label="Recomputing" />
            </span>
          )}
        </div>
      )}
      {current.error && !now && <ErrorState problem={problemOf(current.error)} />}
      {current.fetching && !now && <LoadingState label="Loading adoption figures" rows={6} />}
      {now && now.length === 0 && <EmptyState title="No figures yet for this period.">They are computed every night from the day's activity{operator ? "" : "; “Recompute these figures” computes them now"}.</EmptyState>}
      {!operator && <FeedbackFigures from={range.from} to={range.to} />}
      {!operator && <InvitationFunnel from={range.from} to={range.to} />}
      {now && now.length > 0 && (
        <div className="charts">
          {METRICS.map((metric) => (
            <AdoptionChart key={metric.key} metric={metric} points={now} previous={before ?? []} />
          ))}
        </div>
      )}
    </>
  );
}
