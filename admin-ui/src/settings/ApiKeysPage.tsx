// API keys: the practice's keys for its own programs (a name, the role each acts as, what it
// may do within that role, when it was created and last used), creating one (its secret shown
// once, kept only on this page) and revoking one after a confirmation.
import { useEffect, useRef, useState } from "react";
import { Dialog, Heading, Modal } from "react-aria-components";
import { useMutation, useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import type { ApiKeyScope } from "@portico/client/gql/graphql";
import { EmptyState, ErrorState, ErrorSummary, Field, LoadingState } from "../components/PageState";
import { formatDateTime, formatRelative } from "../components/format";
import { useConsole } from "../app/session";
import { problemsFrom, SettingsForm, useOnce } from "./shared";

const ApiKeysQuery = graphql(`
  query SettingsApiKeys {
    apiKeys {
      id
      name
      prefix
      role
      scopes
      createdAt
      lastUsedAt
      revokedAt
    }
  }
`);

const Create = graphql(`
  mutation SettingsCreateApiKey($input: CreateApiKeyInput!) {
    createApiKey(input: $input) {
      apiKey {
        id
        name
        prefix
        role
        scopes
        createdAt
        lastUsedAt
        revokedAt
      }
      secret
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const Revoke = graphql(`
  mutation SettingsRevokeApiKey($id: ID!) {
    revokeApiKey(input: { id: $id }) {
      apiKey {
        id
        revokedAt
      }
    }
  }
`);

const LABELS = { name: "Name", role: "Acts as", scopes: "What it may do" };
const SENTENCES = {
  "name:INVALID_NAME": "Enter a name of 1 to 100 characters, for example Lab results import.",
  "role:INVALID_ROLE": "Choose the role the key acts as.",
  "scopes:API_KEY_SCOPES_REQUIRED": "Tick at least one thing the key may do, or choose Everything its role may do.",
};
const ROLES: { value: string; label: string; about: string }[] = [
  { value: "staff", label: "Staff", about: "schedule, messages, refill queue and patients" },
  { value: "provider", label: "Provider", about: "also decides refills and records results" },
  { value: "practice_admin", label: "Practice admin", about: "everything, including set-up and staff; use sparingly" },
];
const roleLabel = (role: string) => ROLES.find((r) => r.value === role)?.label ?? role;
// In the schema's order, so the table reads the same way for every key.
const SCOPES: { value: ApiKeyScope; label: string; about: string }[] = [
  { value: "READ_ONLY", label: "Read-only", about: "see everything its role may see; change nothing" },
  { value: "SCHEDULING", label: "Scheduling", about: "see the schedule, visits and charts; book, move and cancel visits" },
  { value: "MESSAGING", label: "Messaging", about: "see conversations, care teams and charts; send messages" },
];
/** A key's access in words: "Whole role" (no scopes), or its scopes, "Scheduling, Messaging". */
function accessInWords(scopes: readonly ApiKeyScope[] | null | undefined): string {
  if (!scopes) return "Whole role";
  return SCOPES.filter((s) => scopes.includes(s.value))
    .map((s) => s.label)
    .join(", ");
}

interface Key {
  id: string;
  name: string;
  prefix: string;
}

export default function ApiKeysPage() {
  const { me } = useConsole();
  const tz = me.tenant.timeZone;
  const [{ data, error, fetching }, reload] = useQuery({ query: ApiKeysQuery });
  const [, create] = useMutation(Create);
  const [, revoke] = useMutation(Revoke);
  const [name, setName] = useState("");
  const [role, setRole] = useState("staff");
  // "whole": no scopes sent, the role's whole access; "chosen": only the ticked scopes.
  const [access, setAccess] = useState<"whole" | "chosen">("whole");
  const [scopes, setScopes] = useState<ApiKeyScope[]>([]);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [revokeProblem, setRevokeProblem] = useState<Record<string, string>>({});
  // The secret lives only here, in memory: never in the cache, storage or the address.
  const [created, setCreated] = useState<{ name: string; secret: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<Key | null>(null);
  const [pending, once] = useOnce();
  const [revoking, onceRevoke] = useOnce();
  const secretPanel = useRef<HTMLHeadingElement>(null);
  // After the dialog closes its Revoke button is gone: focus goes to what happened instead.
  const doneNotice = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (done) doneNotice.current?.focus();
  }, [done]);
  // A new key's panel takes the focus once it is on the page.
  useEffect(() => {
    if (created) secretPanel.current?.focus();
  }, [created]);
  const refresh = () => reload({ requestPolicy: "network-only" });

  function submit() {
    void once(async () => {
      setDone(null);
      if (!name.trim()) return setProblems({ name: "Enter a name that says which program uses the key, for example Lab results import." });
      setProblems({});
      // Nothing ticked is still sent: the API's refusal is the one rule, shown at the field.
      const input = { name: name.trim(), role, scopes: access === "chosen" ? SCOPES.map((s) => s.value).filter((v) => scopes.includes(v)) : null };
      const result = await create({ input });
      if (result.error) return setProblems({ _: problemOf(result.error).sentence });
      const payload = result.data?.createApiKey;
      if (payload?.userErrors.length) return setProblems(problemsFrom(payload.userErrors, SENTENCES));
      if (payload?.secret && payload.apiKey) {
        setCreated({ name: payload.apiKey.name, secret: payload.secret });
        setCopied(false);
        setName("");
        setAccess("whole");
        setScopes([]);
        refresh();
      }
    });
  }

  async function copy() {
    if (!created) return;
    try {
      await navigator.clipboard.writeText(created.secret);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  }

  function confirmRevoke() {
    const key = confirming;
    if (!key) return;
    // The dialog closes first, so its own focus restore is done before the answer arrives.
    setConfirming(null);
    void onceRevoke(async () => {
      const result = await revoke({ id: key.id });
      if (result.error) return setRevokeProblem({ _: problemOf(result.error).sentence });
      setRevokeProblem({});
      setDone(`${key.name} is revoked. Programs using it are refused from now on.`);
      refresh();
    });
  }

  const keys = data?.apiKeys ?? [];
  return (
    <>
      <h1>API keys</h1>
      <p>
        A key lets one of your practice's programs (a lab interface, a reporting tool) use Portico's API without a person signing in. Give
        each program its own key, with the least role and access it needs, and revoke a key as soon as it is no longer used.
      </p>
      <ErrorSummary problems={revokeProblem} labels={{}} />
      {done && (
        <p className="notice" role="status" ref={doneNotice} tabIndex={-1}>
          {done}
        </p>
      )}
      {created && (
        <section className="key-once" aria-labelledby="key-once-title">
          <h2 id="key-once-title" ref={secretPanel} tabIndex={-1}>
            Your new key for {created.name}
          </h2>
          <p>
            <strong>Copy it now: it will not be shown again.</strong> Keep it in a password manager or your program's settings. If it is lost,
            revoke it and create another.
          </p>
          <code className="secret">
            {created.secret}
          </code>
          <div className="row-actions">
            <button type="button" className="primary" onClick={() => void copy()}>
              Copy key
            </button>
            <button type="button" onClick={() => setCreated(null)}>
              I have saved it, hide it
            </button>
          </div>
          <p role="status" className="meta">
            {copied ? "Copied to the clipboard." : ""}
          </p>
        </section>
      )}
      {error && !data && <ErrorState problem={problemOf(error)} retry={refresh} />}
      {fetching && !data && <LoadingState label="Loading API keys" rows={3} />}
      {data && keys.length === 0 && <EmptyState title="No API keys yet.">Create one below when a program needs to reach Portico.</EmptyState>}
      {keys.length > 0 && (
        <table className="data-table">
          <caption className="visually-hidden">API keys</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Starts with</th>
              <th scope="col">Acts as</th>
              <th scope="col">May do</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span className="visually-hidden">Status and actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k.id}>
                <th scope="row">{k.name}</th>
                <td>
                  <code>{k.prefix}…</code>
                </td>
                <td>{roleLabel(k.role)}</td>
                <td className="key-access-cell">{accessInWords(k.scopes)}</td>
                <td>{formatDateTime(k.createdAt, tz)}</td>
                <td>{k.lastUsedAt ? <span title={formatDateTime(k.lastUsedAt, tz)}>{formatRelative(k.lastUsedAt)}</span> : <span className="muted">Never</span>}</td>
                <td>
                  {k.revokedAt ? (
                    <span className="tag tag-muted">Revoked {formatDateTime(k.revokedAt, tz)}</span>
                  ) : (
                    <button type="button" className="small" onClick={() => setConfirming(k)} aria-label={`Revoke ${k.name}`}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <SettingsForm
        id="create-key"
        title="Create a key"
        about={
          <>
            The key is shown once, right after you create it. Programs send it in the header <code>Authorization: Bearer</code> followed by the
            key, with <code>X-Portico-Tenant: {me.tenant.slug}</code>.
          </>
        }
        problems={problems}
        labels={LABELS}
        saved={null}
        pending={pending}
        submitLabel="Create key"
        onSubmit={submit}
      >
        <Field name="name" label={LABELS.name} hint="Which program uses it, so you know what stops working if you revoke it. Up to 100 characters." error={problems.name}>
          {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />}
        </Field>
        <fieldset id="field-role">
          <legend>{LABELS.role}</legend>
          {ROLES.map((r) => (
            <label key={r.value} className="radio">
              <input type="radio" name="key-role" value={r.value} checked={role === r.value} onChange={() => setRole(r.value)} />
              {r.label} —{" "}<span className="muted">{r.about}</span>
            </label>
          ))}
          {problems.role && <p className="error-text">{problems.role}</p>}
        </fieldset>
        <fieldset className={problems.scopes ? "key-access field-error" : "key-access"} aria-describedby={problems.scopes && access === "chosen" ? "scopes-error" : undefined}>
          <legend>{LABELS.scopes}</legend>
          <label className="radio">
            <input type="radio" name="key-access" value="whole" checked={access === "whole"} onChange={() => setAccess("whole")} />
            Everything its role may do
          </label>
          <label className="radio">
            <input type="radio" name="key-access" value="chosen" checked={access === "chosen"} onChange={() => setAccess("chosen")} />
            Only what I choose
          </label>
          {access === "chosen" && (
            <fieldset className="key-scopes" aria-describedby="scopes-hint">
              <legend className="visually-hidden">What the key may do, within its role</legend>
              <p className="hint" id="scopes-hint">
                Tick one or more. The key may do what any ticked box allows, never more than its role; anything else is refused.
              </p>
              {problems.scopes && (
                <p className="error-text" id="scopes-error">
                  {problems.scopes}
                </p>
              )}
              {SCOPES.map((s, i) => (
                <label key={s.value} className="checkbox">
                  <input
                    type="checkbox"
                    id={i === 0 ? "field-scopes" : undefined}
                    checked={scopes.includes(s.value)}
                    onChange={(e) => setScopes((now) => (e.target.checked ? [...now, s.value] : now.filter((v) => v !== s.value)))}
                  />
                  <span>
                    {s.label} — <span className="muted">{s.about}</span>
                  </span>
                </label>
              ))}
            </fieldset>
          )}
        </fieldset>
      </SettingsForm>
      {confirming && (
        <Modal isOpen isDismissable onOpenChange={(open) => !open && setConfirming(null)} className="modal">
          <Dialog className="dialog" role="alertdialog" aria-labelledby="revoke-title">
            <Heading slot="title" id="revoke-title">
              Revoke {confirming.name}?
            </Heading>
            <p>Programs using this key are refused from the next request. This cannot be undone; a program that still needs access gets a new key.</p>
            <div className="row-actions">
              <button type="button" className="danger" onClick={confirmRevoke} disabled={revoking}>
                Revoke key
              </button>
              <button type="button" onClick={() => setConfirming(null)} autoFocus>
                Cancel
              </button>
            </div>
          </Dialog>
        </Modal>
      )}
    </>
  );
}
