// Which visit types ask for a form: a checkbox per visit type, each change saved at once
// with `attachForm` (a booking of a ticked type asks the patient for the form's newest
// active version, once per visit).
import { useState } from "react";
import { useMutation } from "urql";
import { graphql, problemOf } from "@portico/client";
import type { FormStatus } from "@portico/client/gql/graphql";
import { ErrorState, LoadingState } from "../components/PageState";
import { useOnce } from "../practice/shared";
import { useAttachments } from "./attachments";

const Attach = graphql(`
  mutation AttachForm($input: AttachFormInput!) {
    attachForm(input: $input) {
      forms {
        id
        url
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export function AttachPanel({ form }: { form: { id: string; url: string; title: string; status: FormStatus } }) {
  const attachments = useAttachments();
  const [, attach] = useMutation(Attach);
  // No control is disabled while a change is saved (focus would be lost); one at a time.
  const [, once] = useOnce();
  const [notice, setNotice] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  function toggle(typeId: string, name: string, attached: boolean) {
    void once(async () => {
      // The box shows the change at once; a refusal puts it back and says why.
      const before = attachments.byType?.[typeId] ?? [];
      attachments.replace(typeId, attached ? [...before, form.url] : before.filter((u) => u !== form.url));
      setNotice(null);
      setProblem(null);
      const result = await attach({ input: { appointmentTypeId: typeId, formId: form.id, attached } });
      const payload = result.data?.attachForm;
      if (result.error || !payload || payload.userErrors.length) {
        attachments.replace(typeId, before);
        return setProblem(result.error || !payload ? problemOf(result.error).sentence : payload.userErrors[0]!.message);
      }
      attachments.replace(
        typeId,
        payload.forms.map((f) => f.url),
      );
      setNotice(attached ? `Patients booking ${name} are now asked for ${form.title}.` : `${name} no longer asks for ${form.title}.`);
    });
  }

  return (
    <section className="practice-form attach-panel" aria-labelledby="attach-title">
      <h2 id="attach-title">Visit types that ask for it</h2>
      {attachments.problem && !attachments.byType ? (
        <ErrorState problem={attachments.problem} retry={attachments.reload} />
      ) : !attachments.types || !attachments.byType ? (
        <LoadingState label="Loading visit types" rows={3} />
      ) : attachments.types.length === 0 ? (
        <p>The practice has no visit types yet. Add them under Appointment types first.</p>
      ) : (
        <fieldset className="visit-types" aria-describedby="attach-hint">
          <legend>Ask for this form when a patient books…</legend>
          <p className="hint" id="attach-hint">
            Saved as you tick. Each booking asks once{form.status === "ACTIVE" ? "." : ", and only while the form is active."}
          </p>
          {attachments.types.map((t) => {
            const checked = attachments.byType?.[t.id]?.includes(form.url) ?? false;
            return (
              <label key={t.id} className="checkbox" htmlFor={`attach-${t.id}`}>
                <input
                  id={`attach-${t.id}`}
                  type="checkbox"
                  checked={checked}
                  onChange={(e) => toggle(t.id, t.name, e.target.checked)}
                />
                {t.name}
                {!t.active && <span className="tag tag-muted">not offered</span>}
              </label>
            );
          })}
        </fieldset>
      )}
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      {problem && (
        <p className="error-text" role="alert">
          {problem}
        </p>
      )}
    </section>
  );
}
