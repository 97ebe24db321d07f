// Invitation campaigns for practice admins: invite the patients who have no portal account
// yet (all of them, those an import created, or a filter) by email and text, with
// follow-ups after chosen days to those who have not activated; each campaign's funnel
// (invited, activated, used the portal, booked online) and cancelling a running one.
import { useRef, useState, type FormEvent } from "react";
import { useSearchParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { fieldProblems, graphql, problemOf } from "@portico/client";
import { EmptyState, ErrorState, ErrorSummary, Field, LoadingState } from "../components/PageState";
import { formatDateTime } from "../components/format";
import { FunnelTable, type Funnel } from "./FunnelTable";
import { useConsole } from "../app/session";

const CampaignsQuery = graphql(`
  query InvitationCampaigns {
    invitationCampaigns(first: 50) {
      id
      name
      audience
      channels
      followUpDays
      status
      recipients
      createdAt
      finishedAt
      funnel {
        recipients
        invited
        activated
        firstPortalAction
        firstOnlineBooking
      }
    }
  }
`);

const Start = graphql(`
  mutation StartInvitationCampaign($input: StartInvitationCampaignInput!) {
    startInvitationCampaign(input: $input) {
      campaign {
        id
        recipients
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const Cancel = graphql(`
  mutation CancelInvitationCampaign($input: CancelInvitationCampaignInput!) {
    cancelInvitationCampaign(input: $input) {
      campaign {
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

const LABELS: Record<string, string> = {
  name: "Campaign name",
  audience: "Who to invite",
  importId: "Who to invite",
  filter: "Registered from",
  "filter.createdTo": "Registered until",
  "filter.language": "Language",
  channels: "Send by",
  followUpDays: "Follow-up days",
};

type Audience = "NOT_ACTIVATED" | "IMPORT" | "FILTER";

const AUDIENCE_LABEL: Record<Audience, string> = {
  NOT_ACTIVATED: "every patient without a portal account",
  IMPORT: "the patients of an import",
  FILTER: "patients chosen by a filter",
};

const STATUS_LABEL: Record<string, string> = { RUNNING: "Sending", FINISHED: "Finished", CANCELLED: "Cancelled" };

/** "3, 7" → [3, 7]; null when a part is not a whole number. */
function parseDays(text: string): number[] | null {
  const parts = text.split(",").map((p) => p.trim()).filter(Boolean);
  const days = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : NaN));
  return days.some(Number.isNaN) ? null : days;
}

export default function InvitationsPage() {
  const [params] = useSearchParams();
  const importId = params.get("import");
  const [notice, setNotice] = useState<string | null>(null);
  const [{ data, error, fetching }, reload] = useQuery({ query: CampaignsQuery });
  const refresh = () => reload({ requestPolicy: "network-only" });
  return (
    <>
      <h1>Invitations</h1>
      <p>Invite patients who have not joined the portal yet. Each message names only the practice and carries a link with the patient's own activation code.</p>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <NewCampaign
        importId={importId}
        started={(n) => {
          setNotice(`Campaign started: ${n} ${n === 1 ? "patient" : "patients"} will be invited within a minute.`);
          refresh();
        }}
      />
      <section aria-labelledby="campaigns-title">
        <h2 id="campaigns-title">Campaigns</h2>
        {error && !data && <ErrorState problem={problemOf(error)} retry={refresh} />}
        {fetching && !data && <LoadingState label="Loading campaigns" />}
        {data && data.invitationCampaigns.length === 0 && (
          <EmptyState title="No campaigns yet.">Start one above; its figures appear here as patients join.</EmptyState>
        )}
        <ul className="cards">
          {data?.invitationCampaigns.map((c) => (
            <Campaign key={c.id} campaign={c} changed={(sentence) => { setNotice(sentence); refresh(); }} />
          ))}
        </ul>
      </section>
    </>
  );
}

function NewCampaign({ importId, started }: { importId: string | null; started: (recipients: number) => void }) {
  const [name, setName] = useState("");
  const [audience, setAudience] = useState<Audience>(importId ? "IMPORT" : "NOT_ACTIVATED");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [language, setLanguage] = useState("");
  const [email, setEmail] = useState(true);
  const [sms, setSms] = useState(false);
  const [days, setDays] = useState("3, 7");
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [, start] = useMutation(Start);
  const busy = useRef(false);
  const [pending, setPending] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    // A double click starts one campaign.
    if (busy.current) return;
    const followUpDays = parseDays(days);
    if (followUpDays === null) return setProblems({ followUpDays: "Enter whole numbers of days separated by commas, such as 3, 7." });
    setProblems({});
    busy.current = true;
    setPending(true);
    try {
      const channels = [...(email ? (["EMAIL"] as const) : []), ...(sms ? (["SMS"] as const) : [])];
      const result = await start({
        input: {
          name,
          audience,
          importId: audience === "IMPORT" ? importId : null,
          filter: audience === "FILTER" ? { createdFrom: from || null, createdTo: to || null, language: language || null } : null,
          channels,
          followUpDays,
        },
      });
      if (result.error) return setProblems({ _: problemOf(result.error).sentence });
      const payload = result.data?.startInvitationCampaign;
      if (payload?.userErrors.length) {
        const found = fieldProblems(payload.userErrors);
        // An import's refusal is shown where the import is chosen.
        if (found.importId) found.audience ??= found.importId;
        delete found.importId;
        return setProblems(found);
      }
      if (payload?.campaign) {
        setName("");
        started(payload.campaign.recipients);
      }
    } finally {
      busy.current = false;
      setPending(false);
    }
  }

  return (
    <section aria-labelledby="new-title">
      <h2 id="new-title">New campaign</h2>
      <form onSubmit={submit} noValidate className="form">
        <ErrorSummary problems={problems} labels={LABELS} />
        <Field name="name" label={LABELS.name!} error={problems.name}>
          {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} maxLength={120} autoComplete="off" />}
        </Field>
        <fieldset id="field-audience" aria-describedby={problems.audience ? "field-audience-error" : undefined} className={problems.audience ? "field field-error" : "field"}>
          <legend>{LABELS.audience}</legend>
          {problems.audience && (
            <p className="error-text" id="field-audience-error">
              {problems.audience}
            </p>
          )}
          {(["NOT_ACTIVATED", "IMPORT", "FILTER"] as const)
            .filter((a) => a !== "IMPORT" || importId)
            .map((a) => (
              <label key={a} className="checkbox">
                <input type="radio" name="audience" value={a} checked={audience === a} onChange={() => setAudience(a)} />
                {a === "IMPORT" ? "The patients of the import you just ran" : AUDIENCE_LABEL[a].replace(/^./, (c) => c.toUpperCase())}
              </label>
            ))}
        </fieldset>
        {audience === "FILTER" && (
          <>
            <Field name="filter" label={LABELS.filter!} error={problems.filter} hint="Patients registered on or after this day.">
              {(p) => <input {...p} type="date" value={from} onChange={(e) => setFrom(e.target.value)} />}
            </Field>
            <Field name="filter.createdTo" label={LABELS["filter.createdTo"]!} error={problems["filter.createdTo"]}>
              {(p) => <input {...p} type="date" value={to} onChange={(e) => setTo(e.target.value)} />}
            </Field>
            <Field name="filter.language" label={LABELS["filter.language"]!} error={problems["filter.language"]}>
              {(p) => (
                <select {...p} value={language} onChange={(e) => setLanguage(e.target.value)}>
                  <option value="">Any language</option>
                  <option value="en">English</option>
                  <option value="es">Spanish</option>
                </select>
              )}
            </Field>
          </>
        )}
        <fieldset id="field-channels" aria-describedby={problems.channels ? "field-channels-error" : undefined} className={problems.channels ? "field field-error" : "field"}>
          <legend>{LABELS.channels}</legend>
          {problems.channels && (
            <p className="error-text" id="field-channels-error">
              {problems.channels}
            </p>
          )}
          <label className="checkbox">
            <input type="checkbox" checked={email} onChange={(e) => setEmail(e.target.checked)} />
            Email
          </label>
          <label className="checkbox">
            <input type="checkbox" checked={sms} onChange={(e) => setSms(e.target.checked)} />
            Text message (to patients who accept texts)
          </label>
        </fieldset>
        <Field
          name="followUpDays"
          label={LABELS.followUpDays!}
          error={problems.followUpDays}
          hint="Days after the invitation to remind those who have not joined, such as 3, 7. Leave empty for no reminder."
        >
          {(p) => <input {...p} value={days} onChange={(e) => setDays(e.target.value)} inputMode="numeric" autoComplete="off" />}
        </Field>
        <button type="submit" className="primary" disabled={pending}>
          Start campaign
        </button>
      </form>
    </section>
  );
}

type CampaignRow = {
  id: string;
  name: string;
  audience: string;
  channels: readonly string[];
  followUpDays: readonly number[];
  status: string;
  createdAt: string;
  funnel: Funnel;
};

function Campaign({ campaign: c, changed }: { campaign: CampaignRow; changed: (sentence: string) => void }) {
  const { me } = useConsole();
  const [cancelling, cancel] = useMutation(Cancel);
  const [failure, setFailure] = useState<string | null>(null);
  const titleId = `campaign-${c.id}`;

  async function stop() {
    setFailure(null);
    const result = await cancel({ input: { id: c.id } });
    if (result.error) return setFailure(problemOf(result.error).sentence);
    const payload = result.data?.cancelInvitationCampaign;
    if (payload?.userErrors.length) return setFailure(Object.values(fieldProblems(payload.userErrors))[0] ?? "");
    changed(`${c.name} is cancelled: no more invitations will be sent.`);
  }

  const channels = c.channels.map((ch) => (ch === "SMS" ? "text message" : "email")).join(" and ");
  const followUps = c.followUpDays.length ? `reminders after ${c.followUpDays.join(", ")} days` : "no reminders";
  return (
    <li className="card" aria-labelledby={titleId}>
      <h3 id={titleId}>{c.name}</h3>
      <p className="meta">
        {STATUS_LABEL[c.status] ?? c.status} · started {formatDateTime(c.createdAt, me.tenant.timeZone)} ·{" "}
        {AUDIENCE_LABEL[c.audience as Audience] ?? ""} · by {channels} · {followUps}
      </p>
      <FunnelTable funnel={c.funnel} caption={`Funnel of ${c.name}`} chosen="Chosen" />
      {failure && (
        <p className="error-message" role="alert">
          {failure}
        </p>
      )}
      {c.status === "RUNNING" && (
        <button type="button" disabled={cancelling.fetching} onClick={() => void stop()}>
          Cancel campaign
        </button>
      )}
    </li>
  );
}
