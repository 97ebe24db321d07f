// The kinds of visit the practice offers: how long, in person or by video, who may book
// them online, and how far ahead. A list, and one form that adds a type or changes one.
import { useRef, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import type { Eligibility, VisitMode } from "@portico/client/gql/graphql";
import { EmptyState, ErrorState, ErrorSummary, Field, LoadingState } from "../components/PageState";
import { problemsFrom, useOnce, wholeNumber } from "./shared";

const TypesQuery = graphql(`
  query PracticeAppointmentTypes {
    appointmentTypes(includeInactive: true) {
      id
      name
      durationMinutes
      mode
      bookableOnline
      eligibility
      bufferBeforeMinutes
      bufferAfterMinutes
      minLeadMinutes
      horizonDays
      active
    }
  }
`);

const Save = graphql(`
  mutation PracticeSaveAppointmentType($input: AppointmentTypeInput!) {
    saveAppointmentType(input: $input) {
      appointmentType {
        id
        name
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
  name: "Name",
  durationMinutes: "Length, in minutes",
  mode: "How the visit happens",
  eligibility: "Who can book it",
  bufferBeforeMinutes: "Free time before, in minutes",
  bufferAfterMinutes: "Free time after, in minutes",
  minLeadMinutes: "Shortest notice for online booking, in minutes",
  horizonDays: "Furthest ahead for online booking, in days",
};

/** The API's ranges, said on the page and checked before sending. */
const RANGES: Record<string, [number, number]> = {
  durationMinutes: [5, 480],
  bufferBeforeMinutes: [0, 120],
  bufferAfterMinutes: [0, 120],
  minLeadMinutes: [0, 43200],
  horizonDays: [1, 730],
};
type NumberField = "durationMinutes" | "bufferBeforeMinutes" | "bufferAfterMinutes" | "minLeadMinutes" | "horizonDays";
const rangeSentence = (field: string) => `Enter a whole number from ${RANGES[field]![0].toLocaleString()} to ${RANGES[field]![1].toLocaleString()}.`;

const MODES: { value: VisitMode; label: string }[] = [
  { value: "IN_PERSON", label: "In person" },
  { value: "VIDEO", label: "Video" },
];
const ELIGIBILITY: { value: Eligibility; label: string }[] = [
  { value: "ANY", label: "Any patient" },
  { value: "NEW", label: "New patients only" },
  { value: "ESTABLISHED", label: "Patients seen before only" },
];

interface Form {
  id: string | null;
  name: string;
  durationMinutes: string;
  mode: VisitMode;
  bookableOnline: boolean;
  eligibility: Eligibility;
  bufferBeforeMinutes: string;
  bufferAfterMinutes: string;
  minLeadMinutes: string;
  horizonDays: string;
  active: boolean;
}
// The API's own defaults.
const EMPTY: Form = {
  id: null,
  name: "",
  durationMinutes: "30",
  mode: "IN_PERSON",
  bookableOnline: true,
  eligibility: "ANY",
  bufferBeforeMinutes: "0",
  bufferAfterMinutes: "0",
  minLeadMinutes: "120",
  horizonDays: "90",
  active: true,
};

export default function AppointmentTypesPage() {
  const [{ data, error, fetching }, reload] = useQuery({ query: TypesQuery });
  const [form, setForm] = useState<Form>(EMPTY);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<{ name: string; added: boolean } | null>(null);
  const [, save] = useMutation(Save);
  const [pending, once] = useOnce();
  const formTitle = useRef<HTMLHeadingElement>(null);
  const refresh = () => reload({ requestPolicy: "network-only" });
  const setText = (name: NumberField | "name") => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [name]: e.target.value }));

  function edit(t: NonNullable<typeof data>["appointmentTypes"][number]) {
    setForm({
      id: t.id,
      name: t.name,
      durationMinutes: String(t.durationMinutes),
      mode: t.mode,
      bookableOnline: t.bookableOnline,
      eligibility: t.eligibility,
      bufferBeforeMinutes: String(t.bufferBeforeMinutes),
      bufferAfterMinutes: String(t.bufferAfterMinutes),
      minLeadMinutes: String(t.minLeadMinutes),
      horizonDays: String(t.horizonDays),
      active: t.active,
    });
    setProblems({});
    setSaved(null);
    requestAnimationFrame(() => formTitle.current?.focus());
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    void once(async () => {
      const missing: Record<string, string> = {};
      if (!form.name.trim()) missing.name = "Enter the visit's name as patients should see it, for example New patient visit.";
      const numbers = {} as Record<NumberField, number>;
      for (const field of Object.keys(RANGES) as NumberField[]) {
        const n = wholeNumber(form[field]);
        const [min, max] = RANGES[field]!;
        if (n === null || n < min || n > max) missing[field] = rangeSentence(field);
        else numbers[field] = n;
      }
      setProblems(missing);
      setSaved(null);
      if (Object.keys(missing).length) return;
      const result = await save({
        input: {
          id: form.id,
          name: form.name.trim(),
          mode: form.mode,
          bookableOnline: form.bookableOnline,
          eligibility: form.eligibility,
          active: form.active,
          ...numbers,
        },
      });
      if (result.error) return setProblems({ _: problemOf(result.error).sentence });
      const payload = result.data?.saveAppointmentType;
      if (payload?.userErrors.length) {
        const sentences: Record<string, string> = { INVALID_NAME: "Enter a name of 1 to 100 characters." };
        for (const field of Object.keys(RANGES)) sentences[`${field}:OUT_OF_RANGE`] = rangeSentence(field);
        return setProblems(problemsFrom(payload.userErrors, sentences));
      }
      if (payload?.appointmentType) {
        setSaved({ name: payload.appointmentType.name, added: form.id === null });
        setForm(EMPTY);
        refresh();
      }
    });
  }

  const types = data?.appointmentTypes ?? [];
  const number = (field: NumberField, hint: string) => (
    <Field name={field} label={LABELS[field]!} hint={hint} error={problems[field]}>
      {(p) => <input {...p} inputMode="numeric" className="number" value={form[field]} onChange={setText(field)} autoComplete="off" />}
    </Field>
  );
  return (
    <>
      <p>
        <Link to="/setup">Back to set-up</Link>
      </p>
      <h1>Appointment types</h1>
      <p>The kinds of visit patients can book, how long each takes and how far ahead they can book it online.</p>
      {saved && (
        <p className="notice" role="status">
          {saved.added ? `${saved.name} is added.` : `${saved.name} is saved.`}
        </p>
      )}
      {error && !data && <ErrorState problem={problemOf(error)} retry={refresh} />}
      {fetching && !data && <LoadingState label="Loading appointment types" rows={3} />}
      {data && types.length === 0 && (
        <EmptyState title="No appointment types yet.">Add the first one with the form below, for example a 30-minute Follow-up visit.</EmptyState>
      )}
      {types.length > 0 && (
        <table className="data-table">
          <caption className="visually-hidden">Appointment types</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Length</th>
              <th scope="col">How</th>
              <th scope="col">Online booking</th>
              <th scope="col">Who</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {types.map((t) => (
              <tr key={t.id}>
                <th scope="row">
                  {t.name}
                  {!t.active && <span className="tag tag-muted">Not offered</span>}
                </th>
                <td>{t.durationMinutes} min</td>
                <td>{MODES.find((m) => m.value === t.mode)?.label ?? t.mode}</td>
                <td>{t.bookableOnline ? `Yes, up to ${t.horizonDays} days ahead` : "No, staff book it"}</td>
                <td>{ELIGIBILITY.find((e) => e.value === t.eligibility)?.label ?? t.eligibility}</td>
                <td>
                  <button type="button" className="small" onClick={() => edit(t)} aria-label={`Change ${t.name}`}>
                    Change
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form onSubmit={submit} noValidate className="form practice-form" aria-labelledby="type-form-title">
        <h2 id="type-form-title" ref={formTitle} tabIndex={-1}>
          {form.id ? `Change ${types.find((t) => t.id === form.id)?.name ?? "the appointment type"}` : "Add an appointment type"}
        </h2>
        <ErrorSummary problems={problems} labels={LABELS} />
        <Field name="name" label={LABELS.name!} hint="What patients see when they book, for example Follow-up visit." error={problems.name}>
          {(p) => <input {...p} value={form.name} onChange={setText("name")} autoComplete="off" />}
        </Field>
        {number("durationMinutes", "From 5 to 480.")}
        <Field name="mode" label={LABELS.mode!} error={problems.mode}>
          {(p) => (
            <select {...p} value={form.mode} onChange={(e) => setForm((f) => ({ ...f, mode: e.target.value as VisitMode }))}>
              {MODES.map((m) => (
                <option key={m.value} value={m.value}>
                  {m.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field name="eligibility" label={LABELS.eligibility!} error={problems.eligibility}>
          {(p) => (
            <select {...p} value={form.eligibility} onChange={(e) => setForm((f) => ({ ...f, eligibility: e.target.value as Eligibility }))}>
              {ELIGIBILITY.map((m) => (
                <option key={m.value} value={m.value}>
                  {m.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div className="check-field">
          <label className="checkbox" htmlFor="field-bookableOnline">
            <input
              id="field-bookableOnline"
              type="checkbox"
              checked={form.bookableOnline}
              onChange={(e) => setForm((f) => ({ ...f, bookableOnline: e.target.checked }))}
            />
            Patients can book it online in the portal
          </label>
        </div>
        <fieldset>
          <legend>Online booking window</legend>
          {number("minLeadMinutes", "How soon a patient can book: 120 means at least two hours from now. From 0 to 43,200 (30 days).")}
          {number("horizonDays", "How far ahead a patient can book. From 1 to 730.")}
        </fieldset>
        <fieldset>
          <legend>Free time kept around each visit</legend>
          {number("bufferBeforeMinutes", "For preparing the room. From 0 to 120.")}
          {number("bufferAfterMinutes", "For notes after the visit. From 0 to 120.")}
        </fieldset>
        <div className="check-field">
          <label className="checkbox" htmlFor="field-active">
            <input id="field-active" type="checkbox" checked={form.active} onChange={(e) => setForm((f) => ({ ...f, active: e.target.checked }))} />
            Offered now (untick to stop new bookings; booked visits stay)
          </label>
        </div>
        <div className="actions">
          <button type="submit" className="primary" disabled={pending}>
            {form.id ? "Save changes" : "Add appointment type"}
          </button>
          {form.id && (
            <button type="button" onClick={() => (setForm(EMPTY), setProblems({}))}>
              Cancel
            </button>
          )}
        </div>
      </form>
    </>
  );
}
