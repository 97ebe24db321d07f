// The chart's conversations with the care team, newest activity first: subject, who it is
// with, when it last moved, and "New" in words (and bold) when something is unread. The list
// updates live when the practice answers.
import { Link } from "react-router";
import { useQuery, useSubscription } from "urql";
import { graphql } from "@portico/client";
import { allows, usePortal } from "../app/portal";
import { useProblem } from "../app/problem";
import { useFormat, useT } from "../i18n/I18n";
import { EmptyState, ErrorState, LoadingState } from "../components/PageState";
import { CannotMessage, useCategory } from "./common";
import "./messages.css";

const ThreadsQuery = graphql(`
  query PortalMessageThreads($patientId: ID!) {
    messageThreads(patientId: $patientId) {
      id
      subject
      category
      status
      unread
      lastMessageAt
      pool {
        id
        name
      }
    }
  }
`);

export const PortalThreadUpdates = graphql(`
  subscription PortalThreadUpdates($threadId: ID) {
    threadUpdates(threadId: $threadId) {
      kind
      thread {
        id
        patientId
      }
      message {
        id
        authorKind
        authorName
      }
    }
  }
`);

export default function MessagesPage() {
  const { chart } = usePortal();
  const t = useT();
  if (!allows(chart, "MESSAGE")) {
    return (
      <>
        <h1>{t("messages.title")}</h1>
        <CannotMessage />
      </>
    );
  }
  return <Threads />;
}

function Threads() {
  const { chart, brand } = usePortal();
  const t = useT();
  const f = useFormat();
  const describe = useProblem();
  const category = useCategory();
  const patientId = chart.patient.id;
  const [{ data, error }, reload] = useQuery({ query: ThreadsQuery, variables: { patientId } });
  // Live: an answer (or a conversation the practice starts) shows without a reload.
  useSubscription({ query: PortalThreadUpdates, variables: { threadId: null } }, (_: unknown, update) => {
    if (update.threadUpdates.thread.patientId === patientId) reload({ requestPolicy: "network-only" });
    return null;
  });
  const self = chart.relationship === "self";
  const title = t("messages.title");
  const write = (
    <p>
      <Link className="button" to="/messages/new">
        {t("messages.write")}
      </Link>
    </p>
  );

  if (!data) {
    return (
      <>
        <h1>{title}</h1>
        {error ? <ErrorState problem={describe(error)} retry={() => reload({ requestPolicy: "network-only" })} /> : <LoadingState label={t("messages.loading")} lines={5} />}
      </>
    );
  }
  const threads = [...data.messageThreads].sort((a, b) => Date.parse(b.lastMessageAt) - Date.parse(a.lastMessageAt));
  const unread = threads.filter((th) => th.unread).length;
  const zone = f.zoneNote();

  return (
    <>
      <h1>{title}</h1>
      <p className="lead">{self ? t("messages.lead") : t("messages.leadProxy", { name: chart.patient.givenName })}</p>
      {write}
      {threads.length === 0 ? (
        <EmptyState>
          <h2>{t("messages.empty.title")}</h2>
          <p>{t("messages.empty.body")}</p>
          <p className="hint">{brand.phone ? t("messages.urgentPhone", { phone: brand.phone }) : t("messages.urgent")}</p>
        </EmptyState>
      ) : (
        <>
          <p aria-live="polite">{t("messages.unreadCount", { count: unread })}</p>
          <ul className="thread-list" aria-label={t("messages.listLabel")}>
            {threads.map((th) => (
              <li key={th.id} className={th.unread ? "thread-row unread" : "thread-row"}>
                <Link to={`/messages/${encodeURIComponent(th.id)}`} className="thread-link">
                  {th.unread && <span className="badge badge-new">{t("messages.new")}</span>}
                  {th.unread && " "}
                  {th.status === "CLOSED" && <span className="badge badge-closed">{t("messages.closed")}</span>}
                  {th.status === "CLOSED" && " "}
                  <span className="thread-subject">{th.subject ?? t("messages.noSubject")}</span>
                </Link>
                <p className="thread-meta">
                  {th.pool ? t("messages.with", { who: th.pool.name }) : t("messages.withPractice")}
                  {" · "}
                  {category(th.category)}
                </p>
                <p className="thread-meta">{t("messages.lastActivity", { when: f.when(th.lastMessageAt) })}</p>
              </li>
            ))}
          </ul>
          {zone && <p className="hint">{zone}</p>}
        </>
      )}
    </>
  );
}
