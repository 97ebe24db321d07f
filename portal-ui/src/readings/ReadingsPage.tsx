// Readings the patient takes at home: record one (blood pressure, blood sugar, weight,
// temperature, oxygen, peak flow) and see the history of that kind, the patient's own
// readings ("You recorded") next to the clinic's results of the same test, as a chart and a
// table. A reading beyond the practice's threshold shows the practice's instruction at once.
import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { CartesianGrid, Line, LineChart, ResponsiveContainer, XAxis, YAxis } from "recharts";
import { graphql } from "@portico/client";
import type { PortalHomeReadingsQuery, ReadingKind } from "@portico/client/gql/graphql";
import { usePortal } from "../app/portal";
import { useProblem, type PortalProblem } from "../app/problem";
import { useFormat, useT } from "../i18n/I18n";
import type { MessageId } from "../i18n/catalog";
import { EmptyState, ErrorState, ErrorSummary, Field } from "../components/PageState";
import { Allowed, BackToRecords, Waiting, useReducedMotion } from "../records/common";
import { niceScale } from "../records/ResultTrendPage";
import "./readings.css";

const HistoryQuery = graphql(`
  query PortalHomeReadings($patientId: ID!, $kind: ReadingKind) {
    homeReadings(patientId: $patientId, kind: $kind) {
      readings {
        id
        value
        diastolic
        unit
        takenAt
        source
        recordedByProxy
        instruction
      }
      clinicObservations {
        id
        code
        value
        unit
        effectiveAt
        components {
          code
          value
        }
      }
    }
  }
`);

const RecordReading = graphql(`
  mutation PortalRecordReading($input: RecordReadingInput!) {
    recordReading(input: $input) {
      reading {
        id
      }
      beyondThreshold
      instruction
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const KINDS: { kind: ReadingKind; units: string[] }[] = [
  { kind: "BLOOD_PRESSURE" as ReadingKind, units: ["mm[Hg]"] },
  { kind: "GLUCOSE" as ReadingKind, units: ["mg/dL", "mmol/L"] },
  { kind: "WEIGHT" as ReadingKind, units: ["kg", "[lb_av]"] },
  { kind: "TEMPERATURE" as ReadingKind, units: ["Cel", "[degF]"] },
  { kind: "SPO2" as ReadingKind, units: ["%"] },
  { kind: "PEAK_FLOW" as ReadingKind, units: ["L/min"] },
];

/** UCUM as people write it. */
const UNIT_WORDS: Record<string, string> = { "mm[Hg]": "mmHg", "[lb_av]": "lb", Cel: "°C", "[degF]": "°F" };
const unitWord = (unit: string) => UNIT_WORDS[unit] ?? unit;

/** The codes whose words the page has; any other falls back to the general sentence. */
const CODES = ["READING_OUT_OF_RANGE", "READING_UNIT", "READING_IN_FUTURE", "READING_TOO_OLD", "READING_DIASTOLIC_REQUIRED"];

type History = PortalHomeReadingsQuery["homeReadings"];

export default function ReadingsPage() {
  const t = useT();
  return (
    <Allowed scopes={["READ", "READINGS"]} title={t("readings.title")}>
      <Readings />
    </Allowed>
  );
}

function Readings() {
  const t = useT();
  const { chart } = usePortal();
  const [kind, setKind] = useState(KINDS[0]!);
  const [{ data, error }, reload] = useQuery({
    query: HistoryQuery,
    variables: { patientId: chart.patient.id, kind: kind.kind },
    requestPolicy: "cache-and-network",
  });
  const kindName = t(`readings.kind.${kind.kind}` as MessageId);
  // Inside a sentence the kind reads in lower case ("your blood pressure readings").
  const kindWords = kindName.toLocaleLowerCase();
  return (
    <>
      <BackToRecords />
      <h1>{t("readings.title")}</h1>
      <p className="lead">{t("readings.lead")}</p>
      <div className="field">
        <label htmlFor="reading-kind">{t("readings.kind")}</label>
        <select
          id="reading-kind"
          value={kind.kind}
          onChange={(e) => setKind(KINDS.find((k) => k.kind === e.target.value) ?? KINDS[0]!)}
        >
          {KINDS.map((k) => (
            <option key={k.kind} value={k.kind}>
              {t(`readings.kind.${k.kind}` as MessageId)}
            </option>
          ))}
        </select>
      </div>
      <RecordForm key={kind.kind} kind={kind} onSaved={() => reload({ requestPolicy: "network-only" })} />
      <h2 className="readings-history">{t("readings.history", { kind: kindWords })}</h2>
      {!data ? (
        <Waiting error={error} retry={() => reload({ requestPolicy: "network-only" })} label={t("readings.loading")} />
      ) : data.homeReadings.readings.length === 0 && data.homeReadings.clinicObservations.length === 0 ? (
        <EmptyState>
          <p>{t("readings.empty", { kind: kindWords })}</p>
        </EmptyState>
      ) : (
        <HistoryView history={data.homeReadings} kindName={kindName} kindWords={kindWords} />
      )}
    </>
  );
}

function RecordForm({ kind, onSaved }: { kind: (typeof KINDS)[number]; onSaved: () => void }) {
  const t = useT();
  const { chart } = usePortal();
  const describe = useProblem();
  const pressure = kind.kind === "BLOOD_PRESSURE";
  const [value, setValue] = useState("");
  const [diastolic, setDiastolic] = useState("");
  const [unit, setUnit] = useState(kind.units[0]!);
  // When it was taken, in this device's local time ("2027-03-09T10:30"); left as filled in,
  // the reading is saved as taken now.
  const [takenAt, setTakenAt] = useState(() => localInput(new Date()));
  const [takenChanged, setTakenChanged] = useState(false);
  const [problems, setProblems] = useState<{ field?: string; sentence: string }[]>([]);
  const [failure, setFailure] = useState<PortalProblem | null>(null);
  const [outcome, setOutcome] = useState<{ instruction?: string | null } | null>(null);
  const [{ fetching }, record] = useMutation(RecordReading);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setOutcome(null);
    setFailure(null);
    const number = Number(value.replace(",", "."));
    const lower = Number(diastolic.replace(",", "."));
    const taken = takenChanged ? new Date(takenAt) : null;
    const gaps = [
      (!value.trim() || !Number.isFinite(number)) && { field: "value", sentence: t("readings.required.value") },
      pressure && (!diastolic.trim() || !Number.isFinite(lower)) && { field: "diastolic", sentence: t("readings.required.diastolic") },
      taken && Number.isNaN(taken.getTime()) && { field: "takenAt", sentence: t("readings.required.takenAt") },
    ].filter((g): g is { field: string; sentence: string } => Boolean(g));
    setProblems(gaps);
    if (gaps.length) return;
    const result = await record({
      input: { patientId: chart.patient.id, kind: kind.kind, value: number, diastolic: pressure ? lower : null, unit, takenAt: taken ? taken.toISOString() : null },
    });
    const payload = result.data?.recordReading;
    if (result.error || !payload) {
      setFailure(describe(result.error));
      return;
    }
    if (payload.userErrors.length) {
      setProblems(
        payload.userErrors.map((u) => ({
          field: u.field ?? undefined,
          sentence: CODES.includes(u.code) ? t(`readings.error.${u.code}` as MessageId) : t("readings.error.other"),
        })),
      );
      return;
    }
    setValue("");
    setDiastolic("");
    setTakenAt(localInput(new Date()));
    setTakenChanged(false);
    setOutcome({ instruction: payload.instruction });
    onSaved();
  };

  const fieldError = (field: string) => problems.find((p) => p.field === field)?.sentence;
  return (
    <section className="card" aria-labelledby="record-heading">
      <h2 id="record-heading">{t("readings.record")}</h2>
      <ErrorSummary problems={problems} />
      {failure && <ErrorState problem={failure} />}
      {outcome &&
        (outcome.instruction ? (
          <div className="reading-instruction" role="alert">
            <h3>{t("readings.beyond.title")}</h3>
            <p>{t("readings.beyond.told")}</p>
            <p className="reading-instruction-text">{outcome.instruction}</p>
          </div>
        ) : (
          <p className="reading-saved" role="status">
            {t("readings.saved")}
          </p>
        ))}
      <form onSubmit={submit} noValidate className="stack">
        <Field id="value" label={pressure ? t("readings.systolic") : t("readings.value")} hint={pressure ? t("readings.systolic.hint") : undefined} error={fieldError("value")}>
          {(describedBy, invalid) => (
            <input id="value" inputMode="decimal" autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} aria-describedby={describedBy} aria-invalid={invalid} />
          )}
        </Field>
        {pressure && (
          <Field id="diastolic" label={t("readings.diastolic")} hint={t("readings.diastolic.hint")} error={fieldError("diastolic")}>
            {(describedBy, invalid) => (
              <input id="diastolic" inputMode="decimal" autoComplete="off" value={diastolic} onChange={(e) => setDiastolic(e.target.value)} aria-describedby={describedBy} aria-invalid={invalid} />
            )}
          </Field>
        )}
        {kind.units.length > 1 ? (
          <Field id="unit" label={t("readings.unit")} error={fieldError("unit")}>
            {(describedBy, invalid) => (
              <select id="unit" value={unit} onChange={(e) => setUnit(e.target.value)} aria-describedby={describedBy} aria-invalid={invalid}>
                {kind.units.map((u) => (
                  <option key={u} value={u}>
                    {unitWord(u)}
                  </option>
                ))}
              </select>
            )}
          </Field>
        ) : (
          <p className="hint">{t("readings.unitIs", { unit: unitWord(unit) })}</p>
        )}
        <Field id="takenAt" label={t("readings.takenAt")} hint={t("readings.takenAt.hint")} error={fieldError("takenAt")}>
          {(describedBy, invalid) => (
            <input
              id="takenAt"
              type="datetime-local"
              value={takenAt}
              onChange={(e) => (setTakenAt(e.target.value), setTakenChanged(true))}
              aria-describedby={describedBy}
              aria-invalid={invalid}
            />
          )}
        </Field>
        <div className="card-actions">
          <button type="submit" className="button" disabled={fetching}>
            {fetching ? t("readings.saving") : t("readings.save")}
          </button>
        </div>
      </form>
    </section>
  );
}

/** A time as a `datetime-local` input shows it, in this device's zone: "2027-03-09T10:30". */
function localInput(d: Date): string {
  const two = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}`;
}

type Row = { key: string; at: string; value: number | null; second: number | null; unit: string; mine: boolean; instruction?: string | null };

function rowsOf(history: History): Row[] {
  const rows: Row[] = history.readings.map((r) => ({
    key: r.id,
    at: r.takenAt,
    value: r.value,
    second: r.diastolic ?? null,
    unit: r.unit,
    mine: true,
    instruction: r.instruction,
  }));
  const clinic = history.clinicObservations;
  for (const o of clinic) {
    // A clinic's blood pressure is a panel with its two numbers as components, or its two
    // numbers as results of their own taken together: the diastolic joins its systolic.
    if (o.code === "8462-4") continue;
    const part = (code: string) => o.components.find((c) => c.code === code)?.value ?? null;
    const paired = o.code === "8480-6" ? (clinic.find((d) => d.code === "8462-4" && d.effectiveAt === o.effectiveAt)?.value ?? null) : null;
    rows.push({
      key: o.id,
      at: o.effectiveAt,
      value: o.value ?? part("8480-6"),
      second: o.value == null ? part("8462-4") : paired,
      unit: o.unit ?? "mm[Hg]",
      mine: false,
    });
  }
  return rows.sort((a, b) => a.at.localeCompare(b.at));
}

function HistoryView({ history, kindName, kindWords }: { history: History; kindName: string; kindWords: string }) {
  const t = useT();
  const f = useFormat();
  const reduced = useReducedMotion();
  const rows = rowsOf(history);
  const shown = (r: Row) =>
    r.value == null ? "—" : r.second != null ? `${f.number(r.value)}/${f.number(r.second)} ${unitWord(r.unit)}` : `${f.number(r.value)} ${unitWord(r.unit)}`;
  const points = rows.map((r) => ({ label: f.date(r.at), mine: r.mine ? r.value : null, clinic: r.mine ? null : r.value }));
  const values = rows.map((r) => r.value).filter((v): v is number => v != null);
  const { domain, ticks } = niceScale(Math.min(...values), Math.max(...values));
  const title = t("readings.chartTitle", { kind: kindName });
  return (
    <>
      {values.length > 0 && (
        <figure className="trend-chart" aria-labelledby="readings-chart-title">
          <figcaption id="readings-chart-title">{title}</figcaption>
          <div className="trend-canvas" role="img" aria-label={t("readings.chartSummary", { count: rows.length, kind: kindWords })}>
            <div aria-hidden="true">
              <ResponsiveContainer width="100%" height={260}>
                <LineChart data={points} margin={{ top: 20, right: 24, bottom: 8, left: 4 }} accessibilityLayer={false}>
                  <CartesianGrid strokeDasharray="3 3" stroke="#d0d5dd" />
                  <XAxis dataKey="label" tick={{ fontSize: 12, fill: "#1b1f24" }} interval="preserveStartEnd" padding={{ left: 24, right: 24 }} />
                  <YAxis domain={domain} ticks={ticks} tick={{ fontSize: 12, fill: "#1b1f24" }} width={44} />
                  <Line type="linear" dataKey="mine" name={t("readings.you")} stroke="#1d4ed8" strokeWidth={2.5} dot={{ r: 5, strokeWidth: 2, fill: "#fff" }} connectNulls isAnimationActive={!reduced} />
                  <Line type="linear" dataKey="clinic" name={t("readings.clinic")} stroke="#7c2d12" strokeWidth={2.5} strokeDasharray="6 4" dot={{ r: 5, strokeWidth: 2, fill: "#7c2d12" }} connectNulls isAnimationActive={!reduced} />
                </LineChart>
              </ResponsiveContainer>
            </div>
          </div>
          <p className="hint legend">{t("readings.legend")}</p>
        </figure>
      )}
      <table className="records-table">
        <caption>{t("readings.tableCaption", { kind: kindWords })}</caption>
        <thead>
          <tr>
            <th scope="col">{t("readings.col.date")}</th>
            <th scope="col">{t("readings.col.value")}</th>
            <th scope="col">{t("readings.col.source")}</th>
          </tr>
        </thead>
        <tbody>
          {[...rows].reverse().map((r) => (
            <tr key={r.key}>
              <th scope="row">
                {f.date(r.at)}, {f.time(r.at)}
              </th>
              <td>
                {shown(r)}
                {r.instruction && <p className="hint reading-note">{t("readings.beyondRow", { instruction: r.instruction })}</p>}
              </td>
              <td>{r.mine ? <span className="reading-mine">{t("readings.you")}</span> : t("readings.clinic")}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
