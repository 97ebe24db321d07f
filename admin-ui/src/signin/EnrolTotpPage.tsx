// Staff must set up two-step verification before anything else: show the secret for an
// authenticator app, check one code, then show the recovery codes once.
import { useState, type FormEvent } from "react";
import { useMutation } from "urql";
import { fieldProblems, graphql, problemOf, type IssuedSession, type SessionStore } from "@portico/client";
import { ErrorState, ErrorSummary, Field, LoadingState } from "../components/PageState";

const Begin = graphql(`
  mutation BeginTotp {
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

const Confirm = graphql(`
  mutation ConfirmTotp($code: String!) {
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

export function EnrolTotpPage({ session }: { session: SessionStore }) {
  const [begun, begin] = useMutation(Begin);
  const [confirmed, confirm] = useMutation(Confirm);
  const [code, setCode] = useState("");
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [recovery, setRecovery] = useState<string[] | null>(null);
  const [pending, setPending] = useState<IssuedSession | null>(null);
  const enrolment = begun.data?.beginTotpEnrolment.enrolment;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (confirmed.fetching) return;
    const result = await confirm({ code: code.trim() });
    if (result.error) return setProblems({ _: problemOf(result.error).sentence });
    const payload = result.data?.confirmTotpEnrolment;
    if (payload?.userErrors.length) return setProblems(fieldProblems(payload.userErrors));
    if (payload?.session) {
      setRecovery(payload.recoveryCodes);
      // Held until the codes are saved: accepting the session moves on to the console.
      setPending(payload.session);
    }
  }

  if (recovery) {
    return (
      <main id="main" className="sign-in-card">
        <h1>Save your recovery codes</h1>
        <p>Each code signs you in once if you lose your phone. Keep them somewhere safe; they are not shown again.</p>
        <ul className="recovery-codes" aria-label="Recovery codes">
          {recovery.map((c) => (
            <li key={c}>
              <code>{c}</code>
            </li>
          ))}
        </ul>
        <button type="button" className="primary" onClick={() => pending && session.accept(pending)}>
          I have saved them
        </button>
      </main>
    );
  }

  return (
    <main id="main" className="sign-in-card">
      <h1>Set up two-step verification</h1>
      <p>Your practice requires a code from an authenticator app each time you sign in.</p>
      {!enrolment && !begun.fetching && (
        <button type="button" className="primary" onClick={() => void begin({})}>
          Start
        </button>
      )}
      {begun.fetching && <LoadingState label="Creating your secret" rows={2} />}
      {begun.error && <ErrorState problem={problemOf(begun.error)} retry={() => void begin({})} />}
      {enrolment && (
        <form onSubmit={submit} noValidate>
          <ErrorSummary problems={problems} labels={{ code: "Code" }} />
          <p>Add this secret to your authenticator app (choose “enter a setup key”):</p>
          <p>
            <code className="secret" aria-label="Setup key">{enrolment.secret}</code>
          </p>
          <Field name="code" label="Code" hint="The 6-digit code your app now shows." error={problems.code}>
            {(p) => <input {...p} inputMode="numeric" maxLength={6} value={code} onChange={(e) => setCode(e.target.value)} autoComplete="one-time-code" />}
          </Field>
          <button type="submit" className="primary" disabled={confirmed.fetching}>
            Confirm
          </button>
        </form>
      )}
    </main>
  );
}
