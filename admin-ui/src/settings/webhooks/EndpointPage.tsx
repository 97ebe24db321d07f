// One webhook endpoint: what it receives and its state, turning it off or on, changing it,
// rotating its secret (the new one shown once, the old one still signing for a day) and
// deleting it after a confirmation; its delivery log below.
import { useEffect, useRef, useState, type ReactNode } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { Dialog, Heading, Modal } from "react-aria-components";
import { useMutation, useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import { ErrorState, ErrorSummary, LoadingState } from "../../components/PageState";
import { formatDateTime } from "../../components/format";
import { useConsole } from "../../app/session";
import { problemsFrom, useOnce } from "../shared";
import { SETTINGS_PATHS } from "../routes";
import { DeliveryLog } from "./DeliveryLog";
import { EndpointForm, type EndpointValues } from "./EndpointForm";
import { SecretPanel } from "./SecretPanel";
import { OFF_BECAUSE, SENTENCES, eventsInWords } from "./words";
import "./webhooks.css";

const EndpointQuery = graphql(`
  query SettingsWebhookEndpoint($id: ID!) {
    webhookEndpoint(id: $id) {
      id
      url
      description
      eventTypes
      enabled
      disabledAt
      disabledReason
      previousSecretValidUntil
      createdAt
      updatedAt
    }
  }
`);

const Update = graphql(`
  mutation SettingsUpdateWebhookEndpoint($input: UpdateWebhookEndpointInput!) {
    updateWebhookEndpoint(input: $input) {
      endpoint {
        id
        url
        description
        eventTypes
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

const SetEnabled = graphql(`
  mutation SettingsSetWebhookEndpointEnabled($input: SetWebhookEndpointEnabledInput!) {
    setWebhookEndpointEnabled(input: $input) {
      endpoint {
        id
        enabled
        disabledAt
        disabledReason
      }
    }
  }
`);

const Rotate = graphql(`
  mutation SettingsRotateWebhookSecret($id: ID!) {
    rotateWebhookSecret(input: { id: $id }) {
      endpoint {
        id
        previousSecretValidUntil
      }
      secret
    }
  }
`);

const Delete = graphql(`
  mutation SettingsDeleteWebhookEndpoint($id: ID!) {
    deleteWebhookEndpoint(input: { id: $id }) {
      deletedId
    }
  }
`);

export default function EndpointPage() {
  const { endpointId } = useParams();
  return endpointId ? <Endpoint key={endpointId} id={endpointId} /> : null;
}

function Endpoint({ id }: { id: string }) {
  const { me } = useConsole();
  const tz = me.tenant.timeZone;
  const navigate = useNavigate();
  const [{ data, error, fetching }, reload] = useQuery({ query: EndpointQuery, variables: { id } });
  const [, update] = useMutation(Update);
  const [, setEnabled] = useMutation(SetEnabled);
  const [, rotate] = useMutation(Rotate);
  const [, remove] = useMutation(Delete);
  const [busy, once] = useOnce();
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [done, setDone] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState<"rotate" | "delete" | null>(null);
  // The new secret lives only here, in memory.
  const [rotated, setRotated] = useState<{ secret: string; oldUntil: string | null } | null>(null);
  const [logKey, setLogKey] = useState(0);
  const doneNotice = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (done) doneNotice.current?.focus();
  }, [done]);
  const refresh = () => reload({ requestPolicy: "network-only" });

  const endpoint = data?.webhookEndpoint;
  if (error && !data) {
    return (
      <>
        <BackLink />
        <h1>Webhook endpoint</h1>
        <ErrorState problem={problemOf(error)} retry={refresh} />
      </>
    );
  }
  if (!endpoint) {
    return (
      <>
        <BackLink />
        <h1>Webhook endpoint</h1>
        {fetching && <LoadingState label="Loading the endpoint" rows={4} />}
      </>
    );
  }
  const ep = endpoint;

  function act(work: () => Promise<string | null>) {
    void once(async () => {
      setProblems({});
      setDone(null);
      try {
        const said = await work();
        if (said) setDone(said);
      } catch (e) {
        setProblems({ _: problemOf(e).sentence });
      }
    });
  }

  function turn(on: boolean) {
    act(async () => {
      const result = await setEnabled({ input: { id: ep.id, enabled: on } });
      if (result.error) throw result.error;
      setLogKey((k) => k + 1);
      return on
        ? "The endpoint is on. New events are sent to it; replay what it missed from the log below."
        : "The endpoint is off. Nothing is sent to it; events meanwhile are logged as failed, to replay later.";
    });
  }

  function rotateSecret() {
    setConfirming(null);
    act(async () => {
      const result = await rotate({ id: ep.id });
      if (result.error) throw result.error;
      const payload = result.data?.rotateWebhookSecret;
      if (payload) setRotated({ secret: payload.secret, oldUntil: payload.endpoint.previousSecretValidUntil ?? null });
      return null;
    });
  }

  function deleteEndpoint() {
    setConfirming(null);
    act(async () => {
      const result = await remove({ id: ep.id });
      if (result.error) throw result.error;
      navigate(`/${SETTINGS_PATHS.webhooks}`, { state: { deleted: `The endpoint ${ep.url} is deleted, with its delivery log.` } });
      return null;
    });
  }

  async function save(values: EndpointValues): Promise<Record<string, string> | null> {
    const result = await update({ input: { id: ep.id, ...values } });
    if (result.error) return { _: problemOf(result.error).sentence };
    const payload = result.data?.updateWebhookEndpoint;
    if (payload?.userErrors.length) return problemsFrom(payload.userErrors, SENTENCES);
    setEditing(false);
    setDone("Saved. New events follow the changed address and events.");
    refresh();
    return null;
  }

  const oldStillSigns = ep.previousSecretValidUntil && Date.parse(ep.previousSecretValidUntil) > Date.now() ? ep.previousSecretValidUntil : null;
  return (
    <>
      <BackLink />
      <h1>Webhook endpoint</h1>
      <p className="webhook-url-line">
        <code>{ep.url}</code>{" "}
        {ep.enabled ? <span className="tag tag-ok">On</span> : <span className={ep.disabledReason === "FAILING" ? "tag tag-danger" : "tag tag-muted"}>Off</span>}
      </p>
      {!ep.enabled && ep.disabledReason === "FAILING" && (
        <div className="webhook-failing" role="note">
          <p>
            <strong>{OFF_BECAUSE.FAILING}.</strong> Every try failed for about three days with no success, so Portico stopped sending and emailed the
            practice admins. Fix the receiving system, turn the endpoint on, then replay the failures from the log below.
          </p>
        </div>
      )}
      <ErrorSummary problems={problems} labels={{}} />
      {done && (
        <p className="notice" role="status" ref={doneNotice} tabIndex={-1}>
          {done}
        </p>
      )}
      {rotated && (
        <SecretPanel title="The new signing secret" secret={rotated.secret} onHide={() => setRotated(null)}>
          {rotated.oldUntil && (
            <p>
              Messages carry signatures from both secrets until <strong>{formatDateTime(rotated.oldUntil, tz)}</strong>, so the receiver keeps working
              while you switch it to the new secret. After that, only the new one signs.
            </p>
          )}
        </SecretPanel>
      )}
      <dl className="webhook-facts">
        <dt>Description</dt>
        <dd>{ep.description || <span className="muted">None</span>}</dd>
        <dt>Events</dt>
        <dd>{eventsInWords(ep.eventTypes)}</dd>
        <dt>State</dt>
        <dd>
          {ep.enabled
            ? "On: each event is sent as it happens"
            : `${ep.disabledReason ? OFF_BECAUSE[ep.disabledReason] : "Turned off"}${ep.disabledAt ? ` on ${formatDateTime(ep.disabledAt, tz)}` : ""}`}
        </dd>
        <dt>Signing secret</dt>
        <dd>{oldStillSigns ? `Rotated; the old secret also signs until ${formatDateTime(oldStillSigns, tz)}` : "Shown once when made; rotate it to get a new one"}</dd>
        <dt>Added</dt>
        <dd>{formatDateTime(ep.createdAt, tz)}</dd>
      </dl>
      <div className="row-actions webhook-actions">
        {ep.enabled ? (
          <button type="button" disabled={busy} onClick={() => turn(false)}>
            Turn off
          </button>
        ) : (
          <button type="button" className="primary" disabled={busy} onClick={() => turn(true)}>
            Turn on
          </button>
        )}
        <button type="button" disabled={busy} aria-expanded={editing} onClick={() => setEditing((e) => !e)}>
          Change address or events
        </button>
        <button type="button" disabled={busy} onClick={() => setConfirming("rotate")}>
          Rotate secret
        </button>
        <button type="button" className="danger" disabled={busy} onClick={() => setConfirming("delete")}>
          Delete
        </button>
      </div>
      {editing && (
        <EndpointForm
          id="change-endpoint"
          title="Change the endpoint"
          submitLabel="Save changes"
          initial={{ url: ep.url, description: ep.description, eventTypes: [...ep.eventTypes] }}
          save={save}
        />
      )}
      <DeliveryLog key={logKey} endpointId={ep.id} enabled={ep.enabled} tz={tz} />
      {confirming === "rotate" && (
        <Confirm
          title="Rotate the signing secret?"
          action="Rotate secret"
          onConfirm={rotateSecret}
          onCancel={() => setConfirming(null)}
        >
          Portico makes a new secret and shows it once. The old one also signs for 24 hours, so the receiving system keeps working while you give it the new
          one.
        </Confirm>
      )}
      {confirming === "delete" && (
        <Confirm title={`Delete ${ep.url}?`} action="Delete endpoint" danger onConfirm={deleteEndpoint} onCancel={() => setConfirming(null)}>
          Portico stops sending to it at once and removes its delivery log. This cannot be undone; to stop it for a while, turn it off instead.
        </Confirm>
      )}
    </>
  );
}

function BackLink() {
  return (
    <p className="back-link">
      <Link to={`/${SETTINGS_PATHS.webhooks}`}>All webhooks</Link>
    </p>
  );
}

function Confirm({
  title,
  action,
  danger,
  onConfirm,
  onCancel,
  children,
}: {
  title: string;
  action: string;
  danger?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
  children: ReactNode;
}) {
  return (
    <Modal isOpen isDismissable onOpenChange={(open) => !open && onCancel()} className="modal">
      <Dialog className="dialog" role="alertdialog" aria-labelledby="confirm-title">
        <Heading slot="title" id="confirm-title">
          {title}
        </Heading>
        <p>{children}</p>
        <div className="row-actions">
          <button type="button" className={danger ? "danger" : "primary"} onClick={onConfirm}>
            {action}
          </button>
          <button type="button" onClick={onCancel} autoFocus>
            Cancel
          </button>
        </div>
      </Dialog>
    </Modal>
  );
}
