// Sign in with a passkey: the server's challenge, the browser's passkey chooser (the
// passkey names the account, so nothing is typed), then a session like a password sign-in
// gives. Offered only where the browser supports passkeys.
import { useState } from "react";
import { useNavigate } from "react-router";
import { ApiFailure, graphql, post } from "@portico/client";
import { PRACTICE_SLUG } from "../app/address";
import { useAuth } from "../app/session";
import { useProblem, type PortalProblem } from "../app/problem";
import { useT } from "../i18n/I18n";
import { ErrorState } from "../components/PageState";
import { passkeysSupported, signWithPasskey } from "./webauthn";

const Begin = graphql(`
  mutation BeginPasskeySignIn {
    beginPasskeySignIn {
      signInId
      options
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const Finish = graphql(`
  mutation FinishPasskeySignIn($input: FinishPasskeySignInInput!) {
    finishPasskeySignIn(input: $input) {
      session {
        ...SessionFields
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export function PasskeySignIn({ next }: { next: string }) {
  const { session, signedIn } = useAuth();
  const navigate = useNavigate();
  const t = useT();
  const describe = useProblem();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<PortalProblem | "cancelled" | null>(null);
  if (!passkeysSupported()) return null;

  const start = async () => {
    setBusy(true);
    setProblem(null);
    try {
      const begun = (await post(Begin, {}, PRACTICE_SLUG)).beginPasskeySignIn;
      const refused = begun.userErrors[0];
      if (refused || !begun.signInId) throw new ApiFailure(refused?.code ?? "INTERNAL", undefined);
      let credential: unknown;
      try {
        credential = await signWithPasskey(begun.options);
      } catch {
        // Cancelled, timed out, or no passkey for this site on the device.
        setProblem("cancelled");
        return;
      }
      const finished = (await post(Finish, { input: { signInId: begun.signInId, credential } }, PRACTICE_SLUG)).finishPasskeySignIn;
      const failed = finished.userErrors[0];
      if (failed || !finished.session) throw new ApiFailure(failed?.code ?? "INTERNAL", undefined);
      session.accept(finished.session);
      signedIn();
      navigate(next, { replace: true });
    } catch (error) {
      setProblem(describe(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="passkey-sign-in">
      <p className="or">
        <span>{t("signin.or")}</span>
      </p>
      {problem === "cancelled" && (
        <p className="notice" role="alert">
          {t("passkey.cancelled")}
        </p>
      )}
      {problem && problem !== "cancelled" && <ErrorState problem={problem} />}
      <button type="button" className="button secondary" onClick={start} disabled={busy}>
        {busy ? t("passkey.signIn.working") : t("passkey.signIn")}
      </button>
      <p className="hint">{t("passkey.signIn.hint")}</p>
    </div>
  );
}
