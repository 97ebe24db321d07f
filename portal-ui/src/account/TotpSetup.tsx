// Turning on two-step verification with an authenticator app: a new secret (as text grouped
// in fours, and as a link that opens the app on a phone), one code to prove it works, then
// the recovery codes, shown once. Used after activation and on the security page.
import { useState, type FormEvent } from "react";
import { ApiFailure, graphql, post } from "@portico/client";
import { useAuth } from "../app/session";
import { useBrand } from "../app/brandContext";
import { useProblem } from "../app/problem";
import type { MessageId } from "../i18n/catalog";
import { errorId } from "./problems";
import { useT } from "../i18n/I18n";
import { ErrorState, Field, LoadingState } from "../components/PageState";
import { Summary } from "./Summary";
import { PRACTICE_SLUG } from "../app/address";
import { qrPath } from "./qr";

const BeginTotp = graphql(`
  mutation AccountBeginTotp {
    beginTotpEnrolment {
      enrolment {
        secret
        otpauthUri
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const ConfirmTotp = graphql(`
  mutation AccountConfirmTotp($code: String!) {
    confirmTotpEnrolment(input: { code: $code }) {
      session {
        accessToken
        accessTokenExpiresAt
        refreshTokenExpiresAt
        mfaEnrolmentRequired
      }
      recoveryCodes
      userErrors {
        field
        code
        message
      }
    }
  }
`);

/** "JBSW Y3DP EHPK 3PXP": easier to read and type. */
export function groupInFours(secret: string): string {
  return (secret.replace(/\s/g, "").match(/.{1,4}/g) ?? []).join(" ");
}

function QrCode({ text, label }: { text: string; label: string }) {
  const { path, size } = qrPath(text);
  return (
    <svg className="qr" viewBox={`0 0 ${size} ${size}`} role="img" aria-label={label} shapeRendering="crispEdges">
      <rect width={size} height={size} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}

type Step = { kind: "offer" } | { kind: "starting" } | { kind: "code"; secret: string; uri: string } | { kind: "recovery"; codes: string[] };

export function TotpSetup({
  onSkip,
  onDone,
  onConfirmed,
  headingLevel = 2,
}: {
  onSkip?: () => void;
  onDone: () => void;
  /** Called as soon as the code is accepted (the recovery codes are then on screen). */
  onConfirmed?: () => void;
  headingLevel?: 2 | 3;
}) {
  const { session } = useAuth();
  const brand = useBrand();
  const t = useT();
  const describe = useProblem();
  const [step, setStep] = useState<Step>({ kind: "offer" });
  const [problem, setProblem] = useState<unknown>(null);
  const [code, setCode] = useState("");
  const [codeErrorId, setCodeError] = useState<MessageId | undefined>();
  const codeError = codeErrorId && t(codeErrorId);
  const [busy, setBusy] = useState(false);
  const H = headingLevel === 2 ? "h2" : "h3";

  const begin = async () => {
    setProblem(null);
    setStep({ kind: "starting" });
    try {
      const data = await post(BeginTotp, {}, PRACTICE_SLUG, session.current?.accessToken);
      const enrolment = data.beginTotpEnrolment.enrolment;
      if (!enrolment) {
        setProblem(new ApiFailure(data.beginTotpEnrolment.userErrors[0]?.code ?? "INTERNAL", undefined));
        setStep({ kind: "offer" });
        return;
      }
      setStep({ kind: "code", secret: enrolment.secret, uri: enrolment.otpauthUri });
    } catch (error) {
      setProblem(error);
      setStep({ kind: "offer" });
    }
  };

  const confirm = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    const trimmed = code.replace(/\s/g, "");
    if (!/^\d{6}$/.test(trimmed)) {
      setCodeError("account.totp.codeRequired");
      return;
    }
    setCodeError(undefined);
    setBusy(true);
    try {
      const data = await post(ConfirmTotp, { code: trimmed }, PRACTICE_SLUG, session.current?.accessToken);
      const payload = data.confirmTotpEnrolment;
      if (payload.userErrors.length || !payload.session) {
        const first = payload.userErrors.find((u) => u.field === "code") ?? payload.userErrors[0];
        setCodeError(first ? errorId(first.code) : "error.INVALID_TOTP_CODE");
        return;
      }
      // Every other session ended; this one carries on with the new tokens.
      session.accept(payload.session);
      setStep({ kind: "recovery", codes: payload.recoveryCodes });
      onConfirmed?.();
    } catch (error) {
      setProblem(error);
    } finally {
      setBusy(false);
    }
  };

  if (step.kind === "recovery") {
    return (
      <section aria-labelledby="totp-recovery" className="totp">
        <H id="totp-recovery">{t("account.totp.recovery.title")}</H>
        <p className="notice notice-ok" role="status">
          {t("account.totp.on")}
        </p>
        <p>{t("account.totp.recovery.body")}</p>
        <ul className="recovery-codes" aria-label={t("account.totp.recovery.label")}>
          {step.codes.map((c) => (
            <li key={c}>
              <code>{c}</code>
            </li>
          ))}
        </ul>
        <button type="button" className="button" onClick={onDone}>
          {t("account.totp.recovery.done")}
        </button>
      </section>
    );
  }

  if (step.kind === "code") {
    return (
      <section aria-labelledby="totp-code-title" className="totp">
        <H id="totp-code-title">{t("account.totp.steps.title")}</H>
        <Summary problems={codeError ? [{ field: "totp-code", sentence: codeError }] : []} />
        {problem !== null && <ErrorState problem={describe(problem)} />}
        <ol className="totp-steps">
          <li>{t("account.totp.steps.app")}</li>
          <li>
            <p>{t("account.totp.steps.scan", { practice: brand.displayName })}</p>
            <QrCode text={step.uri} label={t("account.totp.qr")} />
            <p>{t("account.totp.steps.key")}</p>
            <p className="secret">
              <span className="visually-hidden">{t("account.totp.key")} </span>
              <code>{groupInFours(step.secret)}</code>
            </p>
            <p>
              <a href={step.uri} className="strong-link">
                {t("account.totp.openApp")}
              </a>
            </p>
          </li>
          <li>{t("account.totp.steps.code")}</li>
        </ol>
        <form onSubmit={confirm} noValidate className="stack">
          <Field id="totp-code" label={t("account.totp.code")} hint={t("account.totp.code.hint")} error={codeError}>
            {(describedBy, invalid) => (
              <input
                id="totp-code"
                inputMode="numeric"
                autoComplete="one-time-code"
                maxLength={7}
                value={code}
                onChange={(e) => setCode(e.target.value)}
                aria-describedby={describedBy}
                aria-invalid={invalid}
                className="short-input"
              />
            )}
          </Field>
          <div className="actions">
            <button type="submit" className="button" disabled={busy}>
              {busy ? t("account.totp.checking") : t("account.totp.confirm")}
            </button>
            {onSkip && (
              <button type="button" className="button secondary" onClick={onSkip}>
                {t("account.totp.skip")}
              </button>
            )}
          </div>
        </form>
      </section>
    );
  }

  return (
    <section aria-labelledby="totp-offer" className="totp">
      <H id="totp-offer">{t("account.totp.offer.title")}</H>
      <p>{t("account.totp.offer.body")}</p>
      {problem !== null && <ErrorState problem={describe(problem)} retry={() => void begin()} />}
      {step.kind === "starting" ? (
        <LoadingState label={t("account.totp.starting")} lines={2} />
      ) : (
        <div className="actions">
          <button type="button" className="button" onClick={() => void begin()}>
            {t("account.totp.start")}
          </button>
          {onSkip && (
            <button type="button" className="button secondary" onClick={onSkip}>
              {t("account.totp.skip")}
            </button>
          )}
        </div>
      )}
    </section>
  );
}
