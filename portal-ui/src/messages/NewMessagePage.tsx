// Writing to the practice: who to (a care team, or a provider the patient has seen), what it
// is about, a subject, the message, and photos or PDFs uploaded as they are chosen. Whatever
// goes wrong, what was typed stays; on success the patient lands on the new conversation.
import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql } from "@portico/client";
import type { MessageCategory } from "@portico/client/gql/graphql";
import { allows, usePortal } from "../app/portal";
import { useProblem } from "../app/problem";
import { useT } from "../i18n/I18n";
import { ErrorState, ErrorSummary, Field, LoadingState } from "../components/PageState";
import { AttachmentPicker, useAttachments } from "./Attachments";
import { CannotMessage, CATEGORIES, useCategory, useFormProblems, usePoolHint, type FormProblem } from "./common";
import { keepNewDraft, newDraft } from "./drafts";
import "./messages.css";

const RecipientsQuery = graphql(`
  query PortalMessageRecipients {
    careTeamPools {
      id
      name
      kind
      active
    }
    providers {
      id
      displayName
      specialty
    }
  }
`);

// A patient may write to a provider they have had a visit with (booked, past or cancelled).
const SeenQuery = graphql(`
  query PortalMessageProvidersSeen($patientId: ID!) {
    appointments(patientId: $patientId, upcoming: false, first: 200) {
      id
      provider {
        id
      }
    }
  }
`);

const StartThread = graphql(`
  mutation PortalStartThread($input: StartThreadInput!) {
    startThread(input: $input) {
      thread {
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

const FIELD_OF: Record<string, string> = {
  poolId: "to",
  providerId: "to",
  category: "category",
  subject: "subject",
  body: "body",
  attachmentIds: "files",
};

const SUBJECT_MAX = 200;
const BODY_MAX = 10_000;

export default function NewMessagePage() {
  const { chart } = usePortal();
  const t = useT();
  if (!allows(chart, "MESSAGE")) {
    return (
      <>
        <h1>{t("messages.new.title")}</h1>
        <CannotMessage />
      </>
    );
  }
  return <NewMessageForm />;
}

function NewMessageForm() {
  const { chart, me, brand } = usePortal();
  const t = useT();
  const describe = useProblem();
  const category = useCategory();
  const poolHint = usePoolHint();
  const navigate = useNavigate();
  const patientId = chart.patient.id;
  const [recipients, reloadRecipients] = useQuery({ query: RecipientsQuery });
  const [seen] = useQuery({ query: SeenQuery, variables: { patientId } });
  const [, start] = useMutation(StartThread);

  const saved = useRef(newDraft(me.userId, patientId)).current;
  const [to, setTo] = useState(saved?.to ?? "");
  const [topic, setTopic] = useState(saved?.category ?? "");
  const [subject, setSubject] = useState(saved?.subject ?? "");
  const [body, setBody] = useState(saved?.body ?? "");
  const files = useAttachments(saved?.files);
  const [problems, setProblems] = useState<FormProblem[]>([]);
  const { summary, fieldError } = useFormProblems(problems);
  // What failed, described when shown, so the sentence follows the language.
  const [failure, setFailure] = useState<{ error: unknown } | null>(null);
  const [busy, setBusy] = useState(false);
  const sending = useRef(false);
  const done = useRef(false);

  // Kept for the tab while writing: leaving and coming back finds it as it was.
  useEffect(() => {
    if (!done.current) keepNewDraft(me.userId, patientId, { to, category: topic, subject, body, files: files.items });
  }, [me.userId, patientId, to, topic, subject, body, files.items]);

  if (!recipients.data) {
    return (
      <>
        <h1>{t("messages.new.title")}</h1>
        {recipients.error ? (
          <ErrorState problem={describe(recipients.error)} retry={() => reloadRecipients({ requestPolicy: "network-only" })} />
        ) : (
          <LoadingState label={t("messages.new.loading")} lines={6} />
        )}
      </>
    );
  }

  const pools = recipients.data.careTeamPools.filter((p) => p.active && p.kind !== "PROVIDER");
  const seenIds = new Set((seen.data?.appointments ?? []).flatMap((a) => (a.provider ? [a.provider.id] : [])));
  const providers = recipients.data.providers.filter((p) => seenIds.has(p.id));
  const options = [
    ...pools.map((p) => ({ value: `pool:${p.id}`, label: p.name, hint: poolHint(p.kind) })),
    ...providers.map((p) => ({
      value: `provider:${p.id}`,
      label: p.displayName,
      hint: p.specialty ? t("messages.to.providerWithSpecialty", { specialty: p.specialty }) : t("messages.to.provider"),
    })),
  ];

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (sending.current) return;
    const gaps: FormProblem[] = [];
    if (!options.some((o) => o.value === to)) gaps.push({ field: "to", id: "messages.required.to" });
    if (!topic) gaps.push({ field: "category", id: "messages.required.category" });
    if (!subject.trim()) gaps.push({ field: "subject", id: "messages.required.subject" });
    else if (subject.trim().length > SUBJECT_MAX) gaps.push({ field: "subject", id: "messages.tooLong.subject", values: { max: SUBJECT_MAX } });
    if (!body.trim()) gaps.push({ field: "body", id: "messages.required.body" });
    else if (body.length > BODY_MAX) gaps.push({ field: "body", id: "messages.tooLong.body", values: { max: BODY_MAX } });
    if (files.uploading) gaps.push({ field: "files", id: "messages.files.wait" });
    else if (files.refused) gaps.push({ field: "files", id: "messages.files.removeRefused" });
    setProblems(gaps);
    setFailure(null);
    if (gaps.length) return;

    const [kind, id] = to.split(":") as [string, string];
    sending.current = true;
    setBusy(true);
    try {
      const result = await start({
        input: {
          patientId,
          ...(kind === "pool" ? { poolId: id } : { providerId: id }),
          category: topic as MessageCategory,
          subject: subject.trim(),
          body,
          attachmentIds: files.ids,
        },
      });
      if (result.error) {
        setFailure({ error: result.error });
        return;
      }
      const payload = result.data?.startThread;
      if (payload?.userErrors.length) {
        setProblems(payload.userErrors.map((u) => ({ field: FIELD_OF[u.field], code: u.code })));
        return;
      }
      if (!payload?.thread) {
        setFailure({ error: null });
        return;
      }
      done.current = true;
      keepNewDraft(me.userId, patientId, null);
      navigate(`/messages/${encodeURIComponent(payload.thread.id)}`, { state: { sent: true } });
    } finally {
      sending.current = false;
      setBusy(false);
    }
  };

  const toError = fieldError("to");

  return (
    <>
      <p className="back-link no-print">
        <Link to="/messages">{t("messages.back")}</Link>
      </p>
      <h1>{t("messages.new.title")}</h1>
      <p className="lead">{chart.relationship === "self" ? t("messages.new.lead") : t("messages.new.leadProxy", { name: chart.patient.givenName })}</p>
      <p className="notice">{brand.phone ? t("messages.urgentPhone", { phone: brand.phone }) : t("messages.urgent")}</p>
      <ErrorSummary problems={summary} />
      {failure && <ErrorState problem={describe(failure.error)} />}
      <form onSubmit={submit} noValidate className="stack message-form">
        <fieldset className={`field choices${toError ? " field-error" : ""}`} aria-describedby={toError ? "to-error" : undefined}>
          <legend>{t("messages.to.label")}</legend>
          {toError && (
            <p className="error-message" id="to-error">
              {toError}
            </p>
          )}
          {options.length === 0 && <p>{t("messages.to.none")}</p>}
          {options.map((o, i) => (
            <div className="choice" key={o.value}>
              <input
                type="radio"
                name="to"
                id={i === 0 ? "to" : `to-${o.value}`}
                value={o.value}
                checked={to === o.value}
                onChange={() => setTo(o.value)}
                aria-describedby={`to-hint-${i}`}
              />
              <label htmlFor={i === 0 ? "to" : `to-${o.value}`}>
                {o.label}
                <span className="hint choice-hint" id={`to-hint-${i}`}>
                  {o.hint}
                </span>
              </label>
            </div>
          ))}
        </fieldset>
        <Field id="category" label={t("messages.category.label")} error={fieldError("category")}>
          {(describedBy, invalid) => (
            <select id="category" value={topic} onChange={(e) => setTopic(e.target.value)} aria-describedby={describedBy} aria-invalid={invalid}>
              <option value="">{t("messages.category.choose")}</option>
              {CATEGORIES.map((c) => (
                <option key={c} value={c}>
                  {category(c)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field id="subject" label={t("messages.subject.label")} hint={t("messages.subject.hint")} error={fieldError("subject")}>
          {(describedBy, invalid) => (
            <input id="subject" type="text" value={subject} maxLength={SUBJECT_MAX + 50} onChange={(e) => setSubject(e.target.value)} aria-describedby={describedBy} aria-invalid={invalid} />
          )}
        </Field>
        <Field id="body" label={t("messages.body.label")} hint={t("messages.body.hint")} error={fieldError("body")}>
          {(describedBy, invalid) => (
            <textarea id="body" rows={8} value={body} onChange={(e) => setBody(e.target.value)} aria-describedby={describedBy} aria-invalid={invalid} />
          )}
        </Field>
        <AttachmentPicker id="files" files={files} error={fieldError("files")} />
        <p>
          <button type="submit" className="button" disabled={busy}>
            {busy ? t("messages.sending") : t("messages.send")}
          </button>
        </p>
      </form>
    </>
  );
}
