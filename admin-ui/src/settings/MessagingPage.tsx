// Messaging: the care teams (pools) patients write to and who is in each, one form that
// creates a team or changes the one chosen, and the response-time target after which a
// waiting message shows as overdue. A failed save keeps everything typed.
import { useRef, useState } from "react";
import { Link } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import type { SettingsMessagingQuery } from "@portico/client/gql/graphql";
import { EmptyState, ErrorState, ErrorSummary, Field, LoadingState } from "../components/PageState";
import { hoursInWords, numberOrProblem, problemsFrom, SettingsForm, useOnce } from "./shared";

const MessagingQuery = graphql(`
  query SettingsMessaging {
    careTeamPools(includeInactive: true) {
      id
      name
      kind
      providerId
      active
      members {
        userId
        displayName
      }
    }
    staffMembers {
      id
      displayName
      role
    }
    providers {
      id
      displayName
    }
    messagingSettings {
      responseTargetHours
    }
  }
`);

const CreatePool = graphql(`
  mutation SettingsCreatePool($input: CreateCareTeamPoolInput!) {
    createCareTeamPool(input: $input) {
      pool {
        id
        name
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const UpdatePool = graphql(`
  mutation SettingsUpdatePool($input: UpdateCareTeamPoolInput!) {
    updateCareTeamPool(input: $input) {
      pool {
        id
        name
        active
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const AddMember = graphql(`
  mutation SettingsAddPoolMember($input: PoolMemberInput!) {
    addPoolMember(input: $input) {
      pool {
        id
        members {
          userId
          displayName
        }
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const RemoveMember = graphql(`
  mutation SettingsRemovePoolMember($input: PoolMemberInput!) {
    removePoolMember(input: $input) {
      pool {
        id
        members {
          userId
          displayName
        }
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const UpdateMessaging = graphql(`
  mutation SettingsUpdateMessaging($input: UpdateMessagingSettingsInput!) {
    updateMessagingSettings(input: $input) {
      messagingSettings {
        responseTargetHours
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

type Kind = "FRONT_DESK" | "NURSE_LINE" | "BILLING" | "PROVIDER" | "OTHER";
const KINDS: { value: Kind; label: string }[] = [
  { value: "FRONT_DESK", label: "Front desk" },
  { value: "NURSE_LINE", label: "Nurse line" },
  { value: "BILLING", label: "Billing" },
  { value: "PROVIDER", label: "A provider's own team" },
  { value: "OTHER", label: "Other" },
];
const kindLabel = (kind: string) => KINDS.find((k) => k.value === kind)?.label ?? kind;

const POOL_LABELS = { name: "Team name", kind: "Kind of team", providerId: "Provider" };
const POOL_SENTENCES = {
  "name:INVALID_NAME": "Enter a team name of 1 to 100 characters.",
  "name:POOL_NAME_TAKEN": "Another team already has this name. Choose a different one.",
};
const MEMBER_SENTENCES = { "userId:NOT_STAFF": "Only active staff of the practice can be in a care team." };
const TARGET_RANGE = "Enter a whole number of hours from 1 to 720 (30 days).";

interface PoolForm {
  id: string | null;
  name: string;
  kind: Kind;
  providerId: string;
  active: boolean;
}
const EMPTY: PoolForm = { id: null, name: "", kind: "FRONT_DESK", providerId: "", active: true };

export default function MessagingPage() {
  const [{ data, error, fetching }, reload] = useQuery({ query: MessagingQuery });
  const refresh = () => reload({ requestPolicy: "network-only" });
  return (
    <>
      <h1>Messaging</h1>
      <p>
        Patients send messages to a care team, not to one person, so someone always sees them. Each team's members find its messages in
        their <Link to="/inbox">Inbox</Link>.
      </p>
      {error && !data && <ErrorState problem={problemOf(error)} retry={refresh} />}
      {fetching && !data && <LoadingState label="Loading messaging settings" />}
      {data && (
        <>
          <Pools data={data} refresh={refresh} />
          <ResponseTarget hours={data.messagingSettings.responseTargetHours} />
        </>
      )}
    </>
  );
}

type Data = SettingsMessagingQuery;

function Pools({ data, refresh }: { data: Data; refresh: () => void }) {
  const [form, setForm] = useState<PoolForm>(EMPTY);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [memberProblems, setMemberProblems] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string | null>(null);
  const [picked, setPicked] = useState<Record<string, string>>({});
  const [, createPool] = useMutation(CreatePool);
  const [, updatePool] = useMutation(UpdatePool);
  const [, addMember] = useMutation(AddMember);
  const [, removeMember] = useMutation(RemoveMember);
  const [pending, once] = useOnce();
  const [, onceMember] = useOnce();
  const formTitle = useRef<HTMLHeadingElement>(null);
  const pools = data.careTeamPools;
  const providerName = (id: string | null | undefined) => data.providers.find((p) => p.id === id)?.displayName;

  function edit(pool: (typeof pools)[number]) {
    setForm({ id: pool.id, name: pool.name, kind: pool.kind as Kind, providerId: pool.providerId ?? "", active: pool.active });
    setProblems({});
    setSaved(null);
    requestAnimationFrame(() => formTitle.current?.focus());
  }

  function submit() {
    void once(async () => {
      setSaved(null);
      setMemberProblems({});
      const missing: Record<string, string> = {};
      if (!form.name.trim()) missing.name = "Enter the team's name, as patients will see it, for example Front desk.";
      if (form.id === null && form.kind === "PROVIDER" && !form.providerId) missing.providerId = "Choose whose team this is.";
      setProblems(missing);
      if (Object.keys(missing).length) return;
      if (form.id === null) {
        const r = await createPool({
          input: { name: form.name.trim(), kind: form.kind, providerId: form.kind === "PROVIDER" ? form.providerId : null },
        });
        if (r.error) return setProblems({ _: problemOf(r.error).sentence });
        const payload = r.data?.createCareTeamPool;
        if (payload?.userErrors.length) return setProblems(problemsFrom(payload.userErrors, POOL_SENTENCES));
        setSaved(`${payload?.pool?.name ?? form.name.trim()} is created. Add its members in its card above.`);
      } else {
        const r = await updatePool({ input: { id: form.id, name: form.name.trim(), active: form.active } });
        if (r.error) return setProblems({ _: problemOf(r.error).sentence });
        const payload = r.data?.updateCareTeamPool;
        if (payload?.userErrors.length) return setProblems(problemsFrom(payload.userErrors, POOL_SENTENCES));
        const pool = payload?.pool;
        setSaved(pool ? `${pool.name} is saved${pool.active ? "" : ". It takes no new conversations"}.` : "Saved.");
      }
      setForm(EMPTY);
      refresh();
    });
  }

  function member(poolId: string, poolName: string, userId: string, add: boolean) {
    void onceMember(async () => {
      setSaved(null);
      const who = data.staffMembers.find((s) => s.id === userId)?.displayName ?? "They";
      const input = { poolId, userId };
      const r = add ? await addMember({ input }) : await removeMember({ input });
      if (r.error) return setMemberProblems({ _: problemOf(r.error).sentence });
      const payload = r.data && ("addPoolMember" in r.data ? r.data.addPoolMember : r.data.removePoolMember);
      if (payload?.userErrors.length) return setMemberProblems(problemsFrom(payload.userErrors, MEMBER_SENTENCES));
      setMemberProblems({});
      setPicked((p) => ({ ...p, [poolId]: "" }));
      setSaved(add ? `${who} is added to ${poolName}.` : `${who} is removed from ${poolName}.`);
      refresh();
    });
  }

  return (
    <section aria-labelledby="pools-title">
      <h2 id="pools-title">Care teams</h2>
      <ErrorSummary problems={memberProblems} labels={{}} />
      {saved && (
        <p className="notice" role="status">
          {saved}
        </p>
      )}
      {pools.length === 0 && (
        <EmptyState title="No care teams yet, so patients cannot send messages.">
          Create the first one with the form below, for example Front desk, then add the staff who answer its messages.
        </EmptyState>
      )}
      {pools.length > 0 && (
        <ul className="pools">
          {pools.map((pool) => {
            const memberIds = new Set(pool.members.map((m) => m.userId));
            const addable = data.staffMembers.filter((s) => !memberIds.has(s.id));
            const choice = picked[pool.id] ?? "";
            return (
              <li key={pool.id} className="card pool" aria-labelledby={`pool-${pool.id}`}>
                <h3 id={`pool-${pool.id}`}>
                  {pool.name}
                  {kindLabel(pool.kind).toLowerCase() !== pool.name.trim().toLowerCase() && <span className="tag">{kindLabel(pool.kind)}</span>}
                  {!pool.active && <span className="tag tag-muted">Retired: takes no new conversations</span>}
                </h3>
                {pool.kind === "PROVIDER" && providerName(pool.providerId) && <p className="meta">{providerName(pool.providerId)}'s patients</p>}
                {pool.members.length === 0 ? (
                  <p className="muted">No members yet. Add the staff who answer this team's messages.</p>
                ) : (
                  <ul className="members" aria-label={`Members of ${pool.name}`}>
                    {pool.members.map((m) => (
                      <li key={m.userId}>
                        <span>{m.displayName}</span>
                        <button
                          type="button"
                          className="small"
                          onClick={() => member(pool.id, pool.name, m.userId, false)}
                          aria-label={`Remove ${m.displayName} from ${pool.name}`}
                        >
                          Remove
                        </button>
                      </li>
                    ))}
                  </ul>
                )}
                {addable.length === 0 && pool.members.length > 0 && <p className="meta">Everyone on the staff is in this team.</p>}
                {addable.length > 0 && (
                  <div className="add-member">
                    <label>
                      Add to {pool.name}
                      <select value={choice} onChange={(e) => setPicked((p) => ({ ...p, [pool.id]: e.target.value }))}>
                        <option value="">Choose someone</option>
                        {addable.map((s) => (
                          <option key={s.id} value={s.id}>
                            {s.displayName}
                          </option>
                        ))}
                      </select>
                    </label>
                    <button type="button" disabled={!choice} onClick={() => member(pool.id, pool.name, choice, true)}>
                      Add
                    </button>
                  </div>
                )}
                <div className="row-actions pool-actions">
                  <button type="button" className="small" onClick={() => edit(pool)} aria-label={`Change ${pool.name}`}>
                    Change
                  </button>
                </div>
              </li>
            );
          })}
        </ul>
      )}
      <form
        onSubmit={(e) => (e.preventDefault(), submit())}
        noValidate
        className="form settings-form"
        aria-labelledby="pool-form-title"
      >
        <h2 id="pool-form-title" ref={formTitle} tabIndex={-1}>
          {form.id ? `Change ${pools.find((p) => p.id === form.id)?.name ?? "the team"}` : "Create a care team"}
        </h2>
        <ErrorSummary problems={problems} labels={POOL_LABELS} />
        <Field name="name" label={POOL_LABELS.name} hint="Patients choose it by this name when they write, for example Nurse line." error={problems.name}>
          {(p) => <input {...p} value={form.name} onChange={(e) => setForm((f) => ({ ...f, name: e.target.value }))} autoComplete="off" />}
        </Field>
        {form.id === null ? (
          <>
            <Field name="kind" label={POOL_LABELS.kind} error={problems.kind}>
              {(p) => (
                <select {...p} value={form.kind} onChange={(e) => setForm((f) => ({ ...f, kind: e.target.value as Kind }))}>
                  {KINDS.map((k) => (
                    <option key={k.value} value={k.value}>
                      {k.label}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            {form.kind === "PROVIDER" && (
              <Field name="providerId" label={POOL_LABELS.providerId} hint="Whose patients write to this team." error={problems.providerId}>
                {(p) => (
                  <select {...p} value={form.providerId} onChange={(e) => setForm((f) => ({ ...f, providerId: e.target.value }))}>
                    <option value="">Choose a provider</option>
                    {data.providers.map((pr) => (
                      <option key={pr.id} value={pr.id}>
                        {pr.displayName}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            )}
          </>
        ) : (
          <div className="check-field">
            <label className="checkbox" htmlFor="field-active">
              <input id="field-active" type="checkbox" checked={form.active} onChange={(e) => setForm((f) => ({ ...f, active: e.target.checked }))} />
              Takes new conversations
            </label>
            <p className="hint">Untick to retire the team: its conversations stay, but patients can no longer choose it.</p>
          </div>
        )}
        <div className="row-actions">
          <button type="submit" className="primary" disabled={pending}>
            {form.id ? "Save team" : "Create team"}
          </button>
          {form.id && (
            <button type="button" onClick={() => (setForm(EMPTY), setProblems({}))}>
              Cancel
            </button>
          )}
        </div>
      </form>
    </section>
  );
}

function ResponseTarget({ hours }: { hours: number }) {
  const [text, setText] = useState(String(hours));
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string | null>(null);
  const [, update] = useMutation(UpdateMessaging);
  const [pending, once] = useOnce();

  function submit() {
    void once(async () => {
      setSaved(null);
      const n = numberOrProblem(text, TARGET_RANGE);
      if ("problem" in n) return setProblems({ responseTargetHours: n.problem });
      setProblems({});
      const r = await update({ input: { responseTargetHours: n.value } });
      if (r.error) return setProblems({ _: problemOf(r.error).sentence });
      const payload = r.data?.updateMessagingSettings;
      if (payload?.userErrors.length) return setProblems(problemsFrom(payload.userErrors, { INVALID_RESPONSE_TARGET: TARGET_RANGE }));
      const now = payload?.messagingSettings?.responseTargetHours;
      if (now !== undefined) {
        setText(String(now));
        setSaved(`Saved. A message waiting longer than ${hoursInWords(now)} shows as overdue.`);
      }
    });
  }

  return (
    <SettingsForm
      id="response-target"
      title="Response time"
      about="Inboxes show the messages past this target first, marked overdue."
      problems={problems}
      labels={{ responseTargetHours: "Answer messages within" }}
      saved={saved}
      pending={pending}
      submitLabel="Save response time"
      onSubmit={submit}
    >
      <Field name="responseTargetHours" label="Answer messages within (hours)" hint="From 1 to 720 hours (30 days); the usual is 24." error={problems.responseTargetHours}>
        {(p) => <input {...p} className="number" inputMode="numeric" value={text} onChange={(e) => setText(e.target.value)} autoComplete="off" />}
      </Field>
    </SettingsForm>
  );
}
