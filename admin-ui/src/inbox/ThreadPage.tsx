// One conversation: the messages, a reply to the patient or an internal note the patient
// never sees, assignment and closing. New messages appear live.
import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link, useParams } from "react-router";
import { useMutation, useQuery, useSubscription } from "urql";
import { fieldProblems, graphql, problemOf } from "@portico/client";
import { ErrorState, ErrorSummary, Field, LoadingState } from "../components/PageState";
import { formatDateTime } from "../components/format";
import { useConsole } from "../app/session";
import { ThreadUpdates } from "./InboxPage";
import { draftFor, keepDraft } from "./drafts";
import { ResourceCard, ResourcePicker } from "../education/ResourcePicker";

const ThreadQuery = graphql(`
  query Thread($id: ID!) {
    messageThread(id: $id) {
      id
      subject
      restricted
      status
      assigneeId
      replyDueAt
      overdue
      pool {
        name
      }
      messages {
        id
        body
        internal
        authorKind
        authorName
        createdAt
        educationResource {
          id
          title
          summary
          kind
          url
        }
      }
    }
  }
`);

const Post = graphql(`
  mutation PostMessage($input: PostMessageInput!) {
    postMessage(input: $input) {
      message {
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

const Assign = graphql(`
  mutation AssignThread($input: AssignThreadInput!) {
    assignThread(input: $input) {
      thread {
        id
        assigneeId
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const Close = graphql(`
  mutation CloseThread($id: ID!) {
    closeThread(input: { threadId: $id }) {
      thread {
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

const MarkRead = graphql(`
  mutation MarkThreadRead($id: ID!) {
    markThreadRead(input: { threadId: $id }) {
      thread {
        id
        unread
      }
    }
  }
`);

export default function ThreadPage() {
  const { threadId = "" } = useParams();
  const { me } = useConsole();
  const [{ data, error, fetching }, reload] = useQuery({ query: ThreadQuery, variables: { id: threadId } });
  useSubscription({ query: ThreadUpdates, variables: { threadId } }, () => reload({ requestPolicy: "network-only" }));
  const [, markRead] = useMutation(MarkRead);
  const [posting, post] = useMutation(Post);
  const [, assign] = useMutation(Assign);
  const [, close] = useMutation(Close);
  const [body, setBody] = useState(() => draftFor(threadId));
  const [internal, setInternal] = useState(false);
  const [resource, setResource] = useState("");
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [sent, setSent] = useState<string | null>(null);
  const submitting = useRef(false);

  useEffect(() => {
    void markRead({ id: threadId });
  }, [threadId, markRead]);
  useEffect(() => keepDraft(threadId, body), [threadId, body]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    // One click, one message: a second submit while the first is in flight does nothing.
    if (submitting.current) return;
    const sending = internal ? null : resource || null;
    if (!body.trim() && !sending) return setProblems({ body: "Write a message or choose a resource first." });
    submitting.current = true;
    setSent(null);
    try {
      const result = await post({ input: { threadId, body, internal, educationResourceId: sending } });
      if (result.error) return setProblems({ _: problemOf(result.error).sentence });
      const payload = result.data?.postMessage;
      if (payload?.userErrors.length) return setProblems(fieldProblems(payload.userErrors));
      setProblems({});
      setBody("");
      setResource("");
      setSent(internal ? "Internal note added. The patient does not see it." : "Reply sent to the patient.");
      reload({ requestPolicy: "network-only" });
    } finally {
      submitting.current = false;
    }
  }

  if (error && !data) return <ErrorState problem={problemOf(error)} retry={() => reload({ requestPolicy: "network-only" })} />;
  if (fetching && !data) return <LoadingState label="Loading the conversation" />;
  const thread = data?.messageThread;
  if (!thread) return null;
  const mine = thread.assigneeId === me.userId;

  return (
    <>
      <p>
        <Link to="/inbox">Back to the inbox</Link>
      </p>
      <h1>{thread.restricted ? "Restricted chart" : thread.subject || "(no subject)"}</h1>
      <p className="meta">
        {thread.pool ? `${thread.pool.name} · ` : ""}
        {thread.status === "CLOSED" ? "Closed" : thread.overdue ? "Overdue" : "Open"}
        {thread.replyDueAt && thread.status !== "CLOSED" ? ` · reply due ${formatDateTime(thread.replyDueAt, me.tenant.timeZone)}` : ""}
      </p>
      <div className="actions">
        <button type="button" onClick={() => void assign({ input: { threadId, assigneeId: mine ? null : me.userId } }).then(() => reload({ requestPolicy: "network-only" }))}>
          {mine ? "Unassign me" : "Assign to me"}
        </button>
        {thread.status !== "CLOSED" && (
          <button type="button" onClick={() => void close({ id: threadId }).then(() => reload({ requestPolicy: "network-only" }))}>
            Close conversation
          </button>
        )}
      </div>
      <ol className="messages" aria-label="Messages">
        {thread.messages.map((m) => (
          <li key={m.id} className={m.internal ? "message internal" : m.authorKind === "STAFF" ? "message staff" : "message patient"}>
            <p className="message-meta">
              <strong>{m.authorName}</strong>
              {m.internal && <span className="tag tag-muted">Internal note</span>} · {formatDateTime(m.createdAt, me.tenant.timeZone)}
            </p>
            {m.body && <p className="message-body">{m.body}</p>}
            {m.educationResource && <ResourceCard resource={m.educationResource} />}
          </li>
        ))}
      </ol>
      {thread.status !== "CLOSED" && (
        <form onSubmit={submit} className="reply" noValidate>
          <h2>{internal ? "Add an internal note" : "Reply"}</h2>
          <ErrorSummary problems={problems} labels={{ body: "Message", educationResourceId: "Resource" }} />
          {sent && (
            <p className="notice" role="status">
              {sent}
            </p>
          )}
          <Field name="body" label={internal ? "Note for the care team" : "Message to the patient"} error={problems.body}>
            {(p) => <textarea {...p} rows={5} value={body} onChange={(e) => setBody(e.target.value)} />}
          </Field>
          {!internal && <ResourcePicker value={resource} onChange={setResource} error={problems.educationResourceId} />}
          <label className="checkbox">
            <input type="checkbox" checked={internal} onChange={(e) => setInternal(e.target.checked)} />
            Internal note (only the care team sees it)
          </label>
          <button type="submit" className="primary" disabled={posting.fetching}>
            {internal ? "Add note" : "Send reply"}
          </button>
        </form>
      )}
    </>
  );
}
