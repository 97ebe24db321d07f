// An endpoint's delivery log, newest first, a page at a time through the connection's
// cursor: each delivery's event, state, time, attempts and last answer, its attempts on
// demand, a replay of one delivery, and a replay of every failure since a moment.
import { Fragment, useEffect, useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import { EmptyState, ErrorState, ErrorSummary, Field, LoadingState } from "../../components/PageState";
import { sameZone, zonedInstant } from "../../components/format";
import { problemsFrom, useOnce } from "../shared";
import { SENTENCES, STATUS_WORDS, answerInWords, eventLabel } from "./words";

const PAGE = 20;

const DeliveriesQuery = graphql(`
  query SettingsWebhookDeliveries($id: ID!, $first: Int, $after: String) {
    webhookEndpoint(id: $id) {
      id
      deliveries(first: $first, after: $after) {
        pageInfo {
          hasNextPage
          endCursor
        }
        nodes {
          id
          eventType
          status
          attemptCount
          nextAttemptAt
          deliveredAt
          lastStatusCode
          lastError
          replayOf
          createdAt
          attempts {
            attemptedAt
            statusCode
            durationMs
            error
          }
        }
      }
    }
  }
`);

const ReplayOne = graphql(`
  mutation SettingsReplayWebhookDelivery($id: ID!) {
    replayWebhookDelivery(input: { id: $id }) {
      delivery {
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

const ReplaySince = graphql(`
  mutation SettingsReplayWebhookDeliveries($input: ReplayWebhookDeliveriesInput!) {
    replayWebhookDeliveries(input: $input) {
      replayed
      userErrors {
        field
        code
        message
      }
    }
  }
`);

/**
 * A time in the log, to the second (tries of one delivery can fall in the same minute), in
 * the practice's zone; the zone is named once above the table, not in every cell.
 */
function logTime(iso: string, timeZone: string): string {
  return new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium", timeZone }).format(new Date(iso));
}

/** `YYYY-MM-DDTHH:MM` in a time zone: what a datetime-local field shows for an instant. */
function localInput(instant: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  }).formatToParts(new Date(instant));
  const n = (type: string) => parts.find((p) => p.type === type)?.value ?? "00";
  return `${n("year")}-${n("month")}-${n("day")}T${n("hour")}:${n("minute")}`;
}

export function DeliveryLog({ endpointId, enabled, tz }: { endpointId: string; enabled: boolean; tz: string }) {
  // One cursor per page shown: null for the newest page, then each page's end cursor.
  const [pages, setPages] = useState<(string | null)[]>([null]);
  const [generation, setGeneration] = useState(0);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [said, setSaid] = useState<string | null>(null);
  const [busy, once] = useOnce();
  const [, replayOne] = useMutation(ReplayOne);
  // Back to the newest page, read again: after a replay the new delivery is at the top.
  const restart = () => {
    setPages([null]);
    setGeneration((g) => g + 1);
  };

  function replay(id: string, what: string) {
    void once(async () => {
      setProblems({});
      setSaid(null);
      const result = await replayOne({ id });
      if (result.error) return setProblems({ _: problemOf(result.error).sentence });
      const payload = result.data?.replayWebhookDelivery;
      if (payload?.userErrors.length) return setProblems(problemsFrom(payload.userErrors, SENTENCES));
      setSaid(`${what} is being sent again now, with the same webhook-id. It shows at the top of the log.`);
      restart();
    });
  }

  return (
    <section aria-labelledby="deliveries-title" className="webhook-log">
      <h2 id="deliveries-title">Delivery log</h2>
      <p className="meta">
        Newest first{sameZone(tz) ? "" : `, times in ${tz}`}. A delivery that is not accepted is tried again over about three days before it is marked
        failed.
      </p>
      <ReplaySinceForm endpointId={endpointId} enabled={enabled} tz={tz} onReplayed={restart} />
      <ErrorSummary problems={problems} labels={{}} />
      {said && (
        <p className="notice" role="status">
          {said}
        </p>
      )}
      <div className="row-actions">
        <button type="button" className="small" onClick={restart}>
          Refresh the log
        </button>
      </div>
      <table className="data-table webhook-deliveries">
        <caption className="visually-hidden">Deliveries, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col">State</th>
            <th scope="col">Happened</th>
            <th scope="col">Tries</th>
            <th scope="col">Last answer</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        {pages.map((after, i) => (
          <DeliveryPage
            key={`${generation}-${after ?? "newest"}`}
            endpointId={endpointId}
            after={after}
            tz={tz}
            live={pages.length === 1}
            last={i === pages.length - 1}
            busy={busy}
            onReplay={replay}
            onMore={(cursor) => setPages((p) => [...p, cursor])}
          />
        ))}
      </table>
    </section>
  );
}

function DeliveryPage({
  endpointId,
  after,
  tz,
  live,
  last,
  busy,
  onReplay,
  onMore,
}: {
  endpointId: string;
  after: string | null;
  tz: string;
  live: boolean;
  last: boolean;
  busy: boolean;
  onReplay: (id: string, what: string) => void;
  onMore: (cursor: string) => void;
}) {
  const [{ data, error, fetching }, reload] = useQuery({
    query: DeliveriesQuery,
    variables: { id: endpointId, first: PAGE, after },
    requestPolicy: "network-only",
  });
  const [open, setOpen] = useState<Set<string>>(new Set());
  const connection = data?.webhookEndpoint.deliveries;
  const rows = connection?.nodes ?? [];
  // While a delivery on the newest page waits for a try due within a minute, the page is
  // read again every 3 seconds, so its outcome shows without a reload.
  const soon = rows.some((d) => d.status === "PENDING" && (!d.nextAttemptAt || Date.parse(d.nextAttemptAt) - Date.now() < 60_000));
  useEffect(() => {
    if (!live || !soon) return;
    const timer = setTimeout(() => reload({ requestPolicy: "network-only" }), 3000);
    return () => clearTimeout(timer);
  }, [live, soon, data, reload]);

  const colSpan = 6;
  if (error && !data) {
    return (
      <tbody>
        <tr>
          <td colSpan={colSpan}>
            <ErrorState problem={problemOf(error)} retry={() => reload({ requestPolicy: "network-only" })} />
          </td>
        </tr>
      </tbody>
    );
  }
  if (!connection) {
    return (
      <tbody>
        <tr>
          <td colSpan={colSpan}>{fetching && <LoadingState label="Loading deliveries" rows={3} />}</td>
        </tr>
      </tbody>
    );
  }
  const toggle = (id: string) =>
    setOpen((s) => {
      const next = new Set(s);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  return (
    <tbody>
      {rows.length === 0 && after === null && (
        <tr>
          <td colSpan={colSpan}>
            <EmptyState title="Nothing sent yet.">Each event this endpoint receives shows here as it happens, with every try.</EmptyState>
          </td>
        </tr>
      )}
      {rows.map((d) => {
        const what = `${eventLabel(d.eventType)} from ${logTime(d.createdAt, tz)}`;
        const expanded = open.has(d.id);
        const canReplay = d.status !== "PENDING" || d.attemptCount > 0;
        return (
          <Fragment key={d.id}>
            <tr className={`delivery delivery-${d.status.toLowerCase()}`}>
              <th scope="row">
                {eventLabel(d.eventType)}
                {d.replayOf && <div className="meta">A replay</div>}
              </th>
              <td>
                <span className={d.status === "DELIVERED" ? "tag tag-ok" : d.status === "FAILED" ? "tag tag-danger" : "tag"}>{STATUS_WORDS[d.status]}</span>
                {d.status === "PENDING" && d.nextAttemptAt && <div className="meta">Next try {logTime(d.nextAttemptAt, tz)}</div>}
                {d.status === "DELIVERED" && d.deliveredAt && <div className="meta">at {logTime(d.deliveredAt, tz)}</div>}
              </td>
              <td>{logTime(d.createdAt, tz)}</td>
              <td>{d.attemptCount}</td>
              <td>{d.attemptCount === 0 && !d.lastError ? <span className="muted">Not tried yet</span> : answerInWords(d.lastStatusCode, d.lastError)}</td>
              <td>
                <div className="row-actions delivery-actions">
                  {d.attempts.length > 0 && (
                    <button type="button" className="small" aria-expanded={expanded} aria-controls={`attempts-${d.id}`} onClick={() => toggle(d.id)}>
                      {expanded ? "Hide tries" : "Show tries"}
                      <span className="visually-hidden"> for {what}</span>
                    </button>
                  )}
                  {canReplay && (
                    <button type="button" className="small" disabled={busy} onClick={() => onReplay(d.id, what)}>
                      Replay<span className="visually-hidden"> {what}</span>
                    </button>
                  )}
                </div>
              </td>
            </tr>
            {expanded && (
              <tr className="delivery-attempts" id={`attempts-${d.id}`}>
                <td colSpan={colSpan}>
                  <table className="attempts">
                    <caption>Tries for {what}</caption>
                    <thead>
                      <tr>
                        <th scope="col">When</th>
                        <th scope="col">Answer</th>
                        <th scope="col">Took</th>
                      </tr>
                    </thead>
                    <tbody>
                      {d.attempts.map((a, i) => (
                        <tr key={`${a.attemptedAt}-${i}`}>
                          <td>{logTime(a.attemptedAt, tz)}</td>
                          <td>{answerInWords(a.statusCode, a.error)}</td>
                          <td>{new Intl.NumberFormat(undefined, { style: "unit", unit: "millisecond" }).format(a.durationMs)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </td>
              </tr>
            )}
          </Fragment>
        );
      })}
      {last && connection.pageInfo.hasNextPage && connection.pageInfo.endCursor && (
        <tr>
          <td colSpan={colSpan}>
            <button type="button" onClick={() => onMore(connection.pageInfo.endCursor!)}>
              Load more
            </button>
          </td>
        </tr>
      )}
    </tbody>
  );
}

function ReplaySinceForm({ endpointId, enabled, tz, onReplayed }: { endpointId: string; enabled: boolean; tz: string; onReplayed: () => void }) {
  const [since, setSince] = useState(() => localInput(Date.now() - 24 * 3600_000, tz));
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [said, setSaid] = useState<string | null>(null);
  const [busy, once] = useOnce();
  const [, replay] = useMutation(ReplaySince);
  const zoneNote = sameZone(tz) ? "" : ` (${tz})`;

  function submit(event: FormEvent) {
    event.preventDefault();
    void once(async () => {
      setSaid(null);
      const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(since);
      if (!m) return setProblems({ since: "Enter a date and time, for example yesterday at 09:00." });
      setProblems({});
      const result = await replay({ input: { endpointId, since: zonedInstant(m[1]!, m[2]!, tz) } });
      if (result.error) return setProblems({ _: problemOf(result.error).sentence });
      const payload = result.data?.replayWebhookDeliveries;
      if (payload?.userErrors.length) {
        const found = problemsFrom(payload.userErrors, SENTENCES);
        // The endpoint being off is about the whole form, not the time typed.
        if (found.endpointId) return setProblems({ _: found.endpointId });
        return setProblems(found);
      }
      const n = payload?.replayed ?? 0;
      setSaid(n === 0 ? "No failed delivery since then was waiting for a replay." : n === 1 ? "1 failed delivery is being sent again." : `${n} failed deliveries are being sent again.`);
      if (n > 0) onReplayed();
    });
  }

  return (
    <form className="form webhook-replay" onSubmit={submit} noValidate aria-labelledby="replay-since-title">
      <h3 id="replay-since-title">Replay failures</h3>
      <ErrorSummary problems={problems} labels={{ since: "Failures since" }} />
      {!enabled && <p className="meta">The endpoint is off: turn it on before replaying to it.</p>}
      <div className="replay-row">
        <Field name="since" label={`Failures since${zoneNote}`} hint="Every delivery that failed for good since then, within the last 30 days, is sent again once." error={problems.since}>
          {(p) => <input {...p} type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} />}
        </Field>
        <button type="submit" disabled={busy}>
          Replay failures
        </button>
      </div>
      {said && (
        <p className="notice" role="status">
          {said}
        </p>
      )}
    </form>
  );
}
