// Changing the password while signed in: the current one, then a new one with the strength
// meter. Every other session ends (the API says how many); this one goes on.
import { useState, type FormEvent } from "react";
import { useMutation } from "urql";
import { graphql } from "@portico/client";
import { useFieldProblems, useProblem, type PortalProblem } from "../app/problem";
import { useT } from "../i18n/I18n";
import { ErrorState, ErrorSummary, Field } from "../components/PageState";
import { NewPassword } from "./NewPassword";
import { usePasswordMinimum } from "./policy";
import { usePortal } from "../app/portal";

const Change = graphql(`
  mutation ChangeMyPassword($input: ChangePasswordInput!) {
    changePassword(input: $input) {
      changed
      endedSessions
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export function ChangePasswordSection() {
  const t = useT();
  const { me } = usePortal();
  const describe = useProblem();
  const fieldProblems = useFieldProblems();
  const minLength = usePasswordMinimum();
  const [, change] = useMutation(Change);
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<PortalProblem | null>(null);
  const [done, setDone] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    setDone(null);
    const missing: Record<string, string> = {};
    if (!current) missing.currentPassword = t("account.changePassword.required.current");
    if (!next) missing.newPassword = t("account.changePassword.required.new");
    else if ([...next].length < minLength) missing.newPassword = t("account.password.tooShort", { min: minLength });
    setErrors(missing);
    if (Object.keys(missing).length) return;
    setBusy(true);
    try {
      // The sessions list (SessionsSection) is refetched: the other sessions have ended.
      const result = await change({ input: { currentPassword: current, newPassword: next } }, { additionalTypenames: ["SignedInSession"] });
      const payload = result.data?.changePassword;
      if (result.error) setProblem(describe(result.error));
      else if (payload?.userErrors.length) setErrors(fieldProblems(payload.userErrors));
      else if (payload?.changed) {
        setDone(payload.endedSessions);
        setCurrent("");
        setNext("");
      }
    } finally {
      setBusy(false);
    }
  };

  const summary = Object.entries(errors).map(([field, sentence]) => ({ field: field === "_" ? undefined : field === "currentPassword" ? "current-password" : "new-password", sentence }));
  return (
    <section className="card" aria-labelledby="security-password">
      <h2 id="security-password">{t("account.changePassword.title")}</h2>
      {done !== null && (
        <p className="notice" role="status">
          {t("account.changePassword.done", { count: done })}
        </p>
      )}
      {problem && <ErrorState problem={problem} />}
      <ErrorSummary problems={summary} />
      <form onSubmit={submit} noValidate className="stack">
        <Field id="current-password" label={t("account.changePassword.current")} error={errors.currentPassword}>
          {(describedBy, invalid) => (
            <input
              id="current-password"
              type="password"
              autoComplete="current-password"
              value={current}
              onChange={(e) => setCurrent(e.target.value)}
              aria-describedby={describedBy}
              aria-invalid={invalid}
            />
          )}
        </Field>
        <NewPassword id="new-password" value={next} onChange={setNext} error={errors.newPassword} personal={[me.email, me.displayName]} />
        <button type="submit" className="button" disabled={busy}>
          {busy ? t("account.changePassword.working") : t("account.changePassword.submit")}
        </button>
      </form>
    </section>
  );
}
