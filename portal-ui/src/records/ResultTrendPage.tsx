// One test's history: a line chart with the usual range shaded, each point labelled with its
// value and dated on the axis, a sentence saying what the chart shows, and the same results
// in a table (date, value, flag in words) for screen readers and everyone.
import { useLocation } from "react-router";
import { useQuery } from "urql";
import { CartesianGrid, LabelList, Line, LineChart, ReferenceArea, ResponsiveContainer, XAxis, YAxis } from "recharts";
import { graphql } from "@portico/client";
import type { PortalResultSeriesQuery } from "@portico/client/gql/graphql";
import { usePortal } from "../app/portal";
import { useFormat, useT } from "../i18n/I18n";
import { EmptyState } from "../components/PageState";
import { Allowed, BackToRecords, Waiting, useReducedMotion } from "./common";
import { FlagBadge, asFlag, useResultWords } from "./results";

const SeriesQuery = graphql(`
  query PortalResultSeries($patientId: ID!, $code: String!) {
    patient(id: $patientId) {
      id
      resultSeries(code: $code) {
        code
        display
        category
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
    }
  }
`);

type Series = PortalResultSeriesQuery["patient"]["resultSeries"][number];

export default function ResultTrendPage() {
  const t = useT();
  return (
    <Allowed scopes={["READ"]} title={t("records.trend.fallbackTitle")}>
      <Trend />
    </Allowed>
  );
}

function Trend() {
  const code = codeFrom(useLocation().hash);
  const { chart } = usePortal();
  const t = useT();
  const [{ data, error }, reload] = useQuery({ query: SeriesQuery, variables: { patientId: chart.patient.id, code } });
  const series = data?.patient.resultSeries.find((s) => s.code === code) ?? data?.patient.resultSeries[0];
  return (
    <>
      <BackToRecords to="/records/results" label={t("records.trend.back")} />
      <h1>{series ? series.display : t("records.trend.fallbackTitle")}</h1>
      {!data ? (
        <Waiting error={error} retry={() => reload({ requestPolicy: "network-only" })} label={t("records.trend.loading")} />
      ) : !series || series.points.length === 0 ? (
        <EmptyState>
          <p>{t("records.trend.empty")}</p>
        </EmptyState>
      ) : (
        <SeriesView series={series} />
      )}
    </>
  );
}

/** The lines to draw: the value, or each part of a measurement made of several. */
function linesOf(series: Series): { key: string; name: string }[] {
  const parts = new Map<string, string>();
  for (const p of series.points) for (const c of p.components) if (!parts.has(c.code)) parts.set(c.code, c.display);
  if (series.points.some((p) => p.value != null) || parts.size === 0) return [{ key: "value", name: series.display }];
  return [...parts].map(([code, display]) => ({ key: `c_${code}`, name: display }));
}

const COLOURS = ["#1d4ed8", "#7c2d12", "#166534"];

/** A y-axis from a round number to a round number in steps of 1, 2 or 5 (times a power of ten). */
export function niceScale(lo: number, hi: number): { domain: [number, number]; ticks: number[] } {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return { domain: [0, 1], ticks: [0, 1] };
  const span = Math.max(hi - lo, Math.abs(hi) * 0.1, 1e-6);
  const raw = span / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
  const start = Math.max(lo >= 0 ? 0 : -Infinity, Math.floor(lo / step) * step - (lo % step === 0 ? step : 0));
  const end = Math.ceil(hi / step) * step + (hi % step === 0 ? step : 0);
  const ticks: number[] = [];
  for (let v = start; v <= end + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  return { domain: [start, end], ticks };
}

function SeriesView({ series }: { series: Series }) {
  const t = useT();
  const f = useFormat();
  const words = useResultWords();
  const reduced = useReducedMotion();
  const unit = series.unit ?? series.points.find((p) => p.unit)?.unit ?? null;
  const lines = linesOf(series);
  const numeric = series.points.some((p) => p.value != null || p.components.some((c) => c.value != null));
  const rows = series.points.map((p) => {
    const row: Record<string, string | number | null> = { label: f.date(p.at) };
    row.value = p.value ?? null;
    for (const c of p.components) row[`c_${c.code}`] = c.value ?? null;
    return row;
  });
  const values = rows.flatMap((r) => lines.map((l) => r[l.key])).filter((v): v is number => typeof v === "number");
  const lo = Math.min(...values, series.rangeLow ?? Infinity);
  const hi = Math.max(...values, series.rangeHigh ?? -Infinity);
  const { domain, ticks } = niceScale(lo, hi);
  const latest = series.points[series.points.length - 1]!;
  const latestFlag = asFlag(latest.flag);
  const first = series.points[0]!;
  const summary = t("records.trend.summary", {
    count: series.points.length,
    from: f.date(first.at),
    to: f.date(latest.at),
    latest: words.value({ ...latest, unit: latest.unit ?? unit }),
  });
  const title = t("records.trend.title", { test: series.display });

  return (
    <>
      <p className="lead">{summary}</p>
      <p className="result-range">{words.range(series, unit)}</p>
      {latestFlag && (
        <p className="trend-latest">
          <strong>{t("records.trend.latestFlag")}</strong> <FlagBadge flag={latestFlag} /> {words.meaning(latestFlag)}
        </p>
      )}
      {numeric && (
        <figure className="trend-chart" aria-labelledby="trend-title">
          <figcaption id="trend-title">{title}</figcaption>
          <div className="trend-canvas" role="img" aria-label={`${summary} ${words.range(series, unit)}`}>
            <div aria-hidden="true">
            <ResponsiveContainer width="100%" height={280}>
              <LineChart data={rows} margin={{ top: 28, right: 24, bottom: 8, left: 4 }} accessibilityLayer={false}>
                <CartesianGrid strokeDasharray="3 3" stroke="#d0d5dd" />
                {(series.rangeLow != null || series.rangeHigh != null) && (
                  <ReferenceArea
                    y1={series.rangeLow ?? domain[0]}
                    y2={series.rangeHigh ?? domain[1]}
                    fill="#16a34a"
                    fillOpacity={0.14}
                    stroke="#166534"
                    strokeDasharray="4 3"
                    ifOverflow="extendDomain"
                    label={{ value: t("records.trend.usualBand"), position: "insideTopLeft", fill: "#14532d", fontSize: 12 }}
                  />
                )}
                <XAxis dataKey="label" tick={{ fontSize: 12, fill: "#1b1f24" }} interval="preserveStartEnd" padding={{ left: 24, right: 24 }} />
                <YAxis domain={domain} ticks={ticks} tick={{ fontSize: 12, fill: "#1b1f24" }} width={44} tickFormatter={(v: number) => f.number(v, 3)} />
                {lines.map((l, i) => (
                  <Line
                    key={l.key}
                    type="linear"
                    dataKey={l.key}
                    name={l.name}
                    stroke={COLOURS[i % COLOURS.length]}
                    strokeWidth={2.5}
                    strokeDasharray={i === 1 ? "6 4" : undefined}
                    dot={{ r: 5, strokeWidth: 2, fill: "#fff" }}
                    connectNulls
                    isAnimationActive={!reduced}
                  >
                    <LabelList dataKey={l.key} position="top" offset={10} fontSize={13} fontWeight={700} fill="#1b1f24" formatter={(v: unknown) => (typeof v === "number" ? f.number(v, 3) : "")} />
                  </Line>
                ))}
              </LineChart>
            </ResponsiveContainer>
            </div>
          </div>
          <p className="hint legend">
            <span className="legend-band" aria-hidden="true" /> {t("records.trend.legendBand")}
            {lines.length > 1 && (
              <>
                {" · "}
                {lines.map((l, i) => (i === 1 ? t("records.trend.legendDashed", { name: l.name }) : t("records.trend.legendSolid", { name: l.name }))).join(" · ")}
              </>
            )}
          </p>
        </figure>
      )}
      <table className="records-table">
        <caption>{t("records.trend.tableCaption", { test: series.display })}</caption>
        <thead>
          <tr>
            <th scope="col">{t("records.trend.col.date")}</th>
            <th scope="col">{t("records.trend.col.value")}</th>
            <th scope="col">{t("records.trend.col.flag")}</th>
          </tr>
        </thead>
        <tbody>
          {[...series.points].reverse().map((p) => {
            const flag = asFlag(p.flag);
            return (
              <tr key={p.observationId}>
                <th scope="row">{f.date(p.at)}</th>
                <td>{words.value({ ...p, unit: p.unit ?? unit })}</td>
                <td>{flag ? <FlagBadge flag={flag} /> : t("records.trend.noFlag")}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}

/** The test's code from the address's fragment (`#18262-6`); empty when it is not readable. */
function codeFrom(hash: string): string {
  try {
    return decodeURIComponent(hash.replace(/^#/, ""));
  } catch {
    return "";
  }
}
