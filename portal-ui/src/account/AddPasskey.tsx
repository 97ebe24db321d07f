// Adding a passkey under a name: the server's options, the device's own steps, the server's
// check. It talks to the API with the session's token directly (not through urql), so it
// works on the security page and on the last step of joining, which is outside the
// signed-in shell.
import { useState, type FormEvent } from "react";
import { ApiFailure, graphql, post } from "@portico/client";
import { PRACTICE_SLUG } from "../app/address";
import { useAuth } from "../app/session";
import { useProblem, type PortalProblem } from "../app/problem";
import { useT } from "../i18n/I18n";
import { ErrorState, ErrorSummary, Field } from "../components/PageState";
import { createPasskey } from "../signin/webauthn";

const Begin = graphql(`
  mutation BeginPasskeyRegistration {
    beginPasskeyRegistration {
      registrationId
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
  mutation FinishPasskeyRegistration($input: FinishPasskeyRegistrationInput!) {
    finishPasskeyRegistration(input: $input) {
      passkey {
        id
        name
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export function AddPasskey({ onAdded }: { onAdded: (name: string) => void }) {
  const t = useT();
  const describe = useProblem();
  const { session } = useAuth();
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [nameError, setNameError] = useState(false);
  const [problem, setProblem] = useState<PortalProblem | "cancelled" | "exists" | null>(null);

  const add = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    setNameError(!name.trim());
    if (!name.trim()) return;
    setBusy(true);
    try {
      // A token refreshed if it ran out, as the client's own requests do.
      if (!session.current || session.current.accessExpiresAt < Date.now() + 5_000) await session.refresh();
      const token = session.current?.accessToken;
      const begun = (await post(Begin, {}, PRACTICE_SLUG, token)).beginPasskeyRegistration;
      if (!begun.registrationId) throw new ApiFailure(begun.userErrors[0]?.code ?? "INTERNAL", undefined);
      let credential: unknown;
      try {
        credential = await createPasskey(begun.options);
      } catch (refused) {
        // The browser refuses a second passkey for the same account on one device.
        setProblem(refused instanceof DOMException && refused.name === "InvalidStateError" ? "exists" : "cancelled");
        return;
      }
      const done = (await post(Finish, { input: { registrationId: begun.registrationId, name: name.trim(), credential } }, PRACTICE_SLUG, token)).finishPasskeyRegistration;
      const refused = done.userErrors[0];
      if (refused?.field === "name") setNameError(true);
      else if (refused || !done.passkey) throw new ApiFailure(refused?.code ?? "INTERNAL", undefined);
      else {
        setName("");
        onAdded(done.passkey.name);
      }
    } catch (error) {
      setProblem(describe(error));
    } finally {
      setBusy(false);
    }
  };

  const nameSentence = nameError ? t("error.NAME_REQUIRED") : undefined;
  return (
    <>
      {problem === "cancelled" && (
        <p className="notice" role="alert">
          {t("passkey.cancelled")}
        </p>
      )}
      {problem === "exists" && (
        <p className="notice" role="alert">
          {t("passkey.exists")}
        </p>
      )}
      {problem && problem !== "cancelled" && problem !== "exists" && <ErrorState problem={problem} />}
      <ErrorSummary problems={nameSentence ? [{ field: "passkey-name", sentence: nameSentence }] : []} />
      <form onSubmit={add} noValidate className="stack">
        <Field id="passkey-name" label={t("passkey.add.name")} hint={t("passkey.add.nameHint")} error={nameSentence}>
          {(describedBy, invalid) => (
            <input id="passkey-name" value={name} maxLength={64} onChange={(e) => setName(e.target.value)} aria-describedby={describedBy} aria-invalid={invalid} />
          )}
        </Field>
        <button type="submit" className="button" disabled={busy}>
          {busy ? t("passkey.add.working") : t("passkey.add.submit")}
        </button>
      </form>
    </>
  );
}
