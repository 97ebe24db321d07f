// Passkeys (sign in with the device's lock instead of a password and code): listed with when
// each was added and last used, added under a name the patient chooses, removed after asking.
// A passkey belongs to the address it was made at (this portal's host).
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "@portico/client";
import { useProblem, type PortalProblem } from "../app/problem";
import { useFormat, useT } from "../i18n/I18n";
import { ErrorState, LoadingState } from "../components/PageState";
import { passkeysSupported } from "../signin/webauthn";
import { AddPasskey } from "./AddPasskey";

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
  const [{ data, error }, reload] = useQuery({ query: Passkeys });
  const [, remove] = useMutation(Remove);
  const [problem, setProblem] = useState<PortalProblem | null>(null);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [confirming, setConfirming] = useState<{ id: string; name: string } | null>(null);
  if (!passkeysSupported()) return null;

  const refresh = () => reload({ requestPolicy: "network-only" });

  const confirmRemove = async () => {
    if (!confirming) return;
    setOutcome(null);
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
      {problem && <ErrorState problem={problem} />}
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
      <AddPasskey
        onAdded={(name) => {
          setProblem(null);
          setOutcome({ kind: "added", name });
          refresh();
        }}
      />
    </section>
  );
}
