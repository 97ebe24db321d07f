// Adoption as charts that answer one question each, by day, week or month, with the previous
// period of the same length for comparison and a table for screen readers. Practice admins
// see their practice; operators see the platform's totals.
import { useMemo, useState } from "react";
import { useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import type { AdoptionGranularity } from "@portico/client/gql/graphql";
import { EmptyState, ErrorState, LoadingState } from "../components/PageState";
import { formatDate } from "../components/format";
import { roleOf, useConsole } from "../app/session";
import { AdoptionChart, type Metric } from "./AdoptionChart";

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
  const [practiceNow] = useQuery({ query: PracticeAdoption, variables: vars, pause: operator });
  const [practiceBefore] = useQuery({ query: PracticeAdoption, variables: prevVars, pause: operator });
  const current = operator ? platformNow : practiceNow;
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
      {current.error && !now && <ErrorState problem={problemOf(current.error)} />}
      {current.fetching && !now && <LoadingState label="Loading adoption figures" rows={6} />}
      {now && now.length === 0 && <EmptyState title="No figures yet for this period.">They are computed every night from the day's activity.</EmptyState>}
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
