// Joining the portal: the code from the practice with the date of birth and an email (step
// 1), a password (step 2), then an offer of two-step verification (step 3, optional). A wrong
// code or date of birth brings the patient back to step 1 with everything they typed.
import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { graphql, post } from "@portico/client";
import { useAuth } from "../app/session";
import { useBrand } from "../app/brandContext";
import { PRACTICE_SLUG } from "../app/address";
import { useFieldProblems, useProblem, type PortalProblem } from "../app/problem";
import { useT } from "../i18n/I18n";
import { ErrorState, ErrorSummary, Field } from "../components/PageState";
import { DateOfBirth, EMPTY_DATE, isoDate, type DateParts } from "./DateOfBirth";
import { NewPassword } from "./NewPassword";
import { MIN_PASSWORD_LENGTH } from "./password";
import { TotpSetup } from "./TotpSetup";
import "./account.css";

const Activate = graphql(`
  mutation AccountActivate($input: ActivatePatientAccountInput!) {
    activatePatientAccount(input: $input) {
      session {
        accessToken
        accessTokenExpiresAt
        refreshTokenExpiresAt
        mfaEnrolmentRequired
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

type Problem = { field: string; sentence: string };
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export default function ActivatePage() {
  const { session, signedIn } = useAuth();
  const brand = useBrand();
  const t = useT();
  const describe = useProblem();
  const fieldProblems = useFieldProblems();
  const navigate = useNavigate();

  const [step, setStep] = useState<1 | 2 | 3>(1);
  const [code, setCode] = useState("");
  const [dob, setDob] = useState<DateParts>(EMPTY_DATE);
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [problems, setProblems] = useState<Problem[]>([]);
  const [failure, setFailure] = useState<PortalProblem | null>(null);
  const [busy, setBusy] = useState(false);

  // Each step is a new page for a screen reader: focus its heading.
  const heading = useRef<HTMLHeadingElement>(null);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    heading.current?.focus();
  }, [step]);

  const errorFor = (field: string) => problems.find((p) => p.field === field)?.sentence;

  const checkDetails = (): Problem[] =>
    [
      !code.trim() && { field: "code", sentence: t("account.activate.required.code") },
      !isoDate(dob) && {
        field: "dob",
        sentence: dob.day || dob.month || dob.year ? t("account.dob.invalid") : t("account.dob.required"),
      },
      !EMAIL.test(email.trim()) && {
        field: "email",
        sentence: email.trim() ? t("error.INVALID_EMAIL") : t("account.activate.required.email"),
      },
    ].filter((p): p is Problem => Boolean(p));

  const toPassword = (e: FormEvent) => {
    e.preventDefault();
    const found = checkDetails();
    setProblems(found);
    setFailure(null);
    if (!found.length) setStep(2);
  };

  const activate = async (e: FormEvent) => {
    e.preventDefault();
    setFailure(null);
    if ([...password].length < MIN_PASSWORD_LENGTH) {
      setProblems([{ field: "password", sentence: t("account.password.tooShort", { min: MIN_PASSWORD_LENGTH }) }]);
      return;
    }
    setProblems([]);
    setBusy(true);
    try {
      const data = await post(
        Activate,
        { input: { code: code.trim().toUpperCase(), birthDate: isoDate(dob) ?? "", email: email.trim(), password } },
        PRACTICE_SLUG,
      );
      const payload = data.activatePatientAccount;
      if (payload.session) {
        session.accept(payload.session);
        signedIn();
        setStep(3);
        return;
      }
      const byField = fieldProblems(payload.userErrors);
      // The code and date of birth are checked together: say so beside both, on step 1.
      const back: Problem[] = [];
      if (byField.code) back.push({ field: "code", sentence: t("error.ACTIVATION_INVALID") });
      const emailError = payload.userErrors.find((u) => u.field === "email");
      if (emailError) back.push({ field: "email", sentence: emailError.code === "CONFLICT" ? t("account.activate.emailTaken") : (byField.email ?? "") });
      if (back.length) {
        setProblems(back);
        setStep(1);
        return;
      }
      setProblems([{ field: "password", sentence: byField.password ?? Object.values(byField)[0] ?? t("error.INTERNAL") }]);
    } catch (error) {
      setFailure(describe(error));
    } finally {
      setBusy(false);
    }
  };

  if (step === 3) {
    return (
      <>
        <h1 ref={heading} tabIndex={-1}>{t("account.activate.done.title")}</h1>
        <p className="notice notice-ok" role="status">
          {t("account.activate.done.body", { practice: brand.displayName })}
        </p>
        <TotpSetup onSkip={() => navigate("/", { replace: true })} onDone={() => navigate("/", { replace: true })} />
      </>
    );
  }

  return (
    <>
      <p className="step-count">{t("account.activate.step", { step, total: 3 })}</p>
      <h1 ref={heading} tabIndex={-1}>{step === 1 ? t("account.activate.title", { practice: brand.displayName }) : t("account.activate.password.title")}</h1>
      <ErrorSummary problems={problems} />
      {failure && <ErrorState problem={failure} />}
      {step === 1 ? (
        <form onSubmit={toPassword} noValidate className="stack">
          <p>{t("account.activate.lead")}</p>
          <Field id="code" label={t("account.activate.code")} hint={t("account.activate.code.hint")} error={errorFor("code")}>
            {(describedBy, invalid) => (
              <input
                id="code"
                autoComplete="off"
                autoCapitalize="characters"
                spellCheck={false}
                value={code}
                onChange={(e) => setCode(e.target.value)}
                aria-describedby={describedBy}
                aria-invalid={invalid}
                className="medium-input"
              />
            )}
          </Field>
          <DateOfBirth id="dob" value={dob} onChange={setDob} error={errorFor("dob")} highlight={Boolean(errorFor("code"))} />
          <Field id="email" label={t("account.activate.email")} hint={t("account.activate.email.hint")} error={errorFor("email")}>
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
          <button type="submit" className="button">
            {t("account.activate.continue")}
          </button>
          <ul className="links">
            <li>
              <Link to="/sign-in">{t("account.activate.haveAccount")}</Link>
            </li>
          </ul>
        </form>
      ) : (
        <form onSubmit={activate} noValidate className="stack">
          <p>{t("account.activate.password.lead", { email: email.trim() })}</p>
          <NewPassword id="password" value={password} onChange={setPassword} error={errorFor("password")} personal={[email.split("@")[0] ?? ""]} />
          <div className="actions">
            <button type="submit" className="button" disabled={busy}>
              {busy ? t("account.activate.working") : t("account.activate.submit")}
            </button>
            <button type="button" className="button secondary" onClick={() => { setProblems([]); setStep(1); }}>
              {t("account.back")}
            </button>
          </div>
        </form>
      )}
    </>
  );
}
