// Time off, blocked time and holidays in the next 90 days: a list with a way to remove each,
// and a form to add one with its reason. A failed save keeps everything typed.
import { useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import type { BlockKind } from "@portico/client/gql/graphql";
import { EmptyState, ErrorState, ErrorSummary, Field, LoadingState } from "../components/PageState";
import { formatDate, todayIn } from "../components/format";
import { useConsole } from "../app/session";
import { problemsFrom, useOnce, zonedInstant } from "./shared";

const BlocksQuery = graphql(`
  query PracticeScheduleBlocks($from: DateTime!, $to: DateTime!) {
    scheduleBlocks(from: $from, to: $to) {
      id
      providerId
      kind
      startsAt
      endsAt
      note
    }
    providers(includeInactive: true) {
      id
      displayName
    }
  }
`);

const Add = graphql(`
  mutation PracticeAddScheduleBlock($input: AddScheduleBlockInput!) {
    addScheduleBlock(input: $input) {
      scheduleBlock {
        id
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const Remove = graphql(`
  mutation PracticeRemoveScheduleBlock($id: ID!) {
    removeScheduleBlock(input: { scheduleBlockId: $id }) {
      scheduleBlock {
        id
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const KINDS: { value: BlockKind; label: string; hint: string }[] = [
  { value: "TIME_OFF", label: "Time off", hint: "A provider is away: leave, training, illness." },
  { value: "BLOCK", label: "Blocked time", hint: "A provider is in but not seeing patients: a meeting, admin time." },
  { value: "HOLIDAY", label: "Holiday", hint: "The whole practice is closed for a day." },
];

const LABELS: Record<string, string> = {
  kind: "What kind",
  providerId: "Provider",
  date: "Date closed",
  startsAt: "Starts",
  endsAt: "Ends",
  note: "Reason",
};

const SENTENCES = {
  "startsAt:APPOINTMENTS_IN_BLOCK": "Booked visits fall in this time. Move or cancel them on the Schedule first, then add it again.",
  "endsAt:INVALID_RANGE": "The end must be after the start, and at most a year later.",
  "providerId:REQUIRED": "Choose the provider.",
  "date:REQUIRED": "Enter the date the practice is closed.",
  "date:INVALID_DATE": "Enter a real date.",
  "note:TOO_LONG": "Shorten the reason to 200 characters or fewer.",
};

const DAY_MS = 86_400_000;

interface Form {
  kind: BlockKind;
  providerId: string;
  allDay: boolean;
  startDate: string;
  startTime: string;
  endDate: string;
  endTime: string;
  note: string;
}

export default function TimeOffPage() {
  const { me } = useConsole();
  const tz = me.tenant.timeZone;
  // The next 90 days, from the start of today in the practice's time zone.
  const [range] = useState(() => {
    const today = todayIn(tz);
    const end = new Date(Date.parse(`${today}T00:00:00Z`) + 90 * DAY_MS).toISOString().slice(0, 10);
    return { from: zonedInstant(today, "00:00", tz), to: zonedInstant(end, "00:00", tz) };
  });
  const [{ data, error, fetching }, reload] = useQuery({ query: BlocksQuery, variables: range });
  const [, add] = useMutation(Add);
  const [, remove] = useMutation(Remove);
  const [pending, once] = useOnce();
  const [removing, removeOnce] = useOnce();
  const empty = (): Form => {
    const today = todayIn(tz);
    return { kind: "TIME_OFF", providerId: "", allDay: true, startDate: today, startTime: "09:00", endDate: today, endTime: "17:00", note: "" };
  };
  const [form, setForm] = useState<Form>(empty);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState<string | null>(null);
  const refresh = () => reload({ requestPolicy: "network-only" });
  const set = (name: keyof Form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [name]: e.target.value }));

  const providerName = (id: string | null | undefined) =>
    id ? (data?.providers.find((p) => p.id === id)?.displayName ?? "A former provider") : "The whole practice";

  function submit(event: FormEvent) {
    event.preventDefault();
    void once(async () => {
      const missing: Record<string, string> = {};
      const holiday = form.kind === "HOLIDAY";
      if (!holiday && !form.providerId) missing.providerId = "Choose the provider.";
      if (holiday && !form.startDate) missing.date = "Enter the date the practice is closed.";
      let startsAt: string | null = null;
      let endsAt: string | null = null;
      if (!holiday) {
        if (!form.startDate || (!form.allDay && !form.startTime)) missing.startsAt = "Enter when it starts.";
        if (!form.endDate || (!form.allDay && !form.endTime)) missing.endsAt = "Enter when it ends.";
        if (!missing.startsAt && !missing.endsAt) {
          startsAt = zonedInstant(form.startDate, form.allDay ? "00:00" : form.startTime, tz);
          // All day: to the end of the last day, that is midnight after it.
          const lastDay = form.allDay ? new Date(Date.parse(`${form.endDate}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10) : form.endDate;
          endsAt = zonedInstant(lastDay, form.allDay ? "00:00" : form.endTime, tz);
          if (Date.parse(endsAt) <= Date.parse(startsAt)) missing.endsAt = "The end must be after the start.";
        }
      }
      if (form.note.trim().length > 200) missing.note = "Shorten the reason to 200 characters or fewer.";
      setProblems(missing);
      setNotice(null);
      if (Object.keys(missing).length) return;
      const result = await add({
        input: holiday
          ? { kind: "HOLIDAY", date: form.startDate, note: form.note.trim() || null }
          : { kind: form.kind, providerId: form.providerId, startsAt, endsAt, note: form.note.trim() || null },
      });
      if (result.error) return setProblems({ _: problemOf(result.error).sentence });
      const payload = result.data?.addScheduleBlock;
      if (payload?.userErrors.length) return setProblems(problemsFrom(payload.userErrors, SENTENCES));
      const what = KINDS.find((k) => k.value === form.kind)!.label;
      setNotice(
        holiday
          ? `Added: the practice is closed on ${formatDate(form.startDate)}.`
          : `Added: ${what.toLowerCase()} for ${providerName(form.providerId)}. Patients cannot book that time.`,
      );
      setForm((f) => ({ ...empty(), kind: f.kind, providerId: f.providerId }));
      refresh();
    });
  }

  function removeBlock(block: { id: string; kind: BlockKind; providerId?: string | null }) {
    void removeOnce(async () => {
      setNotice(null);
      const result = await remove({ id: block.id });
      if (result.error) return setProblems({ _: problemOf(result.error).sentence });
      const payload = result.data?.removeScheduleBlock;
      if (payload?.userErrors.length) return setProblems(problemsFrom(payload.userErrors));
      setProblems({});
      setNotice(`Removed. ${block.kind === "HOLIDAY" ? "The practice is open that day again." : `${providerName(block.providerId)}'s time is bookable again.`}`);
      refresh();
    });
  }

  const blocks = [...(data?.scheduleBlocks ?? [])].sort((a, b) => a.startsAt.localeCompare(b.startsAt));
  const holiday = form.kind === "HOLIDAY";
  return (
    <>
      <p>
        <Link to="/setup">Back to set-up</Link>
      </p>
      <h1>Time off and holidays</h1>
      <p>Times patients cannot book: a provider away or busy, or the whole practice closed. Times are in the practice's time zone, {tz}.</p>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <h2>In the next 90 days</h2>
      {error && !data && <ErrorState problem={problemOf(error)} retry={refresh} />}
      {fetching && !data && <LoadingState label="Loading time off and holidays" rows={3} />}
      {data && blocks.length === 0 && (
        <EmptyState title="Nothing in the next 90 days.">Every provider can be booked in their weekly hours. Add time off or a holiday below.</EmptyState>
      )}
      {blocks.length > 0 && (
        <table className="data-table">
          <caption className="visually-hidden">Time off, blocked time and holidays in the next 90 days</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">What</th>
              <th scope="col">Who</th>
              <th scope="col">Reason</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {blocks.map((b) => {
              const what = KINDS.find((k) => k.value === b.kind)?.label ?? b.kind;
              return (
                <tr key={b.id}>
                  <th scope="row">{span(b.startsAt, b.endsAt, tz)}</th>
                  <td>{what}</td>
                  <td>{providerName(b.providerId)}</td>
                  <td>{b.note ?? <span className="muted">None given</span>}</td>
                  <td>
                    <button
                      type="button"
                      className="small"
                      disabled={removing}
                      onClick={() => removeBlock(b)}
                      aria-label={`Remove ${what.toLowerCase()}, ${providerName(b.providerId)}, ${span(b.startsAt, b.endsAt, tz)}`}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <form onSubmit={submit} noValidate className="form practice-form" aria-labelledby="block-form-title">
        <h2 id="block-form-title">Add time off or a holiday</h2>
        <ErrorSummary problems={problems} labels={LABELS} />
        <fieldset>
          <legend>{LABELS.kind}</legend>
          {KINDS.map((k) => (
            <div key={k.value} className="radio">
              <input
                id={`kind-${k.value}`}
                type="radio"
                name="kind"
                value={k.value}
                checked={form.kind === k.value}
                aria-describedby={`kind-${k.value}-hint`}
                onChange={() => setForm((f) => ({ ...f, kind: k.value }))}
              />
              <label htmlFor={`kind-${k.value}`}>
                <strong>{k.label}</strong>
              </label>
              <span className="muted" id={`kind-${k.value}-hint`}>
                — {k.hint}
              </span>
            </div>
          ))}
        </fieldset>
        {!holiday && (
          <Field name="providerId" label={LABELS.providerId!} error={problems.providerId}>
            {(p) => (
              <select {...p} value={form.providerId} onChange={set("providerId")}>
                <option value="">Choose…</option>
                {data?.providers.map((pr) => (
                  <option key={pr.id} value={pr.id}>
                    {pr.displayName}
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
        {holiday ? (
          <Field name="date" label={LABELS.date!} error={problems.date}>
            {(p) => <input {...p} type="date" className="date" min={todayIn(tz)} value={form.startDate} onChange={set("startDate")} />}
          </Field>
        ) : (
          <>
            <div className="check-field">
              <label className="checkbox" htmlFor="field-allDay">
                <input id="field-allDay" type="checkbox" checked={form.allDay} onChange={(e) => setForm((f) => ({ ...f, allDay: e.target.checked }))} />
                Whole days
              </label>
            </div>
            <Field name="startsAt" label={form.allDay ? "First day" : LABELS.startsAt!} error={problems.startsAt}>
              {(p) => (
                <div className="row">
                  <input {...p} type="date" className="date" value={form.startDate} onChange={set("startDate")} />
                  {!form.allDay && (
                    <input type="time" className="time" aria-label="Start time" step={300} value={form.startTime} onChange={set("startTime")} />
                  )}
                </div>
              )}
            </Field>
            <Field name="endsAt" label={form.allDay ? "Last day" : LABELS.endsAt!} error={problems.endsAt}>
              {(p) => (
                <div className="row">
                  <input {...p} type="date" className="date" value={form.endDate} onChange={set("endDate")} />
                  {!form.allDay && <input type="time" className="time" aria-label="End time" step={300} value={form.endTime} onChange={set("endTime")} />}
                </div>
              )}
            </Field>
          </>
        )}
        <Field name="note" label={`${LABELS.note} (optional)`} hint="Staff see it; patients do not. Never write about a patient here." error={problems.note}>
          {(p) => <input {...p} value={form.note} onChange={set("note")} autoComplete="off" maxLength={250} />}
        </Field>
        <button type="submit" className="primary" disabled={pending}>
          {holiday ? "Add holiday" : `Add ${KINDS.find((k) => k.value === form.kind)!.label.toLowerCase()}`}
        </button>
      </form>
    </>
  );
}

/** "12 Mar 2026, 09:00 – 17:00" or "12 Mar 2026 – 14 Mar 2026" for whole days. */
function span(startsAt: string, endsAt: string, timeZone: string): string {
  const day = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone });
  const time = new Intl.DateTimeFormat(undefined, { timeStyle: "short", timeZone });
  const start = new Date(startsAt);
  const end = new Date(endsAt);
  const midnight = (d: Date) => time.format(d) === time.format(new Date(zonedInstant("2000-01-01", "00:00", timeZone)));
  if (midnight(start) && midnight(end)) {
    const last = new Date(end.getTime() - 1);
    const a = day.format(start);
    const b = day.format(last);
    return a === b ? `${a}, all day` : `${a} to ${b}, whole days`;
  }
  const a = day.format(start);
  const b = day.format(end);
  return a === b ? `${a}, ${time.format(start)} – ${time.format(end)}` : `${a}, ${time.format(start)} – ${b}, ${time.format(end)}`;
}
