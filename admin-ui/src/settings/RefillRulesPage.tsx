// Refill rules: the turnaround target (past it, a request is overdue in the queue), the care
// team refills fall back to, and who covers each provider's refills while they are away.
import { useState } from "react";
import { Link } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import { EmptyState, ErrorState, ErrorSummary, Field, LoadingState } from "../components/PageState";
import { hoursInWords, numberOrProblem, problemsFrom, SettingsForm, useOnce } from "./shared";

const RefillRulesQuery = graphql(`
  query SettingsRefillRules {
    refillSettings {
      turnaroundHours
      poolId
    }
    careTeamPools {
      id
      name
    }
    providers {
      id
      displayName
      coveringProviderId
    }
  }
`);

const Update = graphql(`
  mutation SettingsUpdateRefills($input: UpdateRefillSettingsInput!) {
    updateRefillSettings(input: $input) {
      turnaroundHours
      poolId
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const SetCovering = graphql(`
  mutation SettingsSetCoveringProvider($input: SetCoveringProviderInput!) {
    setCoveringProvider(input: $input) {
      coveringProviderId
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const LABELS = { turnaroundHours: "Decide requests within", poolId: "Care team for refills" };
const RANGE = "Enter a whole number of hours from 1 to 720 (30 days).";
const SENTENCES = {
  "turnaroundHours:OUT_OF_RANGE": RANGE,
  "poolId:UNKNOWN_POOL": "That care team is retired. Choose an active one, or none.",
};
const COVER_SENTENCES = { INVALID_COVERING_PROVIDER: "Choose another active provider, or nobody." };

export default function RefillRulesPage() {
  const [{ data, error, fetching }, reload] = useQuery({ query: RefillRulesQuery });
  const refresh = () => reload({ requestPolicy: "network-only" });
  return (
    <>
      <h1>Refill rules</h1>
      <p>
        How fast refill requests should be decided, and who takes them. Requests themselves are in <Link to="/refills">Refills</Link>.
      </p>
      {error && !data && <ErrorState problem={problemOf(error)} retry={refresh} />}
      {fetching && !data && <LoadingState label="Loading refill rules" />}
      {data && (
        <>
          <Turnaround hours={data.refillSettings.turnaroundHours} poolId={data.refillSettings.poolId ?? ""} pools={data.careTeamPools} />
          <Covering providers={data.providers} refresh={refresh} />
        </>
      )}
    </>
  );
}

function Turnaround({ hours, poolId, pools }: { hours: number; poolId: string; pools: { id: string; name: string }[] }) {
  const [form, setForm] = useState({ turnaroundHours: String(hours), poolId });
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string | null>(null);
  const [, update] = useMutation(Update);
  const [pending, once] = useOnce();

  function submit() {
    void once(async () => {
      setSaved(null);
      const n = numberOrProblem(form.turnaroundHours, RANGE);
      if ("problem" in n) return setProblems({ turnaroundHours: n.problem });
      setProblems({});
      const r = await update({ input: { turnaroundHours: n.value, poolId: form.poolId || null } });
      if (r.error) return setProblems({ _: problemOf(r.error).sentence });
      const payload = r.data?.updateRefillSettings;
      if (payload?.userErrors.length) return setProblems(problemsFrom(payload.userErrors, SENTENCES));
      const now = payload?.turnaroundHours ?? n.value;
      setForm({ turnaroundHours: String(now), poolId: payload?.poolId ?? "" });
      const pool = pools.find((p) => p.id === payload?.poolId)?.name;
      setSaved(`Saved. Requests are overdue after ${hoursInWords(now)}${pool ? `; they fall back to ${pool}` : ""}.`);
    });
  }

  return (
    <SettingsForm
      id="turnaround"
      title="Turnaround"
      problems={problems}
      labels={LABELS}
      saved={saved}
      pending={pending}
      submitLabel="Save refill rules"
      onSubmit={submit}
    >
      <Field
        name="turnaroundHours"
        label={`${LABELS.turnaroundHours} (hours)`}
        hint="From 1 to 720 hours (30 days); the usual is 48. Past it, a request shows as overdue at the top of the queue."
        error={problems.turnaroundHours}
      >
        {(p) => (
          <input
            {...p}
            className="number"
            inputMode="numeric"
            value={form.turnaroundHours}
            onChange={(e) => setForm((f) => ({ ...f, turnaroundHours: e.target.value }))}
            autoComplete="off"
          />
        )}
      </Field>
      <Field name="poolId" label={`${LABELS.poolId} (optional)`} hint="If set, requests fall back to this team when no provider takes them." error={problems.poolId}>
        {(p) => (
          <select {...p} value={form.poolId} onChange={(e) => setForm((f) => ({ ...f, poolId: e.target.value }))}>
            <option value="">None</option>
            {pools.map((pool) => (
              <option key={pool.id} value={pool.id}>
                {pool.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      {pools.length === 0 && (
        <p className="meta">
          No care teams yet: create one in <Link to="/settings/messaging">Messaging</Link>.
        </p>
      )}
    </SettingsForm>
  );
}

interface ProviderRow {
  id: string;
  displayName: string;
  coveringProviderId?: string | null;
}

function Covering({ providers, refresh }: { providers: ProviderRow[]; refresh: () => void }) {
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string | null>(null);
  // A choice that failed to save stays chosen, so it can be tried again.
  const [chosen, setChosen] = useState<Record<string, string>>({});
  const [, setCovering] = useMutation(SetCovering);
  const [, once] = useOnce();
  const name = (id: string) => providers.find((p) => p.id === id)?.displayName ?? "another provider";

  function change(provider: ProviderRow, coveringId: string) {
    setChosen((c) => ({ ...c, [provider.id]: coveringId }));
    void once(async () => {
      setSaved(null);
      const r = await setCovering({ input: { providerId: provider.id, coveringProviderId: coveringId || null } });
      if (r.error) return setProblems({ _: problemOf(r.error).sentence });
      const payload = r.data?.setCoveringProvider;
      if (payload?.userErrors.length) {
        const byField = problemsFrom(payload.userErrors, COVER_SENTENCES);
        return setProblems({ [`covering-${provider.id}`]: Object.values(byField)[0] ?? "This could not be saved." });
      }
      setProblems({});
      setChosen((c) => {
        const rest = { ...c };
        delete rest[provider.id];
        return rest;
      });
      setSaved(
        coveringId
          ? `While ${provider.displayName} is away, ${name(coveringId)} takes their refill requests.`
          : `While ${provider.displayName} is away, their refill requests wait for them or go to the refill care team.`,
      );
      refresh();
    });
  }

  const labels = Object.fromEntries(providers.map((p) => [`covering-${p.id}`, `Covering for ${p.displayName}`]));
  return (
    <section className="settings-form" aria-labelledby="covering-title">
      <h2 id="covering-title">Cover while a provider is away</h2>
      <p className="meta">During a provider's time off, their refill requests go to the provider chosen here. A change is saved at once.</p>
      <ErrorSummary problems={problems} labels={labels} />
      {saved && (
        <p className="notice" role="status">
          {saved}
        </p>
      )}
      {providers.length === 0 ? (
        <EmptyState title="No providers yet.">
          Add them in <Link to="/practice/providers">Providers</Link>.
        </EmptyState>
      ) : (
        <table className="data-table">
          <caption className="visually-hidden">Who covers each provider's refills</caption>
          <thead>
            <tr>
              <th scope="col">Provider</th>
              <th scope="col">Covered by</th>
            </tr>
          </thead>
          <tbody>
            {providers.map((p) => {
              const error = problems[`covering-${p.id}`];
              return (
                <tr key={p.id} className={error ? "field-error" : undefined}>
                  <th scope="row">{p.displayName}</th>
                  <td>
                    <select
                      id={`field-covering-${p.id}`}
                      aria-label={`Covering for ${p.displayName}`}
                      aria-invalid={Boolean(error)}
                      aria-describedby={error ? `field-covering-${p.id}-error` : undefined}
                      value={chosen[p.id] ?? p.coveringProviderId ?? ""}
                      onChange={(e) => change(p, e.target.value)}
                    >
                      <option value="">Nobody</option>
                      {providers
                        .filter((o) => o.id !== p.id)
                        .map((o) => (
                          <option key={o.id} value={o.id}>
                            {o.displayName}
                          </option>
                        ))}
                    </select>
                    {error && (
                      <p className="error-text" id={`field-covering-${p.id}-error`}>
                        {error}
                      </p>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
