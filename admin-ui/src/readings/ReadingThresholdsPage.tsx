// The practice's thresholds for home readings (practice admins and providers): each measure
// with its limits in plain words and the instruction patients see beyond one, changeable and
// removable (removing asks first), and one form that adds a threshold or changes the one
// chosen. A refusal keeps everything typed and changes nothing.
import { useRef, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import { EmptyState, ErrorState, ErrorSummary, Field, LoadingState } from "../components/PageState";
import { formatDateTime } from "../components/format";
import { useConsole } from "../app/session";
import { problemsFrom, useOnce } from "../practice/shared";
import { MEASURES, limitsWords, measureKey, measureWords, rangeOf, unitWords, type Measure } from "./thresholdWords";

const ThresholdsQuery = graphql(`
  query ReadingThresholds {
    readingThresholds {
      id
      kind
      measure
      low
      high
      instruction
      updatedAt
    }
  }
`);

const SetThreshold = graphql(`
  mutation SetReadingThreshold($input: SetReadingThresholdInput!) {
    setReadingThreshold(input: $input) {
      threshold {
        id
        kind
        measure
        low
        high
        instruction
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const LABELS: Record<string, string> = {
  measure: "Reading",
  low: "Low limit",
  high: "High limit",
  instruction: "What the patient should do",
};

interface Form {
  editing: boolean;
  key: string;
  low: string;
  high: string;
  instruction: string;
}
/** `key` empty: the first measure without a threshold yet. */
const EMPTY: Form = { editing: false, key: "", low: "", high: "", instruction: "" };

/** "" is no limit; anything else must be a number. */
function bound(text: string): { value: number | null; bad: boolean } {
  const t = text.trim();
  if (!t) return { value: null, bad: false };
  const n = Number(t);
  return Number.isFinite(n) ? { value: n, bad: false } : { value: null, bad: true };
}

export default function ReadingThresholdsPage() {
  const { me } = useConsole();
  const [{ data, error, fetching }, reload] = useQuery({ query: ThresholdsQuery });
  const [, set] = useMutation(SetThreshold);
  const [form, setForm] = useState<Form>(EMPTY);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [pending, once] = useOnce();
  const formTitle = useRef<HTMLHeadingElement>(null);
  const refresh = () => reload({ requestPolicy: "network-only" });
  const thresholds = data?.readingThresholds ?? [];
  const order = (t: { kind: string; measure: string }) => MEASURES.findIndex((m) => m.kind === t.kind && m.measure === t.measure);
  const sorted = [...thresholds].sort((a, b) => order(a) - order(b));
  const key = form.key || measureKey(MEASURES.find((m) => !thresholds.some((t) => measureKey(t) === measureKey(m))) ?? MEASURES[0]!);
  const chosen: Measure = MEASURES.find((m) => measureKey(m) === key) ?? MEASURES[0]!;
  const [min, max] = rangeOf(chosen);
  const unit = unitWords(chosen.kind);
  const existing = thresholds.find((t) => measureKey(t) === key);

  function edit(t: (typeof thresholds)[number]) {
    setForm({ editing: true, key: measureKey(t), low: t.low == null ? "" : String(t.low), high: t.high == null ? "" : String(t.high), instruction: t.instruction });
    setProblems({});
    setNotice(null);
    requestAnimationFrame(() => formTitle.current?.focus());
  }

  function sentences(): Record<string, string> {
    return {
      "low:THRESHOLD_OUT_OF_RANGE": `Enter a low limit between ${min} and ${max} ${unit}.`,
      "high:THRESHOLD_OUT_OF_RANGE": `Enter a high limit between ${min} and ${max} ${unit}.`,
      INVALID_INSTRUCTION: "Tell the patient what to do, in 1 to 500 characters.",
      THRESHOLD_MEASURE: "Choose a reading from the list.",
    };
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    void once(async () => {
      const low = bound(form.low);
      const high = bound(form.high);
      const local: Record<string, string> = {};
      if (low.bad) local.low = "Enter the low limit as a number, like 90.";
      if (high.bad) local.high = "Enter the high limit as a number, like 160.";
      if (!low.bad && !high.bad && low.value == null && high.value == null) local.low = "Enter a low limit, a high limit or both. To remove a threshold, use Remove in the table.";
      if (Object.keys(local).length) return setProblems(local);
      setProblems({});
      setNotice(null);
      const result = await set({ input: { kind: chosen.kind, measure: chosen.measure, low: low.value, high: high.value, instruction: form.instruction } });
      if (result.error) return setProblems({ _: problemOf(result.error).sentence });
      const payload = result.data?.setReadingThreshold;
      if (payload?.userErrors.length) {
        const found = problemsFrom(payload.userErrors, sentences());
        if (payload.userErrors.some((e) => e.field === "high" && /above the low/.test(e.message))) found.high = "Make the high limit more than the low limit.";
        return setProblems(found);
      }
      if (payload?.threshold) {
        setNotice(`${measureWords(chosen)} is saved: alert ${limitsWords(payload.threshold)}.`);
        setForm(EMPTY);
        refresh();
      }
    });
  }

  function remove(t: (typeof thresholds)[number]) {
    void once(async () => {
      const result = await set({ input: { kind: t.kind, measure: t.measure, low: null, high: null, instruction: t.instruction } });
      setConfirming(null);
      if (result.error) return setProblems({ _: problemOf(result.error).sentence });
      const payload = result.data?.setReadingThreshold;
      if (payload?.userErrors.length) return setProblems(problemsFrom(payload.userErrors, sentences()));
      setNotice(`${measureWords(t)} is removed. Readings of it no longer make an alert.`);
      if (form.editing && form.key === measureKey(t)) setForm(EMPTY);
      refresh();
    });
  }

  return (
    <>
      <h1>Reading thresholds</h1>
      <p>
        When a patient’s home reading is above the high limit or below the low limit, the care team sees it under{" "}
        <Link to="/reading-alerts">Reading alerts</Link> and the patient is shown your instruction at once. These apply to every patient; a
        patient’s own thresholds for a reading replace them.
      </p>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {error && !data && <ErrorState problem={problemOf(error)} retry={refresh} />}
      {fetching && !data && <LoadingState label="Loading the thresholds" rows={3} />}
      {data && thresholds.length === 0 && <EmptyState title="No thresholds yet.">Home readings make no alerts until you add one with the form below.</EmptyState>}
      {sorted.length > 0 && (
        <table className="data-table">
          <caption>The practice’s thresholds</caption>
          <thead>
            <tr>
              <th scope="col">Reading</th>
              <th scope="col">Alert when</th>
              <th scope="col">The patient is told</th>
              <th scope="col">Changed</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sorted.map((t) => {
              const name = measureWords(t);
              return (
                <tr key={t.id}>
                  <th scope="row">
                    {name} ({unitWords(t.kind)})
                  </th>
                  <td>{limitsWords(t)}</td>
                  <td>{t.instruction}</td>
                  <td>{formatDateTime(t.updatedAt, me.tenant.timeZone)}</td>
                  <td>
                    <button type="button" className="small" onClick={() => edit(t)} aria-label={`Change ${name}`}>
                      Change
                    </button>{" "}
                    {confirming === t.id ? (
                      <>
                        <button type="button" className="small danger" onClick={() => remove(t)} disabled={pending}>
                          Remove {name}
                        </button>{" "}
                        <button type="button" className="small" onClick={() => setConfirming(null)}>
                          Keep
                        </button>
                      </>
                    ) : (
                      <button type="button" className="small" onClick={() => setConfirming(t.id)} aria-label={`Remove ${name}`}>
                        Remove
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <form onSubmit={submit} noValidate className="form practice-form" aria-labelledby="threshold-form-title">
        <h2 id="threshold-form-title" ref={formTitle} tabIndex={-1}>
          {form.editing ? `Change ${measureWords(chosen)}` : "Add a threshold"}
        </h2>
        <ErrorSummary problems={problems} labels={LABELS} />
        {!form.editing && (
          <Field
            name="measure"
            label={LABELS.measure!}
            hint={existing ? `Already set (alert ${limitsWords(existing)}): saving replaces it.` : undefined}
            error={problems.measure}
          >
            {(p) => (
              <select {...p} value={key} onChange={(e) => setForm((f) => ({ ...f, key: e.target.value }))}>
                {MEASURES.map((m) => (
                  <option key={measureKey(m)} value={measureKey(m)}>
                    {measureWords(m)} ({unitWords(m.kind)})
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
        <Field name="low" label={`${LABELS.low!} (${unit})`} hint={`Alert below this. Between ${min} and ${max}; leave empty for none.`} error={problems.low}>
          {(p) => <input {...p} inputMode="decimal" className="narrow" value={form.low} onChange={(e) => setForm((f) => ({ ...f, low: e.target.value }))} autoComplete="off" />}
        </Field>
        <Field name="high" label={`${LABELS.high!} (${unit})`} hint={`Alert above this. Between ${min} and ${max}; leave empty for none.`} error={problems.high}>
          {(p) => <input {...p} inputMode="decimal" className="narrow" value={form.high} onChange={(e) => setForm((f) => ({ ...f, high: e.target.value }))} autoComplete="off" />}
        </Field>
        <Field
          name="instruction"
          label={LABELS.instruction!}
          hint="Shown to the patient when a reading is beyond a limit. Plain words, up to 500 characters."
          error={problems.instruction}
        >
          {(p) => <textarea {...p} rows={3} value={form.instruction} onChange={(e) => setForm((f) => ({ ...f, instruction: e.target.value }))} />}
        </Field>
        <div className="actions">
          <button type="submit" className="primary" disabled={pending}>
            {form.editing ? "Save changes" : "Add threshold"}
          </button>
          {form.editing && (
            <button type="button" onClick={() => (setForm(EMPTY), setProblems({}))}>
              Cancel
            </button>
          )}
        </div>
      </form>
    </>
  );
}
