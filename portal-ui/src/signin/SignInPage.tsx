// Sign in with email and password, then the 6-digit code when the account has two-step
// verification. What was typed stays when something is wrong; the error summary says what.
import { useState, type FormEvent } from "react";
import { Link, Navigate, useLocation, useNavigate, useSearchParams } from "react-router";
import { ApiFailure } from "@portico/client";
import { useAuth } from "../app/session";
import { useBrand } from "../app/brandContext";
import { useProblem, type PortalProblem } from "../app/problem";
import { useT } from "../i18n/I18n";
import { ErrorState, ErrorSummary, Field } from "../components/PageState";
import { PasskeySignIn } from "./PasskeySignIn";

/** Where to go after signing in: a path inside this portal only. */
export function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export function SignInPage() {
  const { session, phase, signedIn } = useAuth();
  const brand = useBrand();
  const t = useT();
  const describe = useProblem();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const location = useLocation();
  const reason = (location.state as { reason?: string } | null)?.reason;
  const next = safeNext(params.get("next"));

  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [needsCode, setNeedsCode] = useState(false);
  const [missing, setMissing] = useState<{ field: string; sentence: string }[]>([]);
  const [problem, setProblem] = useState<PortalProblem | null>(null);
  const [busy, setBusy] = useState(false);

  if (phase.kind === "signed-in") return <Navigate to={next} replace />;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const gaps = [
      !email.trim() && { field: "email", sentence: t("signin.required.email") },
      !password && { field: "password", sentence: t("signin.required.password") },
      needsCode && !/^\d{6}$/.test(code.trim()) && { field: "code", sentence: t("signin.required.code") },
    ].filter((g): g is { field: string; sentence: string } => Boolean(g));
    setMissing(gaps);
    setProblem(null);
    if (gaps.length) return;
    setBusy(true);
    try {
      await session.signIn({ email: email.trim(), password, totpCode: needsCode ? code.trim() : null });
      signedIn();
      navigate(next, { replace: true });
    } catch (error) {
      if (error instanceof ApiFailure && error.code === "MFA_REQUIRED" && !needsCode) {
        setNeedsCode(true);
      } else {
        setProblem(describe(error));
      }
    } finally {
      setBusy(false);
    }
  };

  const fieldError = (field: string) => missing.find((m) => m.field === field)?.sentence;
  return (
    <>
      <h1>{t("signin.title", { practice: brand.displayName })}</h1>
      {reason === "ended" && (
        <p className="notice" role="status">
          {t("app.ended")}
        </p>
      )}
      {reason === "signed-out" && (
        <p className="notice" role="status">
          {t("app.signedOut")}
        </p>
      )}
      <ErrorSummary problems={missing} />
      {problem && <ErrorState problem={problem} />}
      <form onSubmit={submit} noValidate className="stack">
        <Field id="email" label={t("signin.email")} error={fieldError("email")}>
          {(describedBy, invalid) => (
            <input
              id="email"
              type="email"
              autoComplete="username webauthn"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              aria-describedby={describedBy}
              aria-invalid={invalid}
            />
          )}
        </Field>
        <Field id="password" label={t("signin.password")} error={fieldError("password")}>
          {(describedBy, invalid) => (
            <input
              id="password"
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              aria-describedby={describedBy}
              aria-invalid={invalid}
            />
          )}
        </Field>
        {needsCode && (
          <Field id="code" label={t("signin.code")} hint={t("signin.code.hint", { practice: brand.displayName })} error={fieldError("code")}>
            {(describedBy, invalid) => (
              <input
                id="code"
                inputMode="numeric"
                autoComplete="one-time-code"
                maxLength={6}
                autoFocus
                value={code}
                onChange={(e) => setCode(e.target.value)}
                aria-describedby={describedBy}
                aria-invalid={invalid}
              />
            )}
          </Field>
        )}
        <button type="submit" className="button" disabled={busy}>
          {busy ? t("signin.working") : t("signin.submit")}
        </button>
      </form>
      <PasskeySignIn next={next} />
      <ul className="links">
        <li>
          <Link to="/forgot-password">{t("signin.forgot")}</Link>
        </li>
        <li>
          <Link to="/activate">{t("signin.new")}</Link>
        </li>
      </ul>
    </>
  );
}
