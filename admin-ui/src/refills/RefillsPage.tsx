// The refill queue: what is due soonest first, and the three decisions (approve with a
// quantity and refills, deny with a reason the patient reads, or ask for an appointment).
import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { fieldProblems, graphql, problemOf } from "@portico/client";
import type { RefillDecision } from "@portico/client/gql/graphql";
import { EmptyState, ErrorState, ErrorSummary, Field, LoadingState } from "../components/PageState";
import { formatDateTime, formatRelative } from "../components/format";
import { useConsole } from "../app/session";

const QueueQuery = graphql(`
  query RefillQueue($overdue: Boolean) {
    refillQueue(overdue: $overdue, first: 100) {
      id
      status
      restricted
      dueAt
      overdue
      note
      pharmacy
      createdAt
      medication {
        name
        dosage
        prescriberName
        refillsLeft
      }
    }
  }
`);

const Decide = graphql(`
  mutation DecideRefill($input: DecideRefillInput!) {
    decideRefill(input: $input) {
      refillRequest {
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

type Row = NonNullable<ReturnType<typeof useQueue>["data"]>["refillQueue"][number];

function useQueue(overdue: boolean) {
  const [result, reload] = useQuery({ query: QueueQuery, variables: { overdue: overdue || null } });
  return { ...result, reload: () => reload({ requestPolicy: "network-only" }) };
}

export default function RefillsPage() {
  const [overdue, setOverdue] = useState(false);
  const { data, error, fetching, reload } = useQueue(overdue);
  const [done, setDone] = useState<string | null>(null);
  const rows = [...(data?.refillQueue ?? [])].sort((a, b) => (a.dueAt ?? "9").localeCompare(b.dueAt ?? "9"));

  return (
    <>
      <h1>Refill requests</h1>
      <label className="checkbox">
        <input type="checkbox" checked={overdue} onChange={(e) => setOverdue(e.target.checked)} />
        Overdue only
      </label>
      {done && (
        <p className="notice" role="status">
          {done}
        </p>
      )}
      {error && !data && <ErrorState problem={problemOf(error)} retry={reload} />}
      {fetching && !data && <LoadingState label="Loading refill requests" />}
      {data && rows.length === 0 && <EmptyState title="No refill requests are waiting.">Requests patients send appear here, soonest due first.</EmptyState>}
      <ul className="cards">
        {rows.map((row) => (
          <RefillCard
            key={row.id}
            row={row}
            onDecided={(text) => {
              setDone(text);
              reload();
            }}
          />
        ))}
      </ul>
    </>
  );
}

function RefillCard({ row, onDecided }: { row: Row; onDecided: (text: string) => void }) {
  const { me } = useConsole();
  const [decision, setDecision] = useState<RefillDecision>("APPROVE");
  const [quantity, setQuantity] = useState("30");
  const [refills, setRefills] = useState("0");
  const [reason, setReason] = useState("");
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [state, decide] = useMutation(Decide);
  const name = row.restricted ? "Restricted chart" : row.medication?.name ?? "Medication";
  const idBase = `refill-${row.id}`;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (state.fetching) return;
    const input =
      decision === "APPROVE"
        ? { id: row.id, decision, quantity: Number.parseInt(quantity, 10), refills: Number.parseInt(refills, 10) }
        : { id: row.id, decision, reason: reason.trim() || null };
    const result = await decide({ input });
    if (result.error) return setProblems({ _: problemOf(result.error).sentence });
    const payload = result.data?.decideRefill;
    if (payload?.userErrors.length) return setProblems(fieldProblems(payload.userErrors));
    onDecided(
      decision === "APPROVE"
        ? `${name}: approved. The patient is told.`
        : decision === "DENY"
          ? `${name}: denied. The patient reads your reason.`
          : `${name}: the patient is asked to book a visit.`,
    );
  }

  return (
    <li className="card">
      <h2>
        {name} {row.medication && !row.restricted ? <span className="muted">{row.medication.dosage}</span> : null}
      </h2>
      <p className="meta">
        Requested {formatDateTime(row.createdAt, me.tenant.timeZone)}
        {row.dueAt && (row.overdue ? <span className="tag tag-danger">Overdue</span> : ` · due ${formatRelative(row.dueAt)}`)}
        {row.medication?.prescriberName ? ` · prescriber ${row.medication.prescriberName}` : ""}
      </p>
      {row.note && <p>Patient's note: {row.note}</p>}
      <form onSubmit={submit} noValidate aria-label={`Decide the request for ${name}`}>
        <ErrorSummary problems={problems} labels={{ quantity: "Quantity", refills: "Refills", reason: "Reason" }} />
        <fieldset>
          <legend>Decision</legend>
          {(
            [
              ["APPROVE", "Approve"],
              ["DENY", "Deny"],
              ["NEEDS_APPOINTMENT", "Needs an appointment"],
            ] as const
          ).map(([value, label]) => (
            <label key={value} className="radio">
              <input type="radio" name={`${idBase}-decision`} value={value} checked={decision === value} onChange={() => setDecision(value)} />
              {label}
            </label>
          ))}
        </fieldset>
        {decision === "APPROVE" ? (
          <div className="row">
            <Field name={`${idBase}-quantity`} label="Quantity to dispense" error={problems.quantity}>
              {(p) => <input {...p} inputMode="numeric" value={quantity} onChange={(e) => setQuantity(e.target.value)} />}
            </Field>
            <Field name={`${idBase}-refills`} label="Refills" error={problems.refills}>
              {(p) => <input {...p} inputMode="numeric" value={refills} onChange={(e) => setRefills(e.target.value)} />}
            </Field>
          </div>
        ) : (
          <Field
            name={`${idBase}-reason`}
            label={decision === "DENY" ? "Reason (the patient reads this)" : "Note for the patient (optional)"}
            error={problems.reason}
          >
            {(p) => <textarea {...p} rows={2} value={reason} onChange={(e) => setReason(e.target.value)} />}
          </Field>
        )}
        <button type="submit" className="primary" disabled={state.fetching}>
          Record decision
        </button>
      </form>
    </li>
  );
}
