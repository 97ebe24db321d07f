// Reminders and notifications: when patients are reminded of a visit (one to five times
// before it), and the quiet hours and hourly sending limit every message follows.
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import { ErrorState, Field, LoadingState } from "../components/PageState";
import { minutesInWords, numberOrProblem, problemsFrom, SettingsForm, useOnce } from "./shared";

const RemindersQuery = graphql(`
  query SettingsReminders {
    reminderSettings {
      offsetsMinutes
    }
    notificationSettings {
      quietHoursStart
      quietHoursEnd
      sendingLimitPerHour
    }
  }
`);

const UpdateReminders = graphql(`
  mutation SettingsUpdateReminders($input: UpdateReminderSettingsInput!) {
    updateReminderSettings(input: $input) {
      reminderSettings {
        offsetsMinutes
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const UpdateNotifications = graphql(`
  mutation SettingsUpdateNotifications($input: UpdateNotificationSettingsInput!) {
    updateNotificationSettings(input: $input) {
      notificationSettings {
        quietHoursStart
        quietHoursEnd
        sendingLimitPerHour
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export default function RemindersPage() {
  const [{ data, error, fetching }, reload] = useQuery({ query: RemindersQuery });
  return (
    <>
      <h1>Reminders and notifications</h1>
      <p>When patients hear from the practice about their visits, and when text messages wait so nobody is woken at night.</p>
      {error && !data && <ErrorState problem={problemOf(error)} retry={() => reload({ requestPolicy: "network-only" })} />}
      {fetching && !data && <LoadingState label="Loading reminders and notifications" />}
      {data && (
        <>
          <Reminders offsets={data.reminderSettings.offsetsMinutes} />
          <QuietHours settings={data.notificationSettings} />
        </>
      )}
    </>
  );
}

type Unit = "minutes" | "hours" | "days";
const UNIT_MINUTES: Record<Unit, number> = { minutes: 1, hours: 60, days: 1440 };
interface Offset {
  key: number;
  amount: string;
  unit: Unit;
}

let nextKey = 1;
function offsetOf(minutes: number): Offset {
  const key = nextKey++;
  if (minutes % 1440 === 0) return { key, amount: String(minutes / 1440), unit: "days" };
  if (minutes % 60 === 0) return { key, amount: String(minutes / 60), unit: "hours" };
  return { key, amount: String(minutes), unit: "minutes" };
}

const OFFSETS_RANGE = "Each reminder must be from 5 minutes to 30 days before the visit, with one to five reminders.";
const OFFSET_LABELS = { offsetsMinutes: "Reminders before each visit" };

function Reminders({ offsets }: { offsets: readonly number[] }) {
  const [rows, setRows] = useState<Offset[]>(() => offsets.map(offsetOf));
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string | null>(null);
  const [, update] = useMutation(UpdateReminders);
  const [pending, once] = useOnce();

  const change = (key: number, patch: Partial<Offset>) => setRows((rs) => rs.map((r) => (r.key === key ? { ...r, ...patch } : r)));

  function submit() {
    void once(async () => {
      setSaved(null);
      if (rows.length === 0) return setProblems({ offsetsMinutes: "Add at least one reminder." });
      const minutes: number[] = [];
      for (const [i, row] of rows.entries()) {
        const n = numberOrProblem(row.amount, `Enter reminder ${i + 1} as a whole number.`);
        if ("problem" in n) return setProblems({ offsetsMinutes: n.problem });
        minutes.push(n.value * UNIT_MINUTES[row.unit]);
      }
      setProblems({});
      const r = await update({ input: { offsetsMinutes: minutes } });
      if (r.error) return setProblems({ _: problemOf(r.error).sentence });
      const payload = r.data?.updateReminderSettings;
      if (payload?.userErrors.length) {
        // The API names this field reminderOffsetsMinutes; the form calls it offsetsMinutes.
        const byField = problemsFrom(payload.userErrors, { INVALID_OFFSETS: OFFSETS_RANGE });
        const { reminderOffsetsMinutes, ...rest } = byField;
        return setProblems(reminderOffsetsMinutes ? { ...rest, offsetsMinutes: reminderOffsetsMinutes } : rest);
      }
      const now = payload?.reminderSettings?.offsetsMinutes;
      if (now) {
        setRows(now.map(offsetOf));
        setSaved(`Saved. Visits booked from now on get a reminder ${listInWords(now.map(minutesInWords))} before.`);
      }
    });
  }

  const error = problems.offsetsMinutes;
  return (
    <SettingsForm
      id="reminders"
      title="Visit reminders"
      about="Patients get a reminder by email or text at each of these times before a visit. Visits already booked keep their reminders."
      problems={problems}
      labels={OFFSET_LABELS}
      saved={saved}
      pending={pending}
      submitLabel="Save reminders"
      onSubmit={submit}
    >
      <fieldset className={error ? "field field-error" : "field"} aria-describedby={`offsets-hint${error ? " offsets-error" : ""}`}>
        <legend>{OFFSET_LABELS.offsetsMinutes}</legend>
        <p className="hint" id="offsets-hint">
          One to five reminders, each from 5 minutes to 30 days before the visit. The usual is 3 days, 1 day and 2 hours.
        </p>
        {error && (
          <p className="error-text" id="offsets-error">
            {error}
          </p>
        )}
        <ol className="offsets">
          {rows.map((row, i) => (
            <li key={row.key}>
              <input
                id={i === 0 ? "field-offsetsMinutes" : undefined}
                className="number"
                inputMode="numeric"
                aria-label={`Reminder ${i + 1}: how many`}
                aria-invalid={Boolean(error)}
                value={row.amount}
                onChange={(e) => change(row.key, { amount: e.target.value })}
                autoComplete="off"
              />
              <select aria-label={`Reminder ${i + 1}: minutes, hours or days`} value={row.unit} onChange={(e) => change(row.key, { unit: e.target.value as Unit })}>
                <option value="minutes">{row.amount.trim() === "1" ? "minute" : "minutes"}</option>
                <option value="hours">{row.amount.trim() === "1" ? "hour" : "hours"}</option>
                <option value="days">{row.amount.trim() === "1" ? "day" : "days"}</option>
              </select>
              <span>before</span>
              <button type="button" className="small" onClick={() => setRows((rs) => rs.filter((r) => r.key !== row.key))} aria-label={`Remove reminder ${i + 1}`}>
                Remove
              </button>
            </li>
          ))}
        </ol>
        {rows.length < 5 && (
          <button type="button" onClick={() => setRows((rs) => [...rs, { key: nextKey++, amount: "", unit: "hours" }])}>
            Add a reminder
          </button>
        )}
      </fieldset>
    </SettingsForm>
  );
}

function listInWords(items: string[]): string {
  return new Intl.ListFormat(undefined, { style: "long", type: "conjunction" }).format(items);
}

const QUIET_LABELS = { quietHoursStart: "Quiet from", quietHoursEnd: "Quiet until", sendingLimitPerHour: "Messages sent per hour at most" };
const QUIET_SENTENCES = {
  INVALID_TIME: "Enter a time of day, for example 21:00.",
  INVALID_LIMIT: "Enter a whole number from 1 to 1,000,000.",
};

function QuietHours({ settings }: { settings: { quietHoursStart: string; quietHoursEnd: string; sendingLimitPerHour: number } }) {
  const [form, setForm] = useState({
    quietHoursStart: settings.quietHoursStart,
    quietHoursEnd: settings.quietHoursEnd,
    sendingLimitPerHour: String(settings.sendingLimitPerHour),
  });
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string | null>(null);
  const [, update] = useMutation(UpdateNotifications);
  const [pending, once] = useOnce();

  function submit() {
    void once(async () => {
      setSaved(null);
      const missing: Record<string, string> = {};
      if (!form.quietHoursStart) missing.quietHoursStart = QUIET_SENTENCES.INVALID_TIME;
      if (!form.quietHoursEnd) missing.quietHoursEnd = QUIET_SENTENCES.INVALID_TIME;
      const limit = numberOrProblem(form.sendingLimitPerHour, QUIET_SENTENCES.INVALID_LIMIT);
      if ("problem" in limit) missing.sendingLimitPerHour = limit.problem;
      setProblems(missing);
      if (Object.keys(missing).length || !("value" in limit)) return;
      const r = await update({ input: { quietHoursStart: form.quietHoursStart, quietHoursEnd: form.quietHoursEnd, sendingLimitPerHour: limit.value } });
      if (r.error) return setProblems({ _: problemOf(r.error).sentence });
      const payload = r.data?.updateNotificationSettings;
      if (payload?.userErrors.length) return setProblems(problemsFrom(payload.userErrors, QUIET_SENTENCES));
      const now = payload?.notificationSettings;
      if (now) {
        setForm({ quietHoursStart: now.quietHoursStart, quietHoursEnd: now.quietHoursEnd, sendingLimitPerHour: String(now.sendingLimitPerHour) });
        setSaved(
          now.quietHoursStart === now.quietHoursEnd
            ? "Saved. Text messages are sent at any hour."
            : `Saved. Text messages wait from ${clock(now.quietHoursStart)} until ${clock(now.quietHoursEnd)}, in each patient's time zone.`,
        );
      }
    });
  }

  const set = (key: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) => {
    const value = e.target.value;
    setForm((f) => ({ ...f, [key]: value }));
  };
  return (
    <SettingsForm
      id="quiet-hours"
      title="Quiet hours and sending limit"
      about="During quiet hours, text messages wait until the morning, in each patient's own time zone. Email is never held back. The same start and end time means no quiet hours."
      problems={problems}
      labels={QUIET_LABELS}
      saved={saved}
      pending={pending}
      submitLabel="Save quiet hours"
      onSubmit={submit}
    >
      <div className="pair">
        <Field name="quietHoursStart" label={QUIET_LABELS.quietHoursStart} hint={`The usual is ${clock("21:00")}.`} error={problems.quietHoursStart}>
          {(p) => <input {...p} type="time" className="time" value={form.quietHoursStart} onChange={set("quietHoursStart")} />}
        </Field>
        <Field name="quietHoursEnd" label={QUIET_LABELS.quietHoursEnd} hint={`The usual is ${clock("08:00")}.`} error={problems.quietHoursEnd}>
          {(p) => <input {...p} type="time" className="time" value={form.quietHoursEnd} onChange={set("quietHoursEnd")} />}
        </Field>
      </div>
      <Field
        name="sendingLimitPerHour"
        label={QUIET_LABELS.sendingLimitPerHour}
        hint="From 1 to 1,000,000; the usual is 10,000. Messages over the limit wait for the next hour."
        error={problems.sendingLimitPerHour}
      >
        {(p) => <input {...p} className="number" inputMode="numeric" value={form.sendingLimitPerHour} onChange={set("sendingLimitPerHour")} autoComplete="off" />}
      </Field>
    </SettingsForm>
  );
}

/** `HH:MM` in the browser's own clock style (9:00 PM or 21:00). */
function clock(hhmm: string): string {
  const [h, m] = hhmm.split(":").map(Number);
  return new Intl.DateTimeFormat(undefined, { timeStyle: "short", timeZone: "UTC" }).format(new Date(Date.UTC(1970, 0, 1, h ?? 0, m ?? 0)));
}
