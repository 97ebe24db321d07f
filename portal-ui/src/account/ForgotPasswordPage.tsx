// "Forgot your password?": an email address, and always the same answer, so the page never
// tells whether an address has an account.
import { useState, type FormEvent } from "react";
import { Link } from "react-router";
import { graphql, post } from "@portico/client";
import { PRACTICE_SLUG } from "../app/address";
import { useProblem } from "../app/problem";
import type { MessageId } from "../i18n/catalog";
import { useT } from "../i18n/I18n";
import { ErrorState, Field } from "../components/PageState";
import { Summary } from "./Summary";
import "./account.css";

const RequestReset = graphql(`
  mutation AccountRequestReset($email: String!) {
    requestPasswordReset(input: { email: $email }) {
      accepted
    }
  }
`);

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export default function ForgotPasswordPage() {
  const t = useT();
  const describe = useProblem();
  const [email, setEmail] = useState("");
  const [errorId, setError] = useState<MessageId | undefined>();
  const error = errorId && t(errorId);
  const [failure, setFailure] = useState<unknown>(null);
  const [sent, setSent] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setFailure(null);
    const value = email.trim();
    if (!EMAIL.test(value)) {
      setError(value ? "error.INVALID_EMAIL" : "account.activate.required.email");
      return;
    }
    setError(undefined);
    setBusy(true);
    try {
      await post(RequestReset, { email: value }, PRACTICE_SLUG);
      setSent(value);
    } catch (err) {
      setFailure(err);
    } finally {
      setBusy(false);
    }
  };

  if (sent) {
    return (
      <>
        <h1>{t("account.forgot.sent.title")}</h1>
        <p className="notice" role="status">
          {t("account.forgot.sent.body", { email: sent })}
        </p>
        <p>{t("account.forgot.sent.next")}</p>
        <ul className="links">
          <li>
            <button type="button" className="link-button" onClick={() => setSent(null)}>
              {t("account.forgot.again")}
            </button>
          </li>
          <li>
            <Link to="/sign-in">{t("account.backToSignIn")}</Link>
          </li>
        </ul>
      </>
    );
  }

  return (
    <>
      <h1>{t("account.forgot.title")}</h1>
      <p>{t("account.forgot.lead")}</p>
      <Summary problems={error ? [{ field: "email", sentence: error }] : []} />
      {failure !== null && <ErrorState problem={describe(failure)} />}
      <form onSubmit={submit} noValidate className="stack">
        <Field id="email" label={t("signin.email")} error={error}>
          {(describedBy, invalid) => (
            <input
              id="email"
              type="email"
              autoComplete="email"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              aria-describedby={describedBy}
              aria-invalid={invalid}
            />
          )}
        </Field>
        <button type="submit" className="button" disabled={busy}>
          {busy ? t("account.forgot.sending") : t("account.forgot.submit")}
        </button>
      </form>
      <ul className="links">
        <li>
          <Link to="/sign-in">{t("account.backToSignIn")}</Link>
        </li>
      </ul>
    </>
  );
}
