// Failed deliveries (practice admins): messages that used up their attempts, newest first, each
// given a fresh set of attempts once the cause (a wrong address, a mail outage) is fixed.
import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import { EmptyState, ErrorState, ErrorSummary, LoadingState } from "../components/PageState";
import { formatDateTime } from "../components/format";
import { problemsFrom, useOnce } from "../practice/shared";
import { useConsole } from "../app/session";
import "../chart/chart.css";

const FailedQuery = graphql(`
  query FailedDeliveries {
    failedDeliveries(first: 100) {
      id
      channel
      to
      subject
      createdAt
      attempts
      lastError
    }
  }
`);

const Retry = graphql(`
  mutation RetryDelivery($id: ID!) {
    retryDelivery(input: { deliveryId: $id }) {
      delivery {
        id
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

export default function DeliveriesPage() {
  const { me } = useConsole();
  const zone = me.tenant.timeZone;
  const [{ data, error, fetching }, reload] = useQuery({ query: FailedQuery, requestPolicy: "cache-and-network" });
  const refresh = () => reload({ requestPolicy: "network-only" });
  const [, retry] = useMutation(Retry);
  const [pending, once] = useOnce();
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [done, setDone] = useState<string | null>(null);

  function send(d: { id: string; to?: string | null; subject?: string | null }) {
    void once(async () => {
      setProblems({});
      setDone(null);
      const result = await retry({ id: d.id });
      if (result.error) return setProblems({ _: problemOf(result.error).sentence });
      const payload = result.data?.retryDelivery;
      if (payload?.userErrors.length) return setProblems(problemsFrom(payload.userErrors));
      setDone(`The message${d.subject ? ` "${d.subject}"` : ""}${d.to ? ` to ${d.to}` : ""} will be sent again in a moment.`);
      refresh();
    });
  }

  const rows = data?.failedDeliveries ?? [];
  return (
    <>
      <h1>Failed deliveries</h1>
      <p>Emails that could not be delivered after every attempt. Fix the cause (a wrong address on the chart, for example), then send again.</p>
      {done && (
        <p className="notice" role="status">
          {done}
        </p>
      )}
      <ErrorSummary problems={problems} labels={{}} />
      {error && !data && <ErrorState problem={problemOf(error)} retry={refresh} />}
      {fetching && !data && <LoadingState label="Loading failed deliveries" rows={3} />}
      {data && rows.length === 0 && <EmptyState title="No failed deliveries.">Every message was delivered. A message that fails every attempt appears here.</EmptyState>}
      {rows.length > 0 && (
        <table className="data-table">
          <caption className="visually-hidden">Failed deliveries, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Created</th>
              <th scope="col">To</th>
              <th scope="col">Subject</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last error</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((d) => (
              <tr key={d.id}>
                <td>{formatDateTime(d.createdAt, zone)}</td>
                <td>{d.to ?? "—"}</td>
                <td>{d.subject ?? "—"}</td>
                <td>{d.attempts}</td>
                <td>{d.lastError ?? "—"}</td>
                <td>
                  <button type="button" className="small" disabled={pending} onClick={() => send(d)} aria-label={`Send again: ${d.subject ?? "message"} to ${d.to ?? "recipient"}`}>
                    Send again
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
