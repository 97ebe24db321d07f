// The practice's locations: where visits happen. A list, and one form that adds a location
// or changes the one chosen; a failed save keeps everything typed.
import { useRef, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import { EmptyState, ErrorState, ErrorSummary, Field, LoadingState } from "../components/PageState";
import { problemsFrom, useOnce } from "./shared";

const LocationsQuery = graphql(`
  query PracticeLocations {
    locations(includeInactive: true) {
      id
      name
      address
      active
    }
  }
`);

const Save = graphql(`
  mutation PracticeSaveLocation($input: LocationInput!) {
    saveLocation(input: $input) {
      location {
        id
        name
        address
        active
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const LABELS: Record<string, string> = { name: "Name", address: "Address" };
const SENTENCES = {
  "name:INVALID_NAME": "Enter a name of 1 to 100 characters.",
  "address:TOO_LONG": "Shorten the address to 300 characters or fewer.",
};

interface Form {
  id: string | null;
  name: string;
  address: string;
  active: boolean;
}
const EMPTY: Form = { id: null, name: "", address: "", active: true };

export default function LocationsPage() {
  const [{ data, error, fetching }, reload] = useQuery({ query: LocationsQuery });
  const [form, setForm] = useState<Form>(EMPTY);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<{ name: string; added: boolean } | null>(null);
  const [, save] = useMutation(Save);
  const [pending, once] = useOnce();
  const formTitle = useRef<HTMLHeadingElement>(null);
  const refresh = () => reload({ requestPolicy: "network-only" });

  function edit(l: { id: string; name: string; address?: string | null; active: boolean }) {
    setForm({ id: l.id, name: l.name, address: l.address ?? "", active: l.active });
    setProblems({});
    setSaved(null);
    requestAnimationFrame(() => formTitle.current?.focus());
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    void once(async () => {
      const missing: Record<string, string> = {};
      if (!form.name.trim()) missing.name = "Enter the location's name, for example Main Street clinic.";
      setProblems(missing);
      setSaved(null);
      if (Object.keys(missing).length) return;
      const result = await save({ input: { id: form.id, name: form.name.trim(), address: form.address.trim() || null, active: form.active } });
      if (result.error) return setProblems({ _: problemOf(result.error).sentence });
      const payload = result.data?.saveLocation;
      if (payload?.userErrors.length) return setProblems(problemsFrom(payload.userErrors, SENTENCES));
      if (payload?.location) {
        setSaved({ name: payload.location.name, added: form.id === null });
        setForm(EMPTY);
        refresh();
      }
    });
  }

  const locations = data?.locations ?? [];
  return (
    <>
      <p>
        <Link to="/setup">Back to set-up</Link>
      </p>
      <h1>Locations</h1>
      <p>Where visits happen. Patients see the name and address when they book and in their reminders.</p>
      {saved && (
        <p className="notice" role="status">
          {saved.added ? `${saved.name} is added.` : `${saved.name} is saved.`}
        </p>
      )}
      {error && !data && <ErrorState problem={problemOf(error)} retry={refresh} />}
      {fetching && !data && <LoadingState label="Loading locations" rows={3} />}
      {data && locations.length === 0 && <EmptyState title="No locations yet.">Add the first one with the form below.</EmptyState>}
      {locations.length > 0 && (
        <table className="data-table">
          <caption className="visually-hidden">Locations</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Address</th>
              <th scope="col">Open for booking</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {locations.map((l) => (
              <tr key={l.id}>
                <th scope="row">{l.name}</th>
                <td className="pre-line">{l.address ?? <span className="muted">None given</span>}</td>
                <td>{l.active ? "Yes" : "No, closed"}</td>
                <td>
                  <button type="button" className="small" onClick={() => edit(l)} aria-label={`Change ${l.name}`}>
                    Change
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form onSubmit={submit} noValidate className="form practice-form" aria-labelledby="location-form-title">
        <h2 id="location-form-title" ref={formTitle} tabIndex={-1}>
          {form.id ? `Change ${locations.find((l) => l.id === form.id)?.name ?? "the location"}` : "Add a location"}
        </h2>
        <ErrorSummary problems={problems} labels={LABELS} />
        <Field name="name" label={LABELS.name!} hint="The name patients know it by, for example Main Street clinic." error={problems.name}>
          {(p) => <input {...p} value={form.name} onChange={(e) => setForm((f) => ({ ...f, name: e.target.value }))} autoComplete="off" />}
        </Field>
        <Field name="address" label={`${LABELS.address} (optional)`} hint="Street, town and postcode, on as many lines as you need." error={problems.address}>
          {(p) => <textarea {...p} rows={3} value={form.address} onChange={(e) => setForm((f) => ({ ...f, address: e.target.value }))} autoComplete="off" />}
        </Field>
        <div className="check-field">
          <label className="checkbox" htmlFor="field-active">
            <input id="field-active" type="checkbox" checked={form.active} onChange={(e) => setForm((f) => ({ ...f, active: e.target.checked }))} />
            Open for booking
          </label>
        </div>
        <div className="actions">
          <button type="submit" className="primary" disabled={pending}>
            {form.id ? "Save changes" : "Add location"}
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
