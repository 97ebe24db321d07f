// One conversation (the notification emails link here): the messages oldest first with who
// wrote them and when, files to download, and a reply box whose draft survives a failure to
// send. Opening it marks it read; new messages arrive live and are announced politely.
import { useEffect, useRef, useState, type FormEvent, type MouseEvent } from "react";
import { Link, useLocation, useParams } from "react-router";
import { useClient, useMutation, useQuery, useSubscription } from "urql";
import { graphql } from "@portico/client";
import { allows, usePortal } from "../app/portal";
import { useProblem } from "../app/problem";
import { useFormat, useT } from "../i18n/I18n";
import { ErrorState, ErrorSummary, Field, LoadingState } from "../components/PageState";
import { AttachmentPicker, useAttachments, useFileSize } from "./Attachments";
import { useCategory, useFormProblems, type FormProblem } from "./common";
import { keepReply, replyDraft } from "./drafts";
import { PortalThreadUpdates } from "./MessagesPage";
import "./messages.css";
import { ResourceCard } from "../education/ResourceCard";

const ThreadQuery = graphql(`
  query PortalMessageThread($id: ID!) {
    messageThread(id: $id) {
      id
      patientId
      subject
      category
      status
      createdAt
      closedAt
      pool {
        id
        name
      }
      messages {
        id
        body
        authorKind
        authorName
        createdAt
        attachments {
          id
          fileName
          contentType
          sizeBytes
          downloadUrl
        }
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

const PostMessage = graphql(`
  mutation PortalPostMessage($input: PostMessageInput!) {
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

const MarkRead = graphql(`
  mutation PortalMarkThreadRead($id: ID!) {
    markThreadRead(input: { threadId: $id }) {
      thread {
        id
        unread
      }
    }
  }
`);

/** Download links are signed for a few minutes: older ones are fetched again on click. */
const LINK_FRESH_MS = 4 * 60_000;
const BODY_MAX = 10_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The conversation's API id. The notification emails link with the bare uuid
 * (`/messages/{uuid}`), while the API takes its global id (base64url of `MessageThread:uuid`).
 */
export function threadIdFrom(param: string): string {
  if (!UUID.test(param)) return param;
  return btoa(`MessageThread:${param.toLowerCase()}`).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export default function ThreadPage() {
  const { id: param = "" } = useParams();
  const id = threadIdFrom(param);
  // A fresh page (draft, files, notices) for each conversation.
  return <Thread key={id} id={id} />;
}

function Thread({ id }: { id: string }) {
  const { chart, me, selectChart } = usePortal();
  const t = useT();
  const f = useFormat();
  const describe = useProblem();
  const category = useCategory();
  const size = useFileSize();
  const location = useLocation();
  const client = useClient();
  const [{ data, error }, reload] = useQuery({ query: ThreadQuery, variables: { id } });
  const [, markRead] = useMutation(MarkRead);
  const [, post] = useMutation(PostMessage);
  const fetchedAt = useRef(0);
  const [announcement, setAnnouncement] = useState("");

  const [reply, setReply] = useState(() => replyDraft(me.userId, id));
  const files = useAttachments();
  const [problems, setProblems] = useState<FormProblem[]>([]);
  const { summary, fieldError } = useFormProblems(problems);
  const [failure, setFailure] = useState<{ error: unknown } | null>(null);
  const [linkFailure, setLinkFailure] = useState<{ error: unknown } | null>(null);
  const [sent, setSent] = useState(Boolean((location.state as { sent?: boolean } | null)?.sent));
  const [busy, setBusy] = useState(false);
  const sending = useRef(false);

  useEffect(() => {
    if (data) fetchedAt.current = Date.now();
  }, [data]);
  useEffect(() => {
    void markRead({ id });
  }, [id, markRead]);
  useEffect(() => keepReply(me.userId, id, reply), [me.userId, id, reply]);
  // Opened from an email about someone whose records the viewer looks after: show their chart.
  const threadPatient = data?.messageThread.patientId;
  useEffect(() => {
    if (threadPatient && threadPatient !== chart.patient.id && me.charts.some((c) => c.patient.id === threadPatient)) selectChart(threadPatient);
  }, [threadPatient, chart.patient.id, me.charts, selectChart]);

  // Live: a new message is fetched (with its signed links), marked read since it is on
  // screen, and announced to screen readers without taking focus.
  useSubscription({ query: PortalThreadUpdates, variables: { threadId: id } }, (_: unknown, update) => {
    reload({ requestPolicy: "network-only" });
    const m = update.threadUpdates.message;
    if (update.threadUpdates.kind === "MESSAGE_POSTED" && m) {
      void markRead({ id });
      if (m.authorKind === "STAFF") setAnnouncement(t("messages.thread.arrived", { name: m.authorName }));
    }
    return null;
  });

  const download = async (e: MouseEvent<HTMLAnchorElement>, attachmentId: string) => {
    if (Date.now() - fetchedAt.current < LINK_FRESH_MS) return;
    e.preventDefault();
    const fresh = await client.query(ThreadQuery, { id }, { requestPolicy: "network-only" }).toPromise();
    const url = fresh.data?.messageThread.messages.flatMap((m) => m.attachments).find((a) => a.id === attachmentId)?.downloadUrl;
    if (url) window.location.assign(url);
    else setLinkFailure({ error: fresh.error ?? null });
  };

  if (!data) {
    const code = error ? describe(error).code : "";
    if (code === "NOT_FOUND" || code === "BAD_USER_INPUT") {
      return (
        <>
          <h1>{t("messages.thread.notFound.title")}</h1>
          <p>{t("messages.thread.notFound.body")}</p>
          <p>
            <Link to="/messages">{t("messages.thread.notFound.link")}</Link>
          </p>
        </>
      );
    }
    return (
      <>
        <h1>{t("messages.thread.title")}</h1>
        {error ? <ErrorState problem={describe(error)} retry={() => reload({ requestPolicy: "network-only" })} /> : <LoadingState label={t("messages.thread.loading")} lines={6} />}
      </>
    );
  }
  const thread = data.messageThread;
  const closed = thread.status === "CLOSED";
  const canWrite = allows(chart, "MESSAGE") && thread.patientId === chart.patient.id;
  const zone = f.zoneNote();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (sending.current) return;
    const gaps: FormProblem[] = [];
    if (!reply.trim()) gaps.push({ field: "reply", id: "messages.required.reply" });
    else if (reply.length > BODY_MAX) gaps.push({ field: "reply", id: "messages.tooLong.body", values: { max: BODY_MAX } });
    if (files.uploading) gaps.push({ field: "reply-files", id: "messages.files.wait" });
    else if (files.refused) gaps.push({ field: "reply-files", id: "messages.files.removeRefused" });
    setProblems(gaps);
    setFailure(null);
    setSent(false);
    if (gaps.length) return;
    sending.current = true;
    setBusy(true);
    try {
      const result = await post({ input: { threadId: id, body: reply, attachmentIds: files.ids } });
      if (result.error) {
        setFailure({ error: result.error });
        return;
      }
      const payload = result.data?.postMessage;
      if (payload?.userErrors.length) {
        setProblems(
          payload.userErrors.map((u) => ({
            field: u.field === "body" ? "reply" : u.field === "attachmentIds" ? "reply-files" : undefined,
            code: u.code,
          })),
        );
        if (payload.userErrors.some((u) => u.code === "THREAD_CLOSED")) reload({ requestPolicy: "network-only" });
        return;
      }
      setReply("");
      files.clear();
      setSent(true);
      reload({ requestPolicy: "network-only" });
    } finally {
      sending.current = false;
      setBusy(false);
    }
  };

  return (
    <>
      <p className="back-link no-print">
        <Link to="/messages">{t("messages.back")}</Link>
      </p>
      <h1>{thread.subject ?? t("messages.noSubject")}</h1>
      <p className="thread-about">
        {thread.pool ? t("messages.with", { who: thread.pool.name }) : t("messages.withPractice")}
        {" · "}
        {category(thread.category)}
        {closed && (
          <>
            {" · "}
            <span className="badge badge-closed">{t("messages.closed")}</span>
          </>
        )}
      </p>
      {sent && (
        <p className="notice notice-ok" role="status">
          {t("messages.thread.sent")}
        </p>
      )}
      {linkFailure && <ErrorState problem={describe(linkFailure.error)} />}
      <p className="visually-hidden" aria-live="polite" aria-atomic="true">
        {announcement}
      </p>
      <ol className="message-list" aria-label={t("messages.thread.listLabel")}>
        {thread.messages.map((m) => {
          const staff = m.authorKind === "STAFF";
          return (
            <li key={m.id} className={staff ? "message from-practice" : "message from-patient"}>
              <article aria-labelledby={`m-${m.id}`}>
                <h2 className="message-head" id={`m-${m.id}`}>
                  <span className="message-author">{m.authorName}</span>
                  <span className="message-role">{staff ? t("messages.thread.fromPractice") : m.authorKind === "PROXY" ? t("messages.thread.fromCaregiver") : t("messages.thread.fromPatient")}</span>
                  <span className="message-time">{f.when(m.createdAt)}</span>
                </h2>
                {m.body && <p className="message-body">{m.body}</p>}
                {m.educationResource && <ResourceCard resource={m.educationResource} />}
                {m.attachments.length > 0 && (
                  <ul className="message-files" aria-label={t("messages.thread.filesLabel")}>
                    {m.attachments.map((a) => (
                      <li key={a.id}>
                        <a href={a.downloadUrl} download={a.fileName} onClick={(e) => void download(e, a.id)}>
                          {t("messages.thread.download", { name: a.fileName })}
                        </a>{" "}
                        <span className="hint">
                          {t("messages.thread.fileInfo", { kind: a.contentType === "application/pdf" ? "PDF" : t("messages.thread.photo"), size: size(a.sizeBytes) })}
                        </span>
                      </li>
                    ))}
                  </ul>
                )}
              </article>
            </li>
          );
        })}
      </ol>
      {zone && <p className="hint">{zone}</p>}
      {closed ? (
        <div className="notice">
          <p>{t("messages.thread.closedBody")}</p>
          {canWrite && (
            <p>
              <Link className="button" to="/messages/new">
                {t("messages.write")}
              </Link>
            </p>
          )}
        </div>
      ) : canWrite ? (
        <section aria-labelledby="reply-title" className="reply">
          <h2 id="reply-title">{t("messages.reply.title")}</h2>
          <ErrorSummary problems={summary} />
          {failure && <ErrorState problem={describe(failure.error)} />}
          <form onSubmit={submit} noValidate className="stack">
            <Field id="reply" label={t("messages.reply.label")} hint={t("messages.reply.hint")} error={fieldError("reply")}>
              {(describedBy, invalid) => (
                <textarea id="reply" rows={5} value={reply} onChange={(e) => setReply(e.target.value)} aria-describedby={describedBy} aria-invalid={invalid} />
              )}
            </Field>
            <AttachmentPicker id="reply-files" files={files} error={fieldError("reply-files")} />
            <p>
              <button type="submit" className="button" disabled={busy}>
                {busy ? t("messages.sending") : t("messages.reply.send")}
              </button>
            </p>
          </form>
        </section>
      ) : (
        <p className="notice">{t("messages.proxy.cannot", { name: chart.patient.givenName })}</p>
      )}
    </>
  );
}
