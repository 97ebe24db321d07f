// Patient apps (SMART App Launch): what connecting an app means for patients, the addresses
// to give an app's developer, the practice's registered apps, registering one (its client
// ID, and a confidential app's secret shown once, kept only on this page) and turning one
// off after a confirmation. Also the practice's backend services (SMART Backend Services:
// its own systems exporting its data in bulk), registered with their public keys.
import { useEffect, useRef, useState } from "react";
import { Dialog, Heading, Modal } from "react-aria-components";
import { useMutation, useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import { EmptyState, ErrorState, ErrorSummary, Field, LoadingState } from "../../components/PageState";
import { formatDateTime } from "../../components/format";
import { useConsole } from "../../app/session";
import { problemsFrom, SettingsForm, useOnce } from "../shared";
import { CopyValue } from "./CopyButton";
import { JWKS_RULE, KINDS, LABELS, REDIRECT_RULE, SENTENCES, SERVICE_FIELDS, SERVICE_LABELS, SERVICE_SENTENCES, jwksProblem, kindInWords, linesOf } from "./words";
import "./smart-apps.css";

// What the page shows of an app, in the list and after registering one.
graphql(`
  fragment SmartAppFields on SmartApp {
    id
    name
    clientId
    redirectUris
    confidential
    backendService
    keyIds
    disabledAt
    createdAt
  }
`);

const SmartAppsQuery = graphql(`
  query SettingsSmartApps {
    smartApps {
      ...SmartAppFields
    }
  }
`);

const Register = graphql(`
  mutation SettingsRegisterSmartApp($input: RegisterSmartAppInput!) {
    registerSmartApp(input: $input) {
      app {
        ...SmartAppFields
      }
      clientSecret
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const RegisterService = graphql(`
  mutation SettingsRegisterBackendService($input: RegisterBackendServiceInput!) {
    registerBackendService(input: $input) {
      app {
        ...SmartAppFields
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const Disable = graphql(`
  mutation SettingsDisableSmartApp($id: ID!) {
    disableSmartApp(id: $id) {
      app {
        id
        disabledAt
      }
    }
  }
`);

/** The practice's calendar day of an instant: "Dec 7, 2026". */
function formatDay(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone }).format(new Date(iso));
}

interface App {
  id: string;
  name: string;
  backendService: boolean;
}

interface Registered {
  name: string;
  clientId: string;
  /** A confidential app's secret: here, in memory, and nowhere else. */
  secret: string | null;
}

export default function SmartAppsPage() {
  const { me } = useConsole();
  const tz = me.tenant.timeZone;
  // The `/t/{slug}` form works on every host (a practice's own host also serves `/fhir/r4`).
  const fhirBase = `${window.location.origin}/t/${me.tenant.slug}/fhir/r4`;
  const discovery = `${fhirBase}/.well-known/smart-configuration`;
  const [{ data, error, fetching }, reload] = useQuery({ query: SmartAppsQuery });
  const [, register] = useMutation(Register);
  const [, registerService] = useMutation(RegisterService);
  const [, disable] = useMutation(Disable);
  const [name, setName] = useState("");
  const [uris, setUris] = useState("");
  const [confidential, setConfidential] = useState(false);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [disableProblem, setDisableProblem] = useState<Record<string, string>>({});
  const [registered, setRegistered] = useState<Registered | null>(null);
  const [serviceName, setServiceName] = useState("");
  const [jwks, setJwks] = useState("");
  const [serviceProblems, setServiceProblems] = useState<Record<string, string>>({});
  const [service, setService] = useState<{ name: string; clientId: string } | null>(null);
  const [servicePending, onceService] = useOnce();
  const servicePanel = useRef<HTMLHeadingElement>(null);
  const [done, setDone] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<App | null>(null);
  const [pending, once] = useOnce();
  const [disabling, onceDisable] = useOnce();
  const panel = useRef<HTMLHeadingElement>(null);
  // After the dialog closes its button is gone: focus goes to what happened instead.
  const doneNotice = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (done) doneNotice.current?.focus();
  }, [done]);
  // A new app's panel takes the focus once it is on the page.
  useEffect(() => {
    if (registered) panel.current?.focus();
  }, [registered]);
  useEffect(() => {
    if (service) servicePanel.current?.focus();
  }, [service]);
  const refresh = () => reload({ requestPolicy: "network-only" });
  const tokenUrl = `${window.location.origin}/t/${me.tenant.slug}/oauth/token`;

  function submit() {
    void once(async () => {
      setDone(null);
      const redirectUris = linesOf(uris);
      const local: Record<string, string> = {};
      if (!name.trim()) local.name = SENTENCES["name:INVALID_NAME"]!;
      if (redirectUris.length === 0) local.redirectUris = `Enter where the app receives the patient back. ${REDIRECT_RULE}`;
      setProblems(local);
      if (Object.keys(local).length) return;
      const result = await register({ input: { name: name.trim(), redirectUris, confidential } });
      if (result.error) return setProblems({ _: problemOf(result.error).sentence });
      const payload = result.data?.registerSmartApp;
      if (payload?.userErrors.length) return setProblems(problemsFrom(payload.userErrors, SENTENCES));
      if (payload?.app) {
        setRegistered({ name: payload.app.name, clientId: payload.app.clientId, secret: payload.clientSecret ?? null });
        setName("");
        setUris("");
        setConfidential(false);
        refresh();
      }
    });
  }

  function submitService() {
    void onceService(async () => {
      setDone(null);
      const local: Record<string, string> = {};
      if (!serviceName.trim()) local.serviceName = SERVICE_SENTENCES["name:INVALID_NAME"]!;
      if (!jwks.trim()) local.jwks = `Paste the service's public key set. ${JWKS_RULE}`;
      setServiceProblems(local);
      if (Object.keys(local).length) return;
      const result = await registerService({ input: { name: serviceName.trim(), jwks: jwks.trim() } });
      if (result.error) return setServiceProblems({ _: problemOf(result.error).sentence });
      const payload = result.data?.registerBackendService;
      if (payload?.userErrors.length) {
        // The API's fields, under this form's own ids; the key set's reason in the page's words.
        const byField = problemsFrom(payload.userErrors, SERVICE_SENTENCES);
        const mine: Record<string, string> = {};
        for (const [field, sentence] of Object.entries(byField)) mine[SERVICE_FIELDS[field] ?? field] = sentence;
        const refusedKeys = payload.userErrors.find((e) => e.field === "jwks");
        if (refusedKeys) mine.jwks = jwksProblem(refusedKeys.message);
        return setServiceProblems(mine);
      }
      if (payload?.app) {
        setService({ name: payload.app.name, clientId: payload.app.clientId });
        setServiceName("");
        setJwks("");
        refresh();
      }
    });
  }

  function confirmDisable() {
    const app = confirming;
    if (!app) return;
    // The dialog closes first, so its own focus restore is done before the answer arrives.
    setConfirming(null);
    void onceDisable(async () => {
      const result = await disable({ id: app.id });
      if (result.error) return setDisableProblem({ _: problemOf(result.error).sentence });
      setDisableProblem({});
      setDone(
        app.backendService
          ? `${app.name} is turned off. Its token requests, tokens and exports are refused from now on.`
          : `${app.name} is turned off. Its sign-in requests and tokens are refused from now on.`,
      );
      refresh();
    });
  }

  const apps = data?.smartApps ?? [];
  return (
    <>
      <h1>Patient apps</h1>
      <p className="smart-intro">
        Patients can connect apps they choose (a health diary, a medication reminder) to read their record through Portico's FHIR API, the SMART on FHIR
        way. The app asks; the patient signs in to the portal and decides on a consent page what it may read; and the patient can remove the app at any
        time. Only the apps you register here can ask. Your practice's own systems can also export its data in bulk as a backend service, further down.
      </p>
      <ErrorSummary problems={disableProblem} labels={{}} />
      {done && (
        <p className="notice" role="status" ref={doneNotice} tabIndex={-1}>
          {done}
        </p>
      )}
      {registered && (
        <section className={registered.secret ? "key-once smart-registered" : "smart-registered smart-registered-public"} aria-labelledby="smart-once-title">
          <h2 id="smart-once-title" ref={panel} tabIndex={-1}>
            {registered.name} is registered
          </h2>
          <p>Give the developer the app's client ID{registered.secret ? " and its client secret" : ""}, with the addresses under “For the app's developer”.</p>
          <dl className="smart-credentials">
            <dt>Client ID</dt>
            <dd>
              <CopyValue value={registered.clientId} label="Copy client ID" primary={!registered.secret} />
            </dd>
            {registered.secret && (
              <>
                <dt>Client secret</dt>
                <dd>
                  <p>
                    <strong>It is shown this once: copy it now.</strong> Send it to the developer safely (a shared password vault, not email). If it is
                    lost, turn the app off and register it again.
                  </p>
                  <CopyValue value={registered.secret} label="Copy secret" primary />
                </dd>
              </>
            )}
          </dl>
          <div className="row-actions">
            <button type="button" onClick={() => setRegistered(null)}>
              {registered.secret ? "I have saved it, hide it" : "Hide"}
            </button>
          </div>
        </section>
      )}
      {service && (
        <section className="smart-registered smart-registered-public" aria-labelledby="smart-service-title">
          <h2 id="smart-service-title" ref={servicePanel} tabIndex={-1}>
            {service.name} is registered
          </h2>
          <p>
            Give the service's developer its client ID and these two addresses. The service signs its token requests with its private key, which never
            leaves the service; Portico keeps only the public keys.
          </p>
          <dl className="smart-credentials">
            <dt>Client ID</dt>
            <dd>
              <CopyValue value={service.clientId} label="Copy client ID" primary />
            </dd>
            <dt>Token URL</dt>
            <dd>
              <CopyValue value={tokenUrl} label="Copy" name="Copy token URL" />
            </dd>
            <dt>FHIR base URL</dt>
            <dd>
              <CopyValue value={fhirBase} label="Copy" name="Copy FHIR base URL" />
            </dd>
          </dl>
          <p className="meta">
            It asks for the scope <code>system/*.rs</code> with a signed assertion (<code>client_credentials</code>, RS384 or ES384), then starts an
            export at <code>$export</code> under the FHIR base URL.
          </p>
          <div className="row-actions">
            <button type="button" onClick={() => setService(null)}>
              Hide
            </button>
          </div>
        </section>
      )}
      <section className="smart-developer" aria-labelledby="smart-developer-title">
        <h2 id="smart-developer-title">For the app's developer</h2>
        <p className="meta">
          The app finds Portico's sign-in and token addresses from the discovery address. Patients sign in with their portal account; an app reads only
          the record the patient chose, and only what they allowed.
        </p>
        <dl className="smart-credentials">
          <dt>FHIR base URL</dt>
          <dd>
            <CopyValue value={fhirBase} label="Copy" name="Copy FHIR base URL" />
          </dd>
          <dt>Discovery (SMART configuration)</dt>
          <dd>
            <CopyValue value={discovery} label="Copy" name="Copy discovery URL" />
          </dd>
        </dl>
      </section>
      <h2 id="smart-list-title">Registered apps</h2>
      {error && !data && <ErrorState problem={problemOf(error)} retry={refresh} />}
      {fetching && !data && <LoadingState label="Loading patient apps" rows={3} />}
      {data && apps.length === 0 && <EmptyState title="No apps yet.">Add one below when a developer asks to connect an app for your patients.</EmptyState>}
      {apps.length > 0 && (
        // In a narrow window the table scrolls in its own box (reachable by keyboard), not the page.
        <div className="smart-table-scroll" role="region" aria-labelledby="smart-list-title" tabIndex={0}>
          <table className="data-table smart-apps">
            <caption className="visually-hidden">Registered apps, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Client ID</th>
                <th scope="col">Redirect URIs or key IDs</th>
                <th scope="col">Kind</th>
                <th scope="col">Status</th>
                <th scope="col">Registered</th>
              </tr>
            </thead>
            <tbody>
              {apps.map((a) => (
                <tr key={a.id}>
                  <th scope="row">{a.name}</th>
                  <td>
                    <CopyValue value={a.clientId} label="Copy" name={`Copy client ID of ${a.name}`} />
                  </td>
                  <td>
                    {a.backendService ? (
                      <>
                        <span className="meta">{a.keyIds.length === 1 ? "Key ID" : "Key IDs"}</span>
                        <ul className="smart-uris">
                          {a.keyIds.map((k) => (
                            <li key={k}>
                              <code>{k}</code>
                            </li>
                          ))}
                        </ul>
                      </>
                    ) : (
                      <ul className="smart-uris">
                        {a.redirectUris.map((u) => (
                          <li key={u}>
                            <code>{u}</code>
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td>{kindInWords(a)}</td>
                  <td>
                    {a.disabledAt ? (
                      <>
                        <span className="tag tag-muted">Turned off</span>
                        <div className="meta" title={formatDateTime(a.disabledAt, tz)}>
                          since {formatDay(a.disabledAt, tz)}
                        </div>
                      </>
                    ) : (
                      <div className="smart-on">
                        <span className="tag tag-ok">On</span>
                        <button type="button" onClick={() => setConfirming(a)} aria-label={`Turn off ${a.name}`}>
                          Turn off
                        </button>
                      </div>
                    )}
                  </td>
                  <td className="smart-day" title={formatDateTime(a.createdAt, tz)}>
                    {formatDay(a.createdAt, tz)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <SettingsForm
        id="add-app"
        title="Add an app"
        about="Add an app when its developer asks, with the name and redirect URIs they give you. Its client ID, and a confidential app's secret, are shown right after."
        problems={problems}
        labels={LABELS}
        saved={null}
        pending={pending}
        submitLabel="Add app"
        onSubmit={submit}
      >
        <Field name="name" label={LABELS.name} hint="Patients see it on the consent page, so use the name they know the app by. Up to 100 characters." error={problems.name}>
          {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />}
        </Field>
        <Field
          name="redirectUris"
          label={LABELS.redirectUris}
          hint={`Where Portico sends the patient back to the app after they decide, exactly as the developer gives them. ${REDIRECT_RULE}`}
          error={problems.redirectUris}
        >
          {(p) => <textarea {...p} rows={3} value={uris} onChange={(e) => setUris(e.target.value)} autoComplete="off" spellCheck={false} />}
        </Field>
        <fieldset id="field-confidential">
          <legend>{LABELS.confidential}</legend>
          {(["public", "confidential"] as const).map((k) => (
            <label key={k} className="radio">
              <input type="radio" name="smart-kind" value={k} checked={confidential === (k === "confidential")} onChange={() => setConfidential(k === "confidential")} />
              <span>
                {KINDS[k].label} <span className="muted">({KINDS[k].about})</span>
              </span>
            </label>
          ))}
        </fieldset>
      </SettingsForm>
      <SettingsForm
        id="add-service"
        title="Add a backend service"
        about={
          <>
            A backend service is one of your practice's own systems, such as a data warehouse, that exports the whole practice's data in bulk, with
            no patient signing in. Restricted charts are left out, and every chart it exports is in the audit log. Add one when its developer gives
            you its name and public key set.
          </>
        }
        problems={serviceProblems}
        labels={SERVICE_LABELS}
        saved={null}
        pending={servicePending}
        submitLabel="Add backend service"
        onSubmit={submitService}
      >
        <Field name="serviceName" label={SERVICE_LABELS.serviceName} hint="Shown in this list and in the audit log. Up to 100 characters." error={serviceProblems.serviceName}>
          {(p) => <input {...p} value={serviceName} onChange={(e) => setServiceName(e.target.value)} autoComplete="off" />}
        </Field>
        <Field name="jwks" label={SERVICE_LABELS.jwks} hint={`${JWKS_RULE} Never a private key.`} error={serviceProblems.jwks}>
          {(p) => (
            <textarea
              {...p}
              className="smart-jwks"
              rows={6}
              value={jwks}
              onChange={(e) => setJwks(e.target.value)}
              autoComplete="off"
              spellCheck={false}
              placeholder='{"keys": [ … ]}'
            />
          )}
        </Field>
      </SettingsForm>
      {confirming && (
        <Modal isOpen isDismissable onOpenChange={(open) => !open && setConfirming(null)} className="modal">
          <Dialog className="dialog" role="alertdialog" aria-labelledby="disable-title">
            <Heading slot="title" id="disable-title">
              Turn off {confirming.name}?
            </Heading>
            {confirming.backendService ? (
              <p>
                It stops at once: its token requests, tokens and exports are refused from now on. It cannot be turned back on; to use the service
                again, register it again and give the developer the new client ID.
              </p>
            ) : (
              <p>
                Patients who connected it lose its access at once: its sign-in requests and tokens are refused from now on. It cannot be turned back on;
                to use the app again, register it again and give the developer the new client ID.
              </p>
            )}
            <div className="row-actions">
              <button type="button" className="danger" onClick={confirmDisable} disabled={disabling}>
                {confirming.backendService ? "Turn off service" : "Turn off app"}
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
