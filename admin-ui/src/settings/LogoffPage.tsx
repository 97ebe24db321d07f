// Automatic log-off: after how many minutes without activity staff and patients are signed
// out. New sign-ins follow a change; a failed save keeps what was typed.
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import { ErrorState, Field, LoadingState } from "../components/PageState";
import { minutesInWords, numberOrProblem, problemsFrom, SettingsForm, useOnce } from "./shared";

const SessionSettingsQuery = graphql(`
  query SettingsSession {
    sessionSettings {
      staffIdleMinutes
      patientIdleMinutes
    }
  }
`);

const Update = graphql(`
  mutation SettingsUpdateSession($input: UpdateSessionSettingsInput!) {
    updateSessionSettings(input: $input) {
      sessionSettings {
        staffIdleMinutes
        patientIdleMinutes
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const LABELS = { staffIdleMinutes: "Staff are signed out after", patientIdleMinutes: "Patients are signed out after" };
const RANGE = "Enter a whole number of minutes from 5 to 720 (12 hours).";
const SENTENCES = { INVALID_TIMEOUT: RANGE };

export default function LogoffPage() {
  const [{ data, error, fetching }, reload] = useQuery({ query: SessionSettingsQuery });
  return (
    <>
      <h1>Automatic log-off</h1>
      <p>
        To protect patients' information on shared or unattended computers, Portico signs people out after a time without activity. A
        minute before, it asks whether they are still there.
      </p>
      {error && !data && <ErrorState problem={problemOf(error)} retry={() => reload({ requestPolicy: "network-only" })} />}
      {fetching && !data && <LoadingState label="Loading automatic log-off" rows={3} />}
      {data && <LogoffForm staff={data.sessionSettings.staffIdleMinutes} patient={data.sessionSettings.patientIdleMinutes} />}
    </>
  );
}

function LogoffForm({ staff, patient }: { staff: number; patient: number }) {
  const [form, setForm] = useState({ staffIdleMinutes: String(staff), patientIdleMinutes: String(patient) });
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string | null>(null);
  const [, update] = useMutation(Update);
  const [pending, once] = useOnce();

  function submit() {
    void once(async () => {
      setSaved(null);
      const staffN = numberOrProblem(form.staffIdleMinutes, RANGE);
      const patientN = numberOrProblem(form.patientIdleMinutes, RANGE);
      const missing: Record<string, string> = {};
      if ("problem" in staffN) missing.staffIdleMinutes = staffN.problem;
      if ("problem" in patientN) missing.patientIdleMinutes = patientN.problem;
      setProblems(missing);
      if (!("value" in staffN) || !("value" in patientN)) return;
      const result = await update({ input: { staffIdleMinutes: staffN.value, patientIdleMinutes: patientN.value } });
      if (result.error) return setProblems({ _: problemOf(result.error).sentence });
      const payload = result.data?.updateSessionSettings;
      if (payload?.userErrors.length) return setProblems(problemsFrom(payload.userErrors, SENTENCES));
      const now = payload?.sessionSettings;
      if (now) {
        setForm({ staffIdleMinutes: String(now.staffIdleMinutes), patientIdleMinutes: String(now.patientIdleMinutes) });
        setSaved(
          `Saved. Staff are signed out after ${minutesInWords(now.staffIdleMinutes)} without activity, patients after ${minutesInWords(now.patientIdleMinutes)}. This applies from their next sign-in.`,
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
      id="logoff"
      title="Time without activity before signing out"
      about="People signed in now keep their current limit until they next sign in."
      problems={problems}
      labels={LABELS}
      saved={saved}
      pending={pending}
      submitLabel="Save automatic log-off"
      onSubmit={submit}
    >
      <Field
        name="staffIdleMinutes"
        label={`${LABELS.staffIdleMinutes} (minutes)`}
        hint="In the console. From 5 to 720 minutes; the usual is 15."
        error={problems.staffIdleMinutes}
      >
        {(p) => <input {...p} className="number" inputMode="numeric" value={form.staffIdleMinutes} onChange={set("staffIdleMinutes")} autoComplete="off" />}
      </Field>
      <Field
        name="patientIdleMinutes"
        label={`${LABELS.patientIdleMinutes} (minutes)`}
        hint="In the patient portal. From 5 to 720 minutes; the usual is 30."
        error={problems.patientIdleMinutes}
      >
        {(p) => <input {...p} className="number" inputMode="numeric" value={form.patientIdleMinutes} onChange={set("patientIdleMinutes")} autoComplete="off" />}
      </Field>
    </SettingsForm>
  );
}
