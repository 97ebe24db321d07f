// The practice's conversations: overdue first, filtered by pool, assignee and status, and
// updated live as patients write (graphql-ws).
import { useMemo, useState } from "react";
import { Link } from "react-router";
import { useQuery, useSubscription } from "urql";
import { graphql, problemOf } from "@portico/client";
import type { AssigneeFilter, ThreadStatus } from "@portico/client/gql/graphql";
import { EmptyState, ErrorState, LoadingState } from "../components/PageState";
import { formatDateTime, formatRelative } from "../components/format";
import { useConsole } from "../app/session";

const InboxQuery = graphql(`
  query Inbox($poolId: ID, $assignee: AssigneeFilter, $status: ThreadStatus, $overdue: Boolean) {
    careTeamPools {
      id
      name
    }
    inbox(poolId: $poolId, assignee: $assignee, status: $status, overdue: $overdue, first: 100) {
      id
      subject
      restricted
      status
      category
      unread
      overdue
      replyDueAt
      awaitingReplySince
      lastMessageAt
      assigneeId
      pool {
        id
        name
      }
    }
  }
`);

export const ThreadUpdates = graphql(`
  subscription ThreadUpdates($threadId: ID) {
    threadUpdates(threadId: $threadId) {
      kind
      thread {
        id
      }
    }
  }
`);

const CATEGORY: Record<string, string> = {
  MEDICAL_QUESTION: "Medical question",
  APPOINTMENT: "Appointment",
  PRESCRIPTION: "Prescription",
  TEST_RESULT: "Test result",
  BILLING: "Billing",
  OTHER: "Other",
};

export default function InboxPage() {
  const { me } = useConsole();
  const [status, setStatus] = useState<ThreadStatus | "">("OPEN");
  const [assignee, setAssignee] = useState<AssigneeFilter | "">("");
  const [poolId, setPoolId] = useState("");
  const [overdue, setOverdue] = useState(false);
  const variables = useMemo(
    () => ({ status: status || null, assignee: assignee || null, poolId: poolId || null, overdue: overdue || null }),
    [status, assignee, poolId, overdue],
  );
  const [{ data, error, fetching }, reload] = useQuery({ query: InboxQuery, variables });
  const [live] = useSubscription({ query: ThreadUpdates, variables: {} }, (count: number | undefined) => {
    reload({ requestPolicy: "network-only" });
    return (count ?? 0) + 1;
  });

  const threads = useMemo(
    () => [...(data?.inbox ?? [])].sort((a, b) => Number(b.overdue) - Number(a.overdue)),
    [data],
  );

  return (
    <>
      <h1>Inbox</h1>
      <p className="live" aria-live="polite">
        {live.error ? "Live updates paused; the list refreshes when you reload." : "Updates live as patients write."}
      </p>
      <form className="filters" aria-label="Filter conversations" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status
          <select value={status} onChange={(e) => setStatus(e.target.value as ThreadStatus | "")}>
            <option value="OPEN">Open</option>
            <option value="CLOSED">Closed</option>
            <option value="">All</option>
          </select>
        </label>
        <label>
          Assigned to
          <select value={assignee} onChange={(e) => setAssignee(e.target.value as AssigneeFilter | "")}>
            <option value="">Anyone</option>
            <option value="ME">Me</option>
            <option value="UNASSIGNED">Nobody</option>
          </select>
        </label>
        <label>
          Pool
          <select value={poolId} onChange={(e) => setPoolId(e.target.value)}>
            <option value="">All pools</option>
            {data?.careTeamPools.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <label className="checkbox">
          <input type="checkbox" checked={overdue} onChange={(e) => setOverdue(e.target.checked)} />
          Overdue only
        </label>
      </form>
      {error && !data && <ErrorState problem={problemOf(error)} retry={() => reload({ requestPolicy: "network-only" })} />}
      {fetching && !data && <LoadingState label="Loading conversations" />}
      {data && threads.length === 0 && <EmptyState title="No conversations match.">New messages from patients appear here as they arrive.</EmptyState>}
      {threads.length > 0 && (
        <table className="data-table">
          <caption className="visually-hidden">Conversations, overdue first</caption>
          <thead>
            <tr>
              <th scope="col">Subject</th>
              <th scope="col">Category</th>
              <th scope="col">Pool</th>
              <th scope="col">Last message</th>
              <th scope="col">Reply due</th>
            </tr>
          </thead>
          <tbody>
            {threads.map((t) => (
              <tr key={t.id} className={t.unread ? "unread" : undefined}>
                <td>
                  <Link to={`/inbox/${encodeURIComponent(t.id)}`}>
                    {t.restricted ? "Restricted chart" : t.subject || "(no subject)"}
                  </Link>
                  {t.unread && <span className="tag">New</span>}
                  {t.status === "CLOSED" && <span className="tag tag-muted">Closed</span>}
                </td>
                <td>{CATEGORY[t.category] ?? t.category}</td>
                <td>{t.pool?.name ?? "—"}</td>
                <td>{formatDateTime(t.lastMessageAt, me.tenant.timeZone)}</td>
                <td>
                  {t.overdue ? (
                    <span className="tag tag-danger">Overdue</span>
                  ) : t.replyDueAt ? (
                    formatRelative(t.replyDueAt)
                  ) : (
                    "—"
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
