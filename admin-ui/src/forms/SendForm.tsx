// "Send a form" on a chart: an active form and an optional due date, sent with `sendForm`
// (the patient is told there is a form to fill in, with nothing of it). Refusals are shown
// at the control they are about; the chart's list shows the request once sent.
import { useRef, useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import { ErrorSummary, Field } from "../components/PageState";
import { todayIn } from "../components/format";
import { problemsFrom, useOnce } from "../practice/shared";

const ActiveFormsQuery = graphql(`
  query SendableForms {
    forms {
      id
      title
      version
      status
    }
  }
`);

const Send = graphql(`
  mutation SendForm($input: SendFormInput!) {
    sendForm(input: $input) {
      formRequest {
        id
        status
        dueOn
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const LABELS: Record<string, string> = { formId: "Form", dueOn: "Due by" };
const SENTENCES: Record<string, string> = {
  FORM_NOT_ACTIVE: "This form is not active any more. Choose another, or ask a practice admin to activate it.",
  FORM_DUE_INVALID: "Choose a due date from today on, or leave it empty.",
};

export function SendForm({ patientId, timeZone, onSent }: { patientId: string; timeZone: string; onSent: () => void }) {
  const [open, setOpen] = useState(false);
  const [formId, setFormId] = useState("");
  const [dueOn, setDueOn] = useState("");
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [sent, setSent] = useState<string | null>(null);
  const [{ data, error }] = useQuery({ query: ActiveFormsQuery, pause: !open });
  const [, send] = useMutation(Send);
  const [pending, once] = useOnce();
  const title = useRef<HTMLHeadingElement>(null);
  const active = (data?.forms ?? []).filter((f) => f.status === "ACTIVE");

  function submit(event: FormEvent) {
    event.preventDefault();
    void once(async () => {
      setSent(null);
      if (!formId) return setProblems({ formId: "Choose the form to send." });
      setProblems({});
      const result = await send({ input: { formId, patientId, dueOn: dueOn || null } });
      const payload = result.data?.sendForm;
      if (result.error || !payload) return setProblems({ _: problemOf(result.error).sentence });
      if (payload.userErrors.length) return setProblems(problemsFrom(payload.userErrors, SENTENCES));
      const name = active.find((f) => f.id === formId)?.title ?? "The form";
      setSent(`${name} is sent. It waits for the patient under Forms in the portal.`);
      setFormId("");
      setDueOn("");
      onSent();
    });
  }

  if (!open) {
    return (
      <p className="record-open">
        <button
          type="button"
          aria-expanded="false"
          onClick={() => {
            setOpen(true);
            requestAnimationFrame(() => title.current?.focus());
          }}
        >
          Send a form
        </button>
      </p>
    );
  }
  return (
    <form onSubmit={submit} noValidate className="form practice-form send-form" aria-labelledby="send-form-title">
      <h3 id="send-form-title" ref={title} tabIndex={-1}>
        Send a form
      </h3>
      {sent && (
        <p className="notice" role="status">
          {sent}
        </p>
      )}
      <ErrorSummary problems={problems} labels={LABELS} />
      {error && !data ? (
        <p className="error-text">{problemOf(error).sentence}</p>
      ) : (
        <div className="field-grid">
          <Field name="formId" label={LABELS.formId!} error={problems.formId} hint={data && active.length === 0 ? "No form is active yet." : undefined}>
            {(p) => (
              <select {...p} value={formId} onChange={(e) => setFormId(e.target.value)}>
                <option value="">{data ? "Choose a form" : "Loading forms…"}</option>
                {active.map((f) => (
                  <option key={f.id} value={f.id}>
                    {f.title} (version {f.version})
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field name="dueOn" label={`${LABELS.dueOn} (optional)`} error={problems.dueOn}>
            {(p) => <input {...p} type="date" className="date" min={todayIn(timeZone)} value={dueOn} onChange={(e) => setDueOn(e.target.value)} />}
          </Field>
        </div>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={pending}>
          Send form
        </button>
        <button type="button" onClick={() => (setOpen(false), setProblems({}), setSent(null))}>
          Close
        </button>
      </div>
    </form>
  );
}
