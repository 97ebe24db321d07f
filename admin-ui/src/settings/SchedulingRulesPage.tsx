// Scheduling rules: how close to a visit patients may still cancel or move it in the portal,
// with the time zone every calendar of the practice uses.
import { useState } from "react";
import { Link } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import { ErrorState, Field, LoadingState } from "../components/PageState";
import { hoursInWords, numberOrProblem, problemsFrom, SettingsForm, useOnce } from "./shared";

const SchedulingQuery = graphql(`
  query SettingsScheduling {
    schedulingSettings {
      timeZone
      cancellationWindowHours
    }
  }
`);

const Update = graphql(`
  mutation SettingsUpdateScheduling($input: UpdateSchedulingSettingsInput!) {
    updateSchedulingSettings(input: $input) {
      schedulingSettings {
        timeZone
        cancellationWindowHours
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const LABELS = { cancellationWindowHours: "Cancellation window" };
const RANGE = "Enter a whole number of hours from 0 to 336 (two weeks).";

export default function SchedulingRulesPage() {
  const [{ data, error, fetching }, reload] = useQuery({ query: SchedulingQuery });
  return (
    <>
      <h1>Scheduling rules</h1>
      <p>
        What patients may do with their own visits in the portal. Hours, visit types and time off are in{" "}
        <Link to="/practice/hours">Weekly hours</Link>, <Link to="/practice/appointment-types">Appointment types</Link> and{" "}
        <Link to="/practice/time-off">Time off</Link>.
      </p>
      {error && !data && <ErrorState problem={problemOf(error)} retry={() => reload({ requestPolicy: "network-only" })} />}
      {fetching && !data && <LoadingState label="Loading scheduling rules" rows={3} />}
      {data && <CancellationWindow hours={data.schedulingSettings.cancellationWindowHours} timeZone={data.schedulingSettings.timeZone} />}
    </>
  );
}

function CancellationWindow({ hours, timeZone }: { hours: number; timeZone: string }) {
  const [text, setText] = useState(String(hours));
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string | null>(null);
  const [, update] = useMutation(Update);
  const [pending, once] = useOnce();

  function submit() {
    void once(async () => {
      setSaved(null);
      const n = numberOrProblem(text, RANGE);
      if ("problem" in n) return setProblems({ cancellationWindowHours: n.problem });
      setProblems({});
      const r = await update({ input: { cancellationWindowHours: n.value } });
      if (r.error) return setProblems({ _: problemOf(r.error).sentence });
      const payload = r.data?.updateSchedulingSettings;
      if (payload?.userErrors.length) return setProblems(problemsFrom(payload.userErrors, { OUT_OF_RANGE: RANGE }));
      const now = payload?.schedulingSettings?.cancellationWindowHours;
      if (now !== undefined) {
        setText(String(now));
        setSaved(
          now === 0
            ? "Saved. Patients can cancel or move a visit in the portal up to its start."
            : `Saved. Within ${hoursInWords(now)} of a visit, patients must call to cancel or move it.`,
        );
      }
    });
  }

  return (
    <SettingsForm
      id="cancellation"
      title="Cancelling and moving visits"
      about={`Your calendars are in the ${timeZone} time zone.`}
      problems={problems}
      labels={LABELS}
      saved={saved}
      pending={pending}
      submitLabel="Save scheduling rules"
      onSubmit={submit}
    >
      <Field
        name="cancellationWindowHours"
        label={`${LABELS.cancellationWindowHours} (hours before the visit)`}
        hint="Inside this many hours before a visit, the portal no longer lets patients cancel or move it; they call instead. From 0 (up to the start) to 336 hours (two weeks); the usual is 24."
        error={problems.cancellationWindowHours}
      >
        {(p) => <input {...p} className="number" inputMode="numeric" value={text} onChange={(e) => setText(e.target.value)} autoComplete="off" />}
      </Field>
    </SettingsForm>
  );
}
