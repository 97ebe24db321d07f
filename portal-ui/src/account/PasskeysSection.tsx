// Passkeys (sign in with the device's lock instead of a password and code): listed with when
// each was added and last used, added under a name the patient chooses, removed after asking.
// A passkey belongs to the address it was made at (this portal's host).
import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "@portico/client";
import { useProblem, useFieldProblems, type PortalProblem } from "../app/problem";
import { useFormat, useT } from "../i18n/I18n";
import { ErrorState, ErrorSummary, Field, LoadingState } from "../components/PageState";
import { createPasskey, passkeysSupported } from "../signin/webauthn";

const Passkeys = graphql(`
  query MyPasskeys {
    myPasskeys {
      id
      name
      createdAt
      lastUsedAt
    }
  }
`);

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

const Remove = graphql(`
  mutation RemovePasskey($input: RemovePasskeyInput!) {
    removePasskey(input: $input) {
      removedPasskeyId
      userErrors {
        field
        code
        message
      }
    }
  }
`);

type Outcome = { kind: "added" | "removed"; name: string } | null;

export function PasskeysSection() {
  const t = useT();
  const f = useFormat();
  const describe = useProblem();
  const fieldProblems = useFieldProblems();
  const [{ data, error }, reload] = useQuery({ query: Passkeys });
  const [, begin] = useMutation(Begin);
  const [, finish] = useMutation(Finish);
  const [, remove] = useMutation(Remove);
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [nameError, setNameError] = useState<string | undefined>();
  const [problem, setProblem] = useState<PortalProblem | "cancelled" | "exists" | null>(null);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [confirming, setConfirming] = useState<{ id: string; name: string } | null>(null);
  if (!passkeysSupported()) return null;

  const refresh = () => reload({ requestPolicy: "network-only" });

  const add = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    setOutcome(null);
    if (!name.trim()) {
      setNameError(t("error.NAME_REQUIRED"));
      return;
    }
    setNameError(undefined);
    setBusy(true);
    try {
      const begun = await begin({});
      const started = begun.data?.beginPasskeyRegistration;
      if (begun.error || !started?.registrationId) {
        setProblem(begun.error ? describe(begun.error) : { code: started?.userErrors[0]?.code ?? "INTERNAL", sentence: fieldProblems(started?.userErrors)._ ?? t("error.INTERNAL") });
        return;
      }
      let credential: unknown;
      try {
        credential = await createPasskey(started.options);
      } catch (refused) {
        // The browser refuses a second passkey for the same account on one device.
        setProblem(refused instanceof DOMException && refused.name === "InvalidStateError" ? "exists" : "cancelled");
        return;
      }
      const done = await finish({ input: { registrationId: started.registrationId, name: name.trim(), credential } });
      const result = done.data?.finishPasskeyRegistration;
      if (done.error) {
        setProblem(describe(done.error));
      } else if (result?.userErrors.length) {
        const byField = fieldProblems(result.userErrors);
        if (byField.name) setNameError(byField.name);
        else setProblem({ code: result.userErrors[0]!.code, sentence: Object.values(byField)[0]! });
      } else if (result?.passkey) {
        setOutcome({ kind: "added", name: result.passkey.name });
        setName("");
        refresh();
      }
    } finally {
      setBusy(false);
    }
  };

  const confirmRemove = async () => {
    if (!confirming) return;
    const removed = await remove({ input: { passkeyId: confirming.id } });
    if (removed.error) setProblem(describe(removed.error));
    else setOutcome({ kind: "removed", name: confirming.name });
    setConfirming(null);
    refresh();
  };

  return (
    <section className="card" aria-labelledby="security-passkeys">
      <h2 id="security-passkeys">{t("passkey.section.title")}</h2>
      <p>{t("passkey.section.lead")}</p>
      {outcome && (
        <p className="notice" role="status">
          {outcome.kind === "added" ? t("passkey.add.done", { name: outcome.name }) : t("passkey.remove.done", { name: outcome.name })}
        </p>
      )}
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
      {!data && !error && <LoadingState lines={2} />}
      {error && !data && <ErrorState problem={describe(error)} retry={refresh} />}
      {data &&
        (data.myPasskeys.length === 0 ? (
          <p>{t("passkey.section.none")}</p>
        ) : (
          <ul className="plain">
            {data.myPasskeys.map((p) => (
              <li key={p.id}>
                <strong>{p.name}</strong>
                <br />
                <span className="hint">
                  {t("passkey.section.created", { date: f.date(p.createdAt) })} ·{" "}
                  {p.lastUsedAt ? t("passkey.section.used", { date: f.date(p.lastUsedAt) }) : t("passkey.section.neverUsed")}
                </span>
                <br />
                {confirming?.id === p.id ? (
                  <span role="group" aria-label={t("passkey.remove.confirm", { name: p.name })}>
                    <span>{t("passkey.remove.confirm", { name: p.name })}</span>{" "}
                    <button type="button" className="button danger" onClick={confirmRemove}>
                      {t("passkey.remove.yes")}
                    </button>{" "}
                    <button type="button" className="button secondary" onClick={() => setConfirming(null)}>
                      {t("passkey.remove.no")}
                    </button>
                  </span>
                ) : (
                  <button type="button" className="link-button" onClick={() => setConfirming({ id: p.id, name: p.name })}>
                    {t("passkey.remove", { name: p.name })}
                  </button>
                )}
              </li>
            ))}
          </ul>
        ))}
      <ErrorSummary problems={nameError ? [{ field: "passkey-name", sentence: nameError }] : []} />
      <form onSubmit={add} noValidate className="stack">
        <Field id="passkey-name" label={t("passkey.add.name")} hint={t("passkey.add.nameHint")} error={nameError}>
          {(describedBy, invalid) => (
            <input id="passkey-name" value={name} maxLength={64} onChange={(e) => setName(e.target.value)} aria-describedby={describedBy} aria-invalid={invalid} />
          )}
        </Field>
        <button type="submit" className="button" disabled={busy}>
          {busy ? t("passkey.add.working") : t("passkey.add.submit")}
        </button>
      </form>
    </section>
  );
}
