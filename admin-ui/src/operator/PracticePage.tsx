// One practice for an operator: its status, suspend with a reason or reactivate, and the
// audit chain verified on demand.
import { useState, type FormEvent } from "react";
import { Link, useParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { fieldProblems, graphql, problemOf } from "@portico/client";
import { ErrorState, ErrorSummary, Field, LoadingState } from "../components/PageState";
import { formatDate } from "../components/format";
import { StatusTag } from "./StatusTag";

const PracticeQuery = graphql(`
  query Practice {
    tenants(first: 1000) {
      id
      slug
      name
      status
      statusReason
      operatorHold
      createdAt
      billing {
        plan
        subscriptionStatus
        trialEndsAt
        currentPeriodEnd
      }
    }
  }
`);

const Suspend = graphql(`
  mutation SuspendTenant($input: SuspendTenantInput!) {
    suspendTenant(input: $input) {
      tenant {
        id
        status
        statusReason
        operatorHold
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const Reactivate = graphql(`
  mutation ReactivateTenant($id: ID!) {
    reactivateTenant(input: { id: $id }) {
      tenant {
        id
        status
        statusReason
        operatorHold
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const VerifyChain = graphql(`
  query VerifyAuditChain($tenantId: ID!) {
    verifyAuditChain(tenantId: $tenantId) {
      events
      firstBrokenSeq
    }
  }
`);

export default function PracticePage() {
  const { tenantId = "" } = useParams();
  const [{ data, error, fetching }, reload] = useQuery({ query: PracticeQuery });
  const [reason, setReason] = useState("");
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [done, setDone] = useState<string | null>(null);
  const [suspending, suspend] = useMutation(Suspend);
  const [reactivating, reactivate] = useMutation(Reactivate);
  const [verify, setVerify] = useState(false);
  const [chain] = useQuery({ query: VerifyChain, variables: { tenantId }, pause: !verify, requestPolicy: "network-only" });

  if (error && !data) return <ErrorState problem={problemOf(error)} retry={() => reload({ requestPolicy: "network-only" })} />;
  if (fetching && !data) return <LoadingState label="Loading the practice" />;
  const practice = data?.tenants.find((t) => t.id === tenantId);
  if (!practice) return <ErrorState problem={{ code: "NOT_FOUND", sentence: "There is no such practice." }} />;
  const suspended = practice.status === "suspended";

  async function onSuspend(event: FormEvent) {
    event.preventDefault();
    if (suspending.fetching) return;
    if (!reason.trim()) return setProblems({ reason: "Say why the practice is suspended; its staff read it." });
    const result = await suspend({ input: { id: tenantId, reason: reason.trim() } });
    if (result.error) return setProblems({ _: problemOf(result.error).sentence });
    const payload = result.data?.suspendTenant;
    if (payload?.userErrors.length) return setProblems(fieldProblems(payload.userErrors));
    setProblems({});
    setReason("");
    setDone(`${practice!.name} is suspended. Its staff see the reason on every page.`);
  }

  async function onReactivate() {
    if (reactivating.fetching) return;
    const result = await reactivate({ id: tenantId });
    if (result.error) return setProblems({ _: problemOf(result.error).sentence });
    const payload = result.data?.reactivateTenant;
    if (payload?.userErrors.length) return setProblems(fieldProblems(payload.userErrors));
    setDone(`${practice!.name} is reactivated.`);
  }

  return (
    <>
      <p>
        <Link to="/practices">All practices</Link>
      </p>
      <h1>{practice.name}</h1>
      {done && (
        <p className="notice" role="status">
          {done}
        </p>
      )}
      <dl className="facts">
        <dt>Address</dt>
        <dd>{practice.slug}</dd>
        <dt>Status</dt>
        <dd>
          <StatusTag status={practice.status} hold={practice.operatorHold} />
          {practice.statusReason ? ` — ${practice.statusReason}` : ""}
        </dd>
        <dt>Plan</dt>
        <dd>{practice.billing?.plan ?? "—"}</dd>
        <dt>Subscription</dt>
        <dd>{practice.billing?.subscriptionStatus ?? "none"}</dd>
        <dt>Joined</dt>
        <dd>{formatDate(practice.createdAt)}</dd>
      </dl>
      <ErrorSummary problems={problems} labels={{ reason: "Reason" }} />
      {suspended ? (
        <section aria-labelledby="reactivate-title">
          <h2 id="reactivate-title">Reactivate</h2>
          <p>The practice returns to what its subscription makes it.</p>
          <button type="button" className="primary" onClick={() => void onReactivate()} disabled={reactivating.fetching}>
            Reactivate {practice.name}
          </button>
        </section>
      ) : (
        <form onSubmit={onSuspend} noValidate aria-labelledby="suspend-title">
          <h2 id="suspend-title">Suspend</h2>
          <p>Staff can still sign in and pay, and patients can still read their records; new work is refused.</p>
          <Field name="reason" label="Reason" error={problems.reason}>
            {(p) => <input {...p} value={reason} onChange={(e) => setReason(e.target.value)} />}
          </Field>
          <button type="submit" className="danger" disabled={suspending.fetching}>
            Suspend {practice.name}
          </button>
        </form>
      )}
      <section aria-labelledby="audit-title">
        <h2 id="audit-title">Audit chain</h2>
        <button type="button" onClick={() => setVerify(true)} disabled={chain.fetching}>
          Verify the audit chain
        </button>
        <div aria-live="polite">
          {chain.fetching && <p>Checking every event…</p>}
          {chain.error && <ErrorState problem={problemOf(chain.error)} />}
          {chain.data &&
            (chain.data.verifyAuditChain.firstBrokenSeq == null ? (
              <p className="notice">Intact: all {chain.data.verifyAuditChain.events} events chain correctly.</p>
            ) : (
              <p className="error-text">Broken at event {chain.data.verifyAuditChain.firstBrokenSeq} of {chain.data.verifyAuditChain.events}.</p>
            ))}
        </div>
      </section>
    </>
  );
}
