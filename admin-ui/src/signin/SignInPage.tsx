// Sign in to one practice's console: practice, email, password and the 6-digit code.
// A failed attempt keeps what was typed (except the code, which is single-use).
import { useState, type FormEvent } from "react";
import { problemOf, SessionStore } from "@portico/client";
import { ErrorSummary, Field } from "../components/PageState";

const LABELS = { practice: "Practice", email: "Email", password: "Password", totpCode: "Code from your app" };

export function SignInPage({
  practice,
  ended,
  unconfirmed = false,
  onSignedIn,
  store,
}: {
  practice: string | null;
  ended: boolean;
  /** Signed out in this tab, but Portico could not be reached to end the session there. */
  unconfirmed?: boolean;
  onSignedIn: (store: SessionStore) => void;
  /** Sign in again to this session's practice (the page behind keeps its state). */
  store?: SessionStore;
}) {
  return (
    <div className="sign-in-layout">
      <main id="main" className="sign-in-card">
        <h1>Sign in to the Portico console</h1>
        {ended && (
          <p className="notice" role="status">
            You were signed out. Sign in again to continue.
          </p>
        )}
        {unconfirmed && (
          <p className="banner banner-warning" role="status">
            You are signed out on this device, but Portico could not be reached to end the session. It ends by itself after the
            practice's automatic log-off time; on a shared computer, close the browser.
          </p>
        )}
        <SignInForm practice={practice} onSignedIn={onSignedIn} store={store} />
        {!store && (
          <p>
            New to Portico? <a href="/console/create-practice">Create a practice</a>
          </p>
        )}
      </main>
    </div>
  );
}

export function SignInForm({
  practice,
  onSignedIn,
  store,
  email: knownEmail,
  idPrefix = "",
}: {
  practice: string | null;
  onSignedIn: (store: SessionStore) => void;
  store?: SessionStore;
  email?: string;
  /** Keeps the fields' ids unique when the form opens over a page that has its own. */
  idPrefix?: string;
}) {
  const [slug, setSlug] = useState(store?.tenant ?? practice ?? "");
  const [email, setEmail] = useState(knownEmail ?? "");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    const missing: Record<string, string> = {};
    if (!store && !slug.trim()) missing.practice = "Enter your practice's short name, as in its web address.";
    if (!email.trim()) missing.email = "Enter your email address.";
    if (!password) missing.password = "Enter your password.";
    setProblems(missing);
    if (Object.keys(missing).length > 0) return;
    setBusy(true);
    const target = store ?? new SessionStore(slug.trim().toLowerCase());
    try {
      // Six digits are a code from the app; anything else is taken as a recovery code.
      const entered = code.trim();
      const fromApp = /^\d{6}$/.test(entered);
      await target.signIn({
        email: email.trim(),
        password,
        totpCode: fromApp ? entered : null,
        recoveryCode: entered && !fromApp ? entered : null,
      });
      onSignedIn(target);
    } catch (e) {
      const problem = problemOf(e);
      setCode("");
      setProblems(problem.code === "TENANT_NOT_FOUND" ? { practice: problem.sentence } : { _: problem.sentence });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate>
      <ErrorSummary problems={problems} labels={LABELS} />
      {!store && (
        <Field name={`${idPrefix}practice`} label={LABELS.practice} hint="The short name in your practice's web address, for example lakeside." error={problems.practice}>
          {(p) => <input {...p} value={slug} onChange={(e) => setSlug(e.target.value)} autoComplete="organization" autoCapitalize="none" spellCheck={false} />}
        </Field>
      )}
      <Field name={`${idPrefix}email`} label={LABELS.email} error={problems.email}>
        {(p) => <input {...p} type="email" value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="username" />}
      </Field>
      <Field name={`${idPrefix}password`} label={LABELS.password} error={problems.password}>
        {(p) => <input {...p} type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" />}
      </Field>
      <Field name={`${idPrefix}totpCode`} label={LABELS.totpCode} hint="The 6-digit code, if you have set up two-step verification, or one of your recovery codes." error={problems.totpCode}>
        {(p) => <input {...p} value={code} onChange={(e) => setCode(e.target.value)} autoComplete="one-time-code" autoCapitalize="none" spellCheck={false} maxLength={64} />}
      </Field>
      <button type="submit" className="primary" disabled={busy} aria-disabled={busy}>
        {busy ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
