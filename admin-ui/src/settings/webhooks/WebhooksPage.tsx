// Webhooks: the practice's endpoints (address, events in words, on or off and why) and adding
// one, its signing secret shown once. Each endpoint's own page changes, rotates, turns off
// and deletes it and holds its delivery log.
import { useEffect, useRef, useState } from "react";
import { Link, useLocation } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import { EmptyState, ErrorState, LoadingState } from "../../components/PageState";
import { formatDateTime } from "../../components/format";
import { useConsole } from "../../app/session";
import { problemsFrom } from "../shared";
import { EndpointForm, type EndpointValues } from "./EndpointForm";
import { SecretPanel } from "./SecretPanel";
import { OFF_BECAUSE, SENTENCES, eventsInWords } from "./words";
import "./webhooks.css";

const EndpointsQuery = graphql(`
  query SettingsWebhookEndpoints {
    webhookEndpoints {
      id
      url
      description
      eventTypes
      enabled
      disabledReason
      createdAt
    }
  }
`);

const Create = graphql(`
  mutation SettingsCreateWebhookEndpoint($input: CreateWebhookEndpointInput!) {
    createWebhookEndpoint(input: $input) {
      endpoint {
        id
        url
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

const EMPTY: EndpointValues = { url: "", description: "", eventTypes: [] };

export default function WebhooksPage() {
  const { me } = useConsole();
  const tz = me.tenant.timeZone;
  const location = useLocation();
  const [{ data, error, fetching }, reload] = useQuery({ query: EndpointsQuery });
  const [, create] = useMutation(Create);
  // The secret lives only here, in memory: never in the cache, storage or the address.
  const [created, setCreated] = useState<{ id: string; url: string; secret: string } | null>(null);
  const [formKey, setFormKey] = useState(0);
  // A deletion on an endpoint's page comes back here with its sentence.
  const gone = (location.state as { deleted?: string } | null)?.deleted ?? null;
  const goneNotice = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (gone) goneNotice.current?.focus();
  }, [gone]);
  const refresh = () => reload({ requestPolicy: "network-only" });

  async function add(values: EndpointValues): Promise<Record<string, string> | null> {
    const result = await create({ input: values });
    if (result.error) return { _: problemOf(result.error).sentence };
    const payload = result.data?.createWebhookEndpoint;
    if (payload?.userErrors.length) return problemsFrom(payload.userErrors, SENTENCES);
    if (payload?.endpoint && payload.secret) {
      setCreated({ id: payload.endpoint.id, url: payload.endpoint.url, secret: payload.secret });
      setFormKey((k) => k + 1);
      refresh();
    }
    return null;
  }

  const endpoints = data?.webhookEndpoints ?? [];
  return (
    <>
      <h1>Webhooks</h1>
      <p>
        A webhook tells one of your practice's systems the moment something happens in Portico (a visit booked, a reading beyond its threshold, an EHR sync
        that failed). Portico sends each event as a signed HTTP POST, tries again for about three days if the receiver does not accept it, and keeps a log
        you can replay from.
      </p>
      {gone && (
        <p className="notice" role="status" ref={goneNotice} tabIndex={-1}>
          {gone}
        </p>
      )}
      {created && (
        <SecretPanel title={`Signing secret for ${created.url}`} secret={created.secret} onHide={() => setCreated(null)}>
          <p>
            <Link to={created.id}>Open the endpoint and its delivery log</Link>
          </p>
        </SecretPanel>
      )}
      {error && !data && <ErrorState problem={problemOf(error)} retry={refresh} />}
      {fetching && !data && <LoadingState label="Loading webhooks" rows={3} />}
      {data && endpoints.length === 0 && <EmptyState title="No webhook endpoints yet.">Add one below with the address your system listens on.</EmptyState>}
      {endpoints.length > 0 && (
        <table className="data-table webhook-endpoints">
          <caption className="visually-hidden">Webhook endpoints, oldest first</caption>
          <thead>
            <tr>
              <th scope="col">Address</th>
              <th scope="col">Events</th>
              <th scope="col">State</th>
              <th scope="col">Added</th>
            </tr>
          </thead>
          <tbody>
            {endpoints.map((e) => (
              <tr key={e.id}>
                <th scope="row">
                  <Link to={e.id} className="webhook-url">
                    {e.url}
                  </Link>
                  {e.description && <div className="meta">{e.description}</div>}
                </th>
                <td>{eventsInWords(e.eventTypes)}</td>
                <td>
                  {e.enabled ? (
                    <span className="tag tag-ok">On</span>
                  ) : (
                    <>
                      <span className={e.disabledReason === "FAILING" ? "tag tag-danger" : "tag tag-muted"}>Off</span>
                      <div className="meta">{e.disabledReason ? OFF_BECAUSE[e.disabledReason] : "Turned off"}</div>
                    </>
                  )}
                </td>
                <td>{formatDateTime(e.createdAt, tz)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <EndpointForm
        key={formKey}
        id="add-endpoint"
        title="Add an endpoint"
        about="The signing secret is shown once, right after you add the endpoint."
        submitLabel="Add endpoint"
        initial={EMPTY}
        save={add}
      />
    </>
  );
}
