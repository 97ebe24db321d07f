// The practice's EHR connection (FHIR R4): connect or change it, test it, start a sync, see
// the latest runs (refreshed every 3 seconds while one runs), settle the reviews a sync left,
// and send failed write-backs again. Secrets are never shown back; a failed save keeps what
// was typed.
import { useEffect, useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import { EmptyState, ErrorState, ErrorSummary, Field, LoadingState } from "../components/PageState";
import { formatDateTime } from "../components/format";
import { problemsFrom, useOnce } from "../practice/shared";
import { SettingsForm } from "../settings/shared";
import { useConsole } from "../app/session";

const StatusQuery = graphql(`
  query EhrStatus {
    ehrSyncStatus(runs: 5) {
      connection {
        baseUrl
        authKind
        clientId
        keyId
        tokenEndpoint
        scope
        syncIntervalMinutes
        resourceTypes
        enabled
        sendReadings
        updatedAt
      }
      runs {
        id
        trigger
        status
        startedAt
        finishedAt
        errorCode
        error
        counts {
          resourceType
          fetched
          applied
          unchanged
          rejected
          removed
          waiting
        }
      }
      nextRunAt
      failures
      pendingWrites
      openReviews
      failedWrites {
        id
        kind
        lastError
        attempts
        createdAt
      }
    }
    ehrReviews {
      id
      kind
      resourceType
      fhirId
      candidates
      patientId
      status
      createdAt
    }
  }
`);

const Update = graphql(`
  mutation EhrUpdateConnection($input: UpdateEhrConnectionInput!) {
    updateEhrConnection(input: $input) {
      connection {
        baseUrl
        authKind
        updatedAt
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
  mutation EhrRemoveConnection {
    removeEhrConnection {
      removed
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const Test = graphql(`
  mutation EhrTestConnection {
    testEhrConnection {
      capabilities {
        fhirVersion
        software
        missingTypes
        authOk
        authErrorCode
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const Sync = graphql(`
  mutation EhrSyncNow {
    syncEhrNow {
      queued
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const Retry = graphql(`
  mutation EhrRetryWrite($id: ID!) {
    retryEhrWrite(id: $id) {
      retried
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const Resolve = graphql(`
  mutation EhrResolveReview($input: ResolveEhrReviewInput!) {
    resolveEhrReview(input: $input) {
      review {
        id
        status
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

type Resolution = "LINK" | "CREATE_PATIENT" | "OVERWRITE" | "KEEP_EHR";

const LABELS = {
  baseUrl: "FHIR base URL",
  authKind: "How Portico signs in",
  clientId: "Client id",
  privateKey: "Private key",
  keyId: "Key id",
  tokenEndpoint: "Token endpoint",
  token: "Access token",
  syncIntervalMinutes: "Sync every",
  resourceTypes: "Records pulled",
};

const HTTPS = "Enter an address that starts with https:// — Portico only connects to an EHR over an encrypted connection.";
const WEB_ADDRESS = "Enter a full web address, such as https://fhir.example.org/r4.";
const CLIENT_ID = "Enter the client id the EHR registered for Portico.";
const SENTENCES: Record<string, string> = {
  EHR_INSECURE_URL: HTTPS,
  "tokenEndpoint:EHR_INSECURE_URL": "Enter a token endpoint that starts with https://.",
  INVALID_URL: WEB_ADDRESS,
  CLIENT_ID_REQUIRED: CLIENT_ID,
  SECRET_REQUIRED: "Enter the private key or access token: a new connection, or a new address, needs it given again.",
  VALUE_TOO_LONG: "This is too long.",
  INVALID_SYNC_INTERVAL: "Choose how often to sync, in minutes.",
  EHR_NOT_CONNECTED: "Connect an EHR first.",
};

/** A run's or test's error code in words. */
const EHR_ERRORS: Record<string, string> = {
  EHR_UNAVAILABLE: "The EHR could not be reached.",
  EHR_TIMEOUT: "The EHR took too long to answer.",
  EHR_AUTH_FAILED: "The EHR did not accept Portico's credentials. Check the client id and key (or the token).",
  EHR_BAD_RESPONSE: "The EHR answered with something that is not FHIR R4.",
  EHR_INSECURE_URL: "The EHR's address is not https.",
  EHR_REDIRECT_REFUSED: "The EHR redirected Portico elsewhere, which Portico does not follow.",
  EHR_TOO_LARGE: "The EHR sent more than Portico accepts in one answer.",
  EHR_NOT_CONNECTED: "No EHR is connected.",
};

function ehrError(code: string | null | undefined, fallback?: string | null): string {
  return (code && EHR_ERRORS[code]) || fallback || "Something went wrong with the EHR.";
}

const RUN_STATUS: Record<string, string> = {
  running: "Running",
  succeeded: "Finished",
  partial: "Finished, with some records refused or waiting",
  failed: "Failed",
};
const TRIGGER: Record<string, string> = { schedule: "Scheduled", manual: "Started by hand", review: "After a review" };
const WRITE_KIND: Record<string, string> = {
  appointment: "Appointment",
  refill_decision: "Refill decision",
  form_response: "Check-in form answers",
  reading: "Home reading",
  demographics: "Contact details",
};

export default function EhrPage() {
  const { me } = useConsole();
  const zone = me.tenant.timeZone;
  const [{ data, error, fetching }, reload] = useQuery({ query: StatusQuery, requestPolicy: "cache-and-network" });
  const refresh = () => reload({ requestPolicy: "network-only" });
  const status = data?.ehrSyncStatus;
  const running = status?.runs.some((r) => r.status === "running") ?? false;

  // While a run is in progress, its progress is read again every 3 seconds; polling stops
  // as soon as none runs.
  useEffect(() => {
    if (!running) return;
    const timer = setTimeout(() => reload({ requestPolicy: "network-only" }), 3000);
    return () => clearTimeout(timer);
  }, [running, data, reload]);

  return (
    <>
      <h1>EHR</h1>
      <p>
        Portico reads patients, appointments and records from your EHR over FHIR R4, and writes back appointments, refill decisions, check-in form answers, contact
        changes and, if you choose, the readings patients record at home.
      </p>
      {error && !data && <ErrorState problem={problemOf(error)} retry={refresh} />}
      {fetching && !data && <LoadingState label="Loading the EHR connection" rows={4} />}
      {status && !status.connection && (
        <>
          <EmptyState title="No EHR is connected.">Enter your EHR's FHIR address and the credentials it gave Portico below.</EmptyState>
          <ConnectionForm onSaved={refresh} />
        </>
      )}
      {status?.connection && (
        <>
          <ConnectionSummary connection={status.connection} zone={zone} onChanged={refresh} />
          <Actions running={running} onQueued={refresh} />
          <Runs runs={status.runs} zone={zone} nextRunAt={status.nextRunAt} failures={status.failures} />
          <Reviews reviews={data?.ehrReviews ?? []} zone={zone} onResolved={refresh} />
          <FailedWrites writes={status.failedWrites} pending={status.pendingWrites} zone={zone} onRetried={refresh} />
          <ConnectionForm connection={status.connection} onSaved={refresh} />
        </>
      )}
    </>
  );
}

type Connection = {
  baseUrl: string;
  authKind: "SMART" | "BEARER";
  clientId?: string | null;
  keyId?: string | null;
  tokenEndpoint?: string | null;
  syncIntervalMinutes: number;
  resourceTypes: string[];
  enabled: boolean;
  sendReadings: boolean;
  updatedAt: string;
};

function ConnectionSummary({ connection, zone, onChanged }: { connection: Connection; zone: string; onChanged: () => void }) {
  const [, remove] = useMutation(Remove);
  const [pending, once] = useOnce();
  const [confirming, setConfirming] = useState(false);
  const [problems, setProblems] = useState<Record<string, string>>({});

  function disconnect() {
    void once(async () => {
      setProblems({});
      const result = await remove({});
      if (result.error) return setProblems({ _: problemOf(result.error).sentence });
      const payload = result.data?.removeEhrConnection;
      if (payload?.userErrors.length) return setProblems(problemsFrom(payload.userErrors, SENTENCES));
      setConfirming(false);
      onChanged();
    });
  }

  return (
    <section aria-labelledby="ehr-connection-title">
      <h2 id="ehr-connection-title">Connection</h2>
      <ErrorSummary problems={problems} labels={{}} />
      <dl className="ehr-facts">
        <dt>FHIR base URL</dt>
        <dd>{connection.baseUrl}</dd>
        <dt>Signs in with</dt>
        <dd>{connection.authKind === "SMART" ? `SMART Backend Services, client id ${connection.clientId ?? "—"}` : "An access token"}</dd>
        <dt>Sync</dt>
        <dd>{connection.enabled ? `Every ${connection.syncIntervalMinutes} minutes` : "Paused"}</dd>
        <dt>Records pulled</dt>
        <dd>{connection.resourceTypes.join(", ")}</dd>
        <dt>Home readings</dt>
        <dd>{connection.sendReadings ? "Sent to the EHR as patient-reported observations" : "Kept in Portico only"}</dd>
        <dt>Last changed</dt>
        <dd>{formatDateTime(connection.updatedAt, zone)}</dd>
      </dl>
      {!confirming ? (
        <button type="button" onClick={() => setConfirming(true)}>
          Disconnect the EHR
        </button>
      ) : (
        <div role="group" aria-label="Confirm disconnecting">
          <p>Portico stops syncing with the EHR and forgets its credentials. Charts already pulled stay.</p>
          <button type="button" className="danger" disabled={pending} onClick={disconnect}>
            Disconnect
          </button>{" "}
          <button type="button" onClick={() => setConfirming(false)}>
            Keep it connected
          </button>
        </div>
      )}
    </section>
  );
}

function Actions({ running, onQueued }: { running: boolean; onQueued: () => void }) {
  const [, test] = useMutation(Test);
  const [, sync] = useMutation(Sync);
  const [pending, once] = useOnce();
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [said, setSaid] = useState<string | null>(null);

  function runTest() {
    void once(async () => {
      setProblems({});
      setSaid(null);
      const result = await test({});
      if (result.error) return setProblems({ _: problemOf(result.error).sentence });
      const payload = result.data?.testEhrConnection;
      const refusal = payload?.userErrors[0];
      if (refusal) return setProblems({ _: ehrError(refusal.code, refusal.message) });
      const c = payload?.capabilities;
      if (!c) return;
      const server = `The EHR answered: FHIR ${c.fhirVersion}${c.software ? `, ${c.software}` : ""}.`;
      const auth = c.authOk ? " Portico's credentials work." : ` But ${ehrError(c.authErrorCode).replace(/^The EHR/, "the EHR")}`;
      const missing = c.missingTypes.length ? ` It does not offer ${c.missingTypes.join(", ")}, so those are not pulled.` : "";
      setSaid(server + auth + missing);
    });
  }

  function runSync() {
    void once(async () => {
      setProblems({});
      setSaid(null);
      const result = await sync({});
      if (result.error) return setProblems({ _: problemOf(result.error).sentence });
      const payload = result.data?.syncEhrNow;
      if (payload?.userErrors.length) return setProblems(problemsFrom(payload.userErrors, SENTENCES));
      setSaid(payload?.queued ? "A sync has started. Its progress shows below." : "A sync is already running. Its progress shows below.");
      onQueued();
    });
  }

  return (
    <section aria-labelledby="ehr-actions-title">
      <h2 id="ehr-actions-title">Check and sync</h2>
      <ErrorSummary problems={problems} labels={{}} />
      <div className="ehr-actions">
        <button type="button" disabled={pending} onClick={runTest}>
          Test connection
        </button>{" "}
        <button type="button" className="primary" disabled={pending || running} onClick={runSync}>
          Sync now
        </button>
      </div>
      {said && (
        <p className="notice" role="status">
          {said}
        </p>
      )}
    </section>
  );
}

type Run = {
  id: string;
  trigger: string;
  status: string;
  startedAt: string;
  finishedAt?: string | null;
  errorCode?: string | null;
  error?: string | null;
  counts: { resourceType: string; fetched: number; applied: number; unchanged: number; rejected: number; removed: number; waiting: number }[];
};

function Runs({ runs, zone, nextRunAt, failures }: { runs: readonly Run[]; zone: string; nextRunAt?: string | null; failures: number }) {
  return (
    <section aria-labelledby="ehr-runs-title">
      <h2 id="ehr-runs-title">Latest syncs</h2>
      {nextRunAt && <p className="meta">Next scheduled sync: {formatDateTime(nextRunAt, zone)}.</p>}
      {failures > 0 && (
        <p className="meta">
          The last {failures === 1 ? "sync" : `${failures} syncs`} failed; Portico waits longer before each new try.
        </p>
      )}
      {runs.length === 0 ? (
        <EmptyState title="No sync has run yet.">Choose "Sync now" to pull the EHR's records.</EmptyState>
      ) : (
        <table className="data-table">
          <caption className="visually-hidden">Latest syncs, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Finished</th>
              <th scope="col">How</th>
              <th scope="col">State</th>
              <th scope="col">Records</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.id}>
                <td>{formatDateTime(r.startedAt, zone)}</td>
                <td>{r.finishedAt ? formatDateTime(r.finishedAt, zone) : "—"}</td>
                <td>{TRIGGER[r.trigger] ?? r.trigger}</td>
                <td>
                  {RUN_STATUS[r.status] ?? r.status}
                  {r.status === "failed" && <div className="error-text">{ehrError(r.errorCode, r.error)}</div>}
                </td>
                <td>
                  {r.counts.length === 0
                    ? "—"
                    : r.counts.map((c) => (
                        <div key={c.resourceType}>
                          {c.resourceType}: {c.fetched} read, {c.applied} changed, {c.unchanged} unchanged
                          {c.removed ? `, ${c.removed} removed` : ""}
                          {c.rejected ? `, ${c.rejected} refused` : ""}
                          {c.waiting ? `, ${c.waiting} waiting` : ""}
                        </div>
                      ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

type Review = { id: string; kind: string; resourceType: string; fhirId: string; candidates: string[]; patientId?: string | null; status: string; createdAt: string };

const REVIEW_KIND: Record<string, string> = {
  PATIENT_MATCH: "An EHR patient matches more than one chart",
  WRITE_CONFLICT: "The EHR refused a contact change because its record changed meanwhile",
  POSSIBLE_DUPLICATE: "An EHR patient may be a second registration of a chart already linked",
};

function Reviews({ reviews, zone, onResolved }: { reviews: readonly Review[]; zone: string; onResolved: () => void }) {
  const [, resolve] = useMutation(Resolve);
  const [pending, once] = useOnce();
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [done, setDone] = useState<string | null>(null);
  const open = reviews.filter((r) => r.status === "open");

  function settle(review: Review, resolution: Resolution, patientId: string | undefined, said: string) {
    void once(async () => {
      setProblems({});
      setDone(null);
      const result = await resolve({ input: { id: review.id, resolution, patientId } });
      if (result.error) return setProblems({ _: problemOf(result.error).sentence });
      const payload = result.data?.resolveEhrReview;
      if (payload?.userErrors.length) return setProblems(problemsFrom(payload.userErrors, { PATIENT_REQUIRED: "Choose the chart." }));
      setDone(said);
      onResolved();
    });
  }

  return (
    <section aria-labelledby="ehr-reviews-title">
      <h2 id="ehr-reviews-title">To review</h2>
      <ErrorSummary problems={problems} labels={{}} />
      {done && (
        <p className="notice" role="status">
          {done}
        </p>
      )}
      {open.length === 0 ? (
        <EmptyState title="Nothing to review.">When a sync cannot decide on its own, what it needs from you appears here.</EmptyState>
      ) : (
        <ul className="ehr-reviews">
          {open.map((r) => (
            <li key={r.id}>
              <p>
                <strong>{REVIEW_KIND[r.kind] ?? r.kind}</strong> — {r.resourceType} {r.fhirId}, since {formatDateTime(r.createdAt, zone)}.
              </p>
              <div role="group" aria-label={`Choices for ${r.resourceType} ${r.fhirId}`}>
                {r.kind === "WRITE_CONFLICT" ? (
                  <>
                    <button type="button" disabled={pending} onClick={() => settle(r, "OVERWRITE", undefined, "Portico's change will be sent again over the EHR's record.")}>
                      Send Portico's change again
                    </button>{" "}
                    <button type="button" disabled={pending} onClick={() => settle(r, "KEEP_EHR", undefined, "The EHR's record is kept.")}>
                      Keep the EHR's record
                    </button>
                  </>
                ) : (
                  <>
                    {r.kind === "PATIENT_MATCH" &&
                      r.candidates.map((c) => (
                        <span key={c}>
                          <button type="button" disabled={pending} onClick={() => settle(r, "LINK", c, "Linked. The patient's records are being pulled.")}>
                            It is chart {c}
                          </button>{" "}
                        </span>
                      ))}
                    <button type="button" disabled={pending} onClick={() => settle(r, "CREATE_PATIENT", undefined, "A new chart was made for the EHR patient.")}>
                      Make a new chart
                    </button>
                  </>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

type WriteFailure = { id: string; kind: string; lastError?: string | null; attempts: number; createdAt: string };

function FailedWrites({ writes, pending: waiting, zone, onRetried }: { writes: readonly WriteFailure[]; pending: number; zone: string; onRetried: () => void }) {
  const [, retry] = useMutation(Retry);
  const [pending, once] = useOnce();
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [done, setDone] = useState<string | null>(null);

  function again(w: WriteFailure) {
    void once(async () => {
      setProblems({});
      setDone(null);
      const result = await retry({ id: w.id });
      if (result.error) return setProblems({ _: problemOf(result.error).sentence });
      const payload = result.data?.retryEhrWrite;
      if (payload?.userErrors.length) return setProblems(problemsFrom(payload.userErrors));
      setDone(`The ${(WRITE_KIND[w.kind] ?? w.kind).toLowerCase()} will be sent to the EHR again in a moment.`);
      onRetried();
    });
  }

  return (
    <section aria-labelledby="ehr-writes-title">
      <h2 id="ehr-writes-title">Changes not written to the EHR</h2>
      {waiting > 0 && <p className="meta">{waiting === 1 ? "One change is" : `${waiting} changes are`} waiting to be sent.</p>}
      <ErrorSummary problems={problems} labels={{}} />
      {done && (
        <p className="notice" role="status">
          {done}
        </p>
      )}
      {writes.length === 0 ? (
        <EmptyState title="Every change reached the EHR." />
      ) : (
        <table className="data-table">
          <caption className="visually-hidden">Changes the EHR has not taken</caption>
          <thead>
            <tr>
              <th scope="col">Made</th>
              <th scope="col">Change</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last error</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {writes.map((w) => (
              <tr key={w.id}>
                <td>{formatDateTime(w.createdAt, zone)}</td>
                <td>{WRITE_KIND[w.kind] ?? w.kind}</td>
                <td>{w.attempts}</td>
                <td>{w.lastError ? ehrError(w.lastError, w.lastError) : "—"}</td>
                <td>
                  <button type="button" className="small" disabled={pending} onClick={() => again(w)} aria-label={`Try again: ${WRITE_KIND[w.kind] ?? w.kind} made ${formatDateTime(w.createdAt, zone)}`}>
                    Try again
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function ConnectionForm({ connection, onSaved }: { connection?: Connection; onSaved: () => void }) {
  const [form, setForm] = useState({
    baseUrl: connection?.baseUrl ?? "",
    authKind: (connection?.authKind ?? "SMART") as "SMART" | "BEARER",
    clientId: connection?.clientId ?? "",
    privateKey: "",
    keyId: connection?.keyId ?? "",
    tokenEndpoint: connection?.tokenEndpoint ?? "",
    token: "",
    syncIntervalMinutes: String(connection?.syncIntervalMinutes ?? 15),
    sendReadings: connection?.sendReadings ?? false,
  });
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string | null>(null);
  const [, update] = useMutation(Update);
  const [pending, once] = useOnce();

  function submit() {
    void once(async () => {
      setSaved(null);
      const missing: Record<string, string> = {};
      if (!form.baseUrl.trim()) missing.baseUrl = "Enter the EHR's FHIR base URL.";
      else if (!/^https:\/\//i.test(form.baseUrl.trim()) && !/^http:\/\//i.test(form.baseUrl.trim())) missing.baseUrl = WEB_ADDRESS;
      if (form.authKind === "SMART" && !form.clientId.trim()) missing.clientId = CLIENT_ID;
      const minutes = form.syncIntervalMinutes.trim();
      if (!/^\d+$/.test(minutes)) missing.syncIntervalMinutes = "Enter a whole number of minutes.";
      setProblems(missing);
      if (Object.keys(missing).length) return;
      const optional = (v: string) => v.trim() || null;
      const smart = form.authKind === "SMART";
      const result = await update({
        input: {
          baseUrl: form.baseUrl.trim(),
          authKind: form.authKind,
          clientId: smart ? optional(form.clientId) : null,
          privateKey: smart ? optional(form.privateKey) : null,
          keyId: smart ? optional(form.keyId) : null,
          tokenEndpoint: smart ? optional(form.tokenEndpoint) : null,
          token: smart ? null : optional(form.token),
          syncIntervalMinutes: Number(minutes),
          resourceTypes: connection?.resourceTypes ?? null,
          enabled: connection?.enabled ?? true,
          sendReadings: form.sendReadings,
        },
      });
      if (result.error) return setProblems({ _: problemOf(result.error).sentence });
      const payload = result.data?.updateEhrConnection;
      if (payload?.userErrors.length) return setProblems(problemsFrom(payload.userErrors, SENTENCES));
      if (payload?.connection) {
        setForm((f) => ({ ...f, privateKey: "", token: "" }));
        setSaved(`Saved. Portico connects to ${payload.connection.baseUrl}. Choose "Test connection" to check it.`);
        onSaved();
      }
    });
  }

  const set = (key: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>) => {
    const value = e.target.value;
    setForm((f) => ({ ...f, [key]: value }));
  };
  const keep = connection ? " Leave empty to keep the one stored." : "";
  return (
    <SettingsForm
      id="ehr-connect"
      title={connection ? "Change the connection" : "Connect your EHR"}
      about="Your EHR vendor gives these when it registers Portico as a backend app. The key and token are stored encrypted and never shown again."
      problems={problems}
      labels={LABELS}
      saved={saved}
      pending={pending}
      submitLabel={connection ? "Save the connection" : "Connect the EHR"}
      onSubmit={submit}
    >
      <Field name="baseUrl" label={LABELS.baseUrl} hint="Must start with https://, for example https://fhir.example.org/r4." error={problems.baseUrl}>
        {(p) => <input {...p} type="url" value={form.baseUrl} onChange={set("baseUrl")} autoComplete="off" spellCheck={false} />}
      </Field>
      <Field name="authKind" label={LABELS.authKind} hint="SMART Backend Services for a production EHR; an access token only for sandboxes." error={problems.authKind}>
        {(p) => (
          <select {...p} value={form.authKind} onChange={set("authKind")}>
            <option value="SMART">SMART Backend Services (client id and private key)</option>
            <option value="BEARER">Access token (sandboxes)</option>
          </select>
        )}
      </Field>
      {form.authKind === "SMART" ? (
        <>
          <Field name="clientId" label={LABELS.clientId} hint="The client id the EHR registered for Portico." error={problems.clientId}>
            {(p) => <input {...p} value={form.clientId} onChange={set("clientId")} autoComplete="off" spellCheck={false} />}
          </Field>
          <Field name="privateKey" label={LABELS.privateKey} hint={`The PKCS#8 PEM private key (RSA or EC P-384), starting with -----BEGIN PRIVATE KEY-----.${keep}`} error={problems.privateKey}>
            {(p) => <textarea {...p} rows={5} value={form.privateKey} onChange={set("privateKey")} autoComplete="off" spellCheck={false} />}
          </Field>
          <Field name="keyId" label={`${LABELS.keyId} (optional)`} hint="The kid the EHR knows the key by." error={problems.keyId}>
            {(p) => <input {...p} value={form.keyId} onChange={set("keyId")} autoComplete="off" spellCheck={false} />}
          </Field>
          <Field name="tokenEndpoint" label={`${LABELS.tokenEndpoint} (optional)`} hint="Must start with https://. Leave empty to find it from the EHR." error={problems.tokenEndpoint}>
            {(p) => <input {...p} type="url" value={form.tokenEndpoint} onChange={set("tokenEndpoint")} autoComplete="off" spellCheck={false} />}
          </Field>
        </>
      ) : (
        <Field name="token" label={LABELS.token} hint={`The bearer token the sandbox gave.${keep}`} error={problems.token}>
          {(p) => <input {...p} type="password" value={form.token} onChange={set("token")} autoComplete="off" />}
        </Field>
      )}
      <Field name="syncIntervalMinutes" label={`${LABELS.syncIntervalMinutes} (minutes)`} hint="How often Portico pulls changes; the usual is 15." error={problems.syncIntervalMinutes}>
        {(p) => <input {...p} className="number" inputMode="numeric" value={form.syncIntervalMinutes} onChange={set("syncIntervalMinutes")} autoComplete="off" />}
      </Field>
      <div className="check-field">
        <label className="checkbox" htmlFor="field-sendReadings">
          <input id="field-sendReadings" type="checkbox" checked={form.sendReadings} onChange={(e) => setForm((f) => ({ ...f, sendReadings: e.target.checked }))} />
          Send home readings to the EHR
        </label>
        <p className="hint">Blood pressure, glucose, weight and the other readings patients record go to the chart in the EHR as patient-reported observations. The EHR must accept Observation writes.</p>
      </div>
    </SettingsForm>
  );
}
