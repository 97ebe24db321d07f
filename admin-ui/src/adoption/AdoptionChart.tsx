// One adoption figure over time, this period against the previous one, drawn by Recharts,
// with the same numbers in a table (for screen readers and for copying).
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import type { AdoptionPointFieldsFragment } from "@portico/client/gql/graphql";
import { formatDate } from "../components/format";

export interface Metric {
  key: keyof AdoptionPointFieldsFragment | "reminderDelivery";
  title: string;
  kind: "share" | "count";
}

function valueOf(point: AdoptionPointFieldsFragment, metric: Metric): number | null {
  if (metric.key === "reminderDelivery") {
    return point.remindersSent > 0 ? point.remindersDelivered / point.remindersSent : null;
  }
  const v = point[metric.key];
  return typeof v === "number" ? v : null;
}

function format(value: number | null, metric: Metric): string {
  if (value === null) return "—";
  return metric.kind === "share"
    ? new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: 0 }).format(value)
    : new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 }).format(value);
}

export function AdoptionChart({
  metric,
  points,
  previous,
}: {
  metric: Metric;
  points: readonly AdoptionPointFieldsFragment[];
  previous: readonly AdoptionPointFieldsFragment[];
}) {
  const rows = points.map((p, i) => {
    const before = previous[i];
    return {
      label: formatDate(p.start),
      current: valueOf(p, metric),
      previous: before ? valueOf(before, metric) : null,
    };
  });
  const id = `chart-${metric.key}`;
  return (
    <figure className="chart" aria-labelledby={`${id}-title`}>
      <figcaption id={`${id}-title`}>{metric.title}</figcaption>
      {/* Drawn for the eye; the table below carries the same figures for screen readers and keyboards. */}
      <div className="chart-canvas" aria-hidden="true">
        <ResponsiveContainer width="100%" height={220}>
          <LineChart data={rows} margin={{ top: 8, right: 16, bottom: 8, left: 8 }} accessibilityLayer={false}>
            <CartesianGrid strokeDasharray="3 3" stroke="#d0d5dd" />
            <XAxis dataKey="label" tick={{ fontSize: 12 }} />
            <YAxis tick={{ fontSize: 12 }} tickFormatter={(v: number) => format(v, metric)} width={56} domain={metric.kind === "share" ? [0, 1] : [0, "auto"]} />
            <Tooltip formatter={(v) => format(typeof v === "number" ? v : null, metric)} />
            <Legend />
            <Line type="monotone" dataKey="current" name="This period" stroke="#1d4ed8" strokeWidth={2} dot={{ r: 3 }} connectNulls isAnimationActive={false} />
            <Line type="monotone" dataKey="previous" name="Previous period" stroke="#6b7280" strokeDasharray="6 4" dot={false} connectNulls isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      </div>
      <details>
        <summary>Show as a table</summary>
        <table className="data-table">
          <caption className="visually-hidden">{metric.title}</caption>
          <thead>
            <tr>
              <th scope="col">Period starting</th>
              <th scope="col">This period</th>
              <th scope="col">Previous period</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.label}>
                <th scope="row">{r.label}</th>
                <td>{format(r.current, metric)}</td>
                <td>{format(r.previous, metric)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
