// Joining the portal: the code from the practice with the date of birth and an email (step
// 1), a password (step 2), then an offer of two-step verification (step 3, optional). A wrong
// code or date of birth brings the patient back to step 1 with everything they typed.
import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { graphql, post } from "@portico/client";
import { useAuth } from "../app/session";
import { useBrand } from "../app/brandContext";
import { PRACTICE_SLUG } from "../app/address";
import { useProblem } from "../app/problem";
import { useT } from "../i18n/I18n";
import { ErrorState, Field } from "../components/PageState";
import { Summary } from "./Summary";
import { DateOfBirth, EMPTY_DATE, isoDate, type DateParts } from "./DateOfBirth";
import { NewPassword } from "./NewPassword";
import { usePasswordMinimum } from "./policy";
import { TotpSetup } from "./TotpSetup";
import { AddPasskey } from "./AddPasskey";
import { passkeysSupported } from "../signin/webauthn";
import { errorId, useSentences, type Problem } from "./problems";
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


const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The code an invitation's link carries (`/activate#code=…`). */
function codeFromLink(): string {
  return /(?:^#|&)code=([A-Za-z0-9-]+)/.exec(window.location.hash)?.[1] ?? "";
}

export default function ActivatePage() {
  const { session, signedIn } = useAuth();
  const minLength = usePasswordMinimum();
  const [passkeyAdded, setPasskeyAdded] = useState<string | null>(null);
  const brand = useBrand();
  const t = useT();
  const describe = useProblem();
  const navigate = useNavigate();

  const [step, setStep] = useState<1 | 2 | 3>(1);
  const [code, setCode] = useState(codeFromLink);
  // Once read, the code leaves the address, so it stays out of the browser's history.
  useEffect(() => {
    if (codeFromLink()) window.history.replaceState(window.history.state, "", window.location.pathname + window.location.search);
  }, []);
  const [dob, setDob] = useState<DateParts>(EMPTY_DATE);
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [problems, setProblems] = useState<Problem[]>([]);
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const problemCount = useRef(0);
  problemCount.current = problems.length;
  // Each step is a new page for a screen reader: focus its heading.
  const heading = useRef<HTMLHeadingElement>(null);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    // With problems to show, the error summary takes the focus instead.
    if (problemCount.current === 0) heading.current?.focus();
  }, [step]);

  const sentences = useSentences()(problems);
  const errorFor = (field: string) => sentences.find((p) => p.field === field)?.sentence;

  const checkDetails = (): Problem[] =>
    [
      !code.trim() && { field: "code", id: "account.activate.required.code" },
      !isoDate(dob) && { field: "dob", id: dob.day || dob.month || dob.year ? "account.dob.invalid" : "account.dob.required" },
      !EMAIL.test(email.trim()) && { field: "email", id: email.trim() ? "error.INVALID_EMAIL" : "account.activate.required.email" },
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
    if ([...password].length < minLength) {
      setProblems([{ field: "password", id: "account.password.tooShort", values: { min: minLength } }]);
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
      const errorOn = (field: string) => payload.userErrors.find((u) => u.field === field);
      // The code and date of birth are checked together: say so on step 1, both marked.
      const back: Problem[] = [];
      if (errorOn("code")) back.push({ field: "code", id: "error.ACTIVATION_INVALID" });
      const emailError = errorOn("email");
      if (emailError) back.push({ field: "email", id: emailError.code === "CONFLICT" ? "account.activate.emailTaken" : errorId(emailError.code) });
      if (back.length) {
        setProblems(back);
        setStep(1);
        return;
      }
      const other = errorOn("password") ?? payload.userErrors[0];
      setProblems([{ field: "password", id: other ? errorId(other.code) : "error.INTERNAL" }]);
    } catch (error) {
      setFailure(error);
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
        {passkeysSupported() && (
          <section className="join-passkey" aria-labelledby="join-passkey">
            <h2 id="join-passkey">{t("passkey.join.title")}</h2>
            <p>{t("passkey.join.body")}</p>
            {passkeyAdded ? (
              <>
                <p className="notice" role="status">
                  {t("passkey.add.done", { name: passkeyAdded })}
                </p>
                <button type="button" className="button" onClick={() => navigate("/", { replace: true })}>
                  {t("passkey.join.continue")}
                </button>
              </>
            ) : (
              <AddPasskey onAdded={setPasskeyAdded} />
            )}
          </section>
        )}
      </>
    );
  }

  return (
    <>
      <p className="step-count">{t("account.activate.step", { step, total: 3 })}</p>
      <h1 ref={heading} tabIndex={-1}>{step === 1 ? t("account.activate.title", { practice: brand.displayName }) : t("account.activate.password.title")}</h1>
      <Summary problems={sentences} />
      {failure !== null && <ErrorState problem={describe(failure)} />}
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
