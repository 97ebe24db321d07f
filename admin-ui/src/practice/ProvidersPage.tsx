// The practice's providers: who patients book with. A list, and one form that adds a
// provider or changes the one chosen; a failed save keeps everything typed.
import { useRef, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import { EmptyState, ErrorState, ErrorSummary, Field, LoadingState } from "../components/PageState";
import { problemsFrom, useOnce } from "./shared";

const ProvidersQuery = graphql(`
  query PracticeProviders {
    providers(includeInactive: true) {
      id
      displayName
      specialty
      active
      weeklyAvailability {
        weekday
      }
    }
  }
`);

const Save = graphql(`
  mutation PracticeSaveProvider($input: ProviderInput!) {
    saveProvider(input: $input) {
      provider {
        id
        displayName
        specialty
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

const LABELS: Record<string, string> = { displayName: "Name patients see", specialty: "Specialty", active: "Bookable" };
const SENTENCES = {
  "displayName:INVALID_NAME": "Enter a name of 1 to 100 characters.",
  "specialty:TOO_LONG": "Shorten the specialty.",
};

interface Form {
  id: string | null;
  displayName: string;
  specialty: string;
  active: boolean;
}
const EMPTY: Form = { id: null, displayName: "", specialty: "", active: true };

export default function ProvidersPage() {
  const [{ data, error, fetching }, reload] = useQuery({ query: ProvidersQuery });
  const [form, setForm] = useState<Form>(EMPTY);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<{ name: string; added: boolean } | null>(null);
  const [, save] = useMutation(Save);
  const [pending, once] = useOnce();
  const formTitle = useRef<HTMLHeadingElement>(null);
  const refresh = () => reload({ requestPolicy: "network-only" });

  function edit(p: { id: string; displayName: string; specialty?: string | null; active: boolean }) {
    setForm({ id: p.id, displayName: p.displayName, specialty: p.specialty ?? "", active: p.active });
    setProblems({});
    setSaved(null);
    requestAnimationFrame(() => formTitle.current?.focus());
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    void once(async () => {
      const missing: Record<string, string> = {};
      if (!form.displayName.trim()) missing.displayName = "Enter the provider's name as patients should see it, for example Dr. Ana Reyes.";
      setProblems(missing);
      setSaved(null);
      if (Object.keys(missing).length) return;
      const result = await save({
        input: { id: form.id, displayName: form.displayName.trim(), specialty: form.specialty.trim() || null, active: form.active },
      });
      if (result.error) return setProblems({ _: problemOf(result.error).sentence });
      const payload = result.data?.saveProvider;
      if (payload?.userErrors.length) return setProblems(problemsFrom(payload.userErrors, SENTENCES));
      if (payload?.provider) {
        setSaved({ name: payload.provider.displayName, added: form.id === null });
        setForm(EMPTY);
        refresh();
      }
    });
  }

  const providers = data?.providers ?? [];
  return (
    <>
      <p>
        <Link to="/setup">Back to set-up</Link>
      </p>
      <h1>Providers</h1>
      <p>The people patients book visits with. After adding a provider, set their weekly hours.</p>
      {saved && (
        <p className="notice" role="status">
          {saved.added ? `${saved.name} is added.` : `${saved.name} is saved.`}{" "}
          <Link to="/practice/hours">Set weekly hours</Link>
        </p>
      )}
      {error && !data && <ErrorState problem={problemOf(error)} retry={refresh} />}
      {fetching && !data && <LoadingState label="Loading providers" rows={3} />}
      {data && providers.length === 0 && (
        <EmptyState title="No providers yet.">Add the first one with the form below. Patients can book once a provider has weekly hours.</EmptyState>
      )}
      {providers.length > 0 && (
        <table className="data-table">
          <caption className="visually-hidden">Providers</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Specialty</th>
              <th scope="col">Bookable</th>
              <th scope="col">Weekly hours</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {providers.map((p) => (
              <tr key={p.id}>
                <th scope="row">{p.displayName}</th>
                <td>{p.specialty ?? <span className="muted">None given</span>}</td>
                <td>{p.active ? "Yes" : "No, hidden from booking"}</td>
                <td>
                  {p.weeklyAvailability.length > 0 ? (
                    `${new Set(p.weeklyAvailability.map((w) => w.weekday)).size} days a week`
                  ) : (
                    <Link to={`/practice/hours?provider=${encodeURIComponent(p.id)}`}>None yet: set them</Link>
                  )}
                </td>
                <td>
                  <button type="button" className="small" onClick={() => edit(p)} aria-label={`Change ${p.displayName}`}>
                    Change
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form onSubmit={submit} noValidate className="form practice-form" aria-labelledby="provider-form-title">
        <h2 id="provider-form-title" ref={formTitle} tabIndex={-1}>
          {form.id ? `Change ${providers.find((p) => p.id === form.id)?.displayName ?? "the provider"}` : "Add a provider"}
        </h2>
        <ErrorSummary problems={problems} labels={LABELS} />
        <Field name="displayName" label={LABELS.displayName!} hint="With the title patients know them by, for example Dr. Ana Reyes." error={problems.displayName}>
          {(p) => <input {...p} value={form.displayName} onChange={(e) => setForm((f) => ({ ...f, displayName: e.target.value }))} autoComplete="off" />}
        </Field>
        <Field name="specialty" label={`${LABELS.specialty} (optional)`} hint="For example Family medicine." error={problems.specialty}>
          {(p) => <input {...p} value={form.specialty} onChange={(e) => setForm((f) => ({ ...f, specialty: e.target.value }))} autoComplete="off" />}
        </Field>
        <div className="check-field">
          <label className="checkbox" htmlFor="field-active">
            <input
              id="field-active"
              type="checkbox"
              checked={form.active}
              onChange={(e) => setForm((f) => ({ ...f, active: e.target.checked }))}
            />
            Patients can book with this provider
          </label>
        </div>
        <div className="actions">
          <button type="submit" className="primary" disabled={pending}>
            {form.id ? "Save changes" : "Add provider"}
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
