// One visit, as the front desk opens it from the schedule: when (in the practice's time
// zone), the patient (linking to the chart), provider, place, visit type, status and how it
// was booked; moving it, recording it as completed or a no-show, cancelling it after asking;
// and its check-in forms with the patient's answers. Only the visit's id is in the address:
// the API has no query for one visit, so, as the move page does, it is found in the schedule
// within a month around the day it was on (passed in navigation state) or around today.
import { useState } from "react";
import { Link, useLocation, useParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { fieldProblems, graphql, problemOf } from "@portico/client";
import type { VisitOutcome } from "@portico/client/gql/graphql";
import { EmptyState, ErrorState, ErrorSummary, LoadingState } from "../components/PageState";
import { formatDate, formatTime, sameZone, todayIn, zonedDayRange } from "../components/format";
import { useConsole } from "../app/session";
import { chartPath } from "../chart/routes";
import { PatientCell } from "./SchedulePage";
import { VisitForms } from "./VisitForms";
import { bookedVia, CancelVisit, localDate, RecordOutcome, shiftDay, STATUS, visitPath } from "./visit";
import "./visit.css";

const FindVisit = graphql(`
  query VisitFindVisit($from: DateTime!, $to: DateTime!) {
    schedule(from: $from, to: $to) {
      id
      patientId
      start
      end
      status
      bookedVia
      rescheduledFromId
      cancelledAt
      confirmedAt
      provider {
        displayName
      }
      location {
        name
      }
      appointmentType {
        name
      }
    }
  }
`);

const OUTCOME_DONE: Record<VisitOutcome, string> = {
  COMPLETED: "Recorded as completed.",
  NO_SHOW: "Recorded as a no-show.",
};

export default function VisitPage() {
  const { me } = useConsole();
  const tz = me.tenant.timeZone;
  const { appointmentId = "" } = useParams();
  const hint = (useLocation().state as { day?: string } | null)?.day ?? todayIn(tz);
  // The schedule allows 31 days at most: 15 before the hinted day and 15 after.
  const [span] = useState(() => ({ from: zonedDayRange(shiftDay(hint, -15), tz).from, to: zonedDayRange(shiftDay(hint, 15), tz).to }));
  const [found, reloadFound] = useQuery({ query: FindVisit, variables: span });
  const visit = found.data?.schedule.find((a) => a.id === appointmentId);
  const movedTo = found.data?.schedule.find((a) => a.rescheduledFromId === appointmentId);
  const [cancelling, cancel] = useMutation(CancelVisit);
  const [recording, outcome] = useMutation(RecordOutcome);
  const [asking, setAsking] = useState(false);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [done, setDone] = useState<string | null>(null);
  const [formsKey, setFormsKey] = useState(0);
  const busy = cancelling.fetching || recording.fetching;

  async function act(run: () => Promise<{ error?: unknown; userErrors?: { field: string; code: string; message: string }[] }>, text: string) {
    if (busy) return;
    const r = await run();
    setAsking(false);
    if (r.error) return setProblems({ _: problemOf(r.error).sentence });
    if (r.userErrors?.length) return setProblems(fieldProblems(r.userErrors));
    setProblems({});
    setDone(text);
    reloadFound({ requestPolicy: "network-only" });
    // A cancelled visit's unanswered forms are withdrawn.
    setFormsKey((k) => k + 1);
  }

  const day = visit ? localDate(visit.start, tz) : hint;
  const back = (
    <p>
      <Link to="/schedule" state={{ day }}>
        Back to the schedule
      </Link>
    </p>
  );
  if (found.error && !found.data) {
    return (
      <>
        {back}
        <h1>Visit</h1>
        <ErrorState problem={problemOf(found.error)} retry={() => reloadFound({ requestPolicy: "network-only" })} />
      </>
    );
  }
  if (!found.data) {
    return (
      <>
        {back}
        <h1>Visit</h1>
        <LoadingState label="Finding the visit" rows={4} />
      </>
    );
  }
  if (!visit) {
    return (
      <>
        {back}
        <h1>Visit</h1>
        <EmptyState title="This visit was not found.">Open it from the schedule, on its day, with “Details”.</EmptyState>
      </>
    );
  }

  const type = visit.appointmentType?.name ?? "Visit";
  return (
    <>
      {back}
      <h1>
        {type} on {formatDate(day)}
      </h1>
      <ErrorSummary problems={problems} labels={{}} />
      {done && (
        <p className="notice" role="status">
          {done}
        </p>
      )}
      <dl className="facts" aria-label="The visit">
        <dt>When</dt>
        <dd>
          {formatDate(day)}, {formatTime(visit.start, tz)}–{formatTime(visit.end, tz)}
          {!sameZone(tz) && <span className="meta"> (times in {tz})</span>}
        </dd>
        <dt>Patient</dt>
        <dd>
          <Link to={chartPath(visit.patientId)}>
            <PatientCell id={visit.patientId} />
            <span className="visually-hidden">: open the chart</span>
          </Link>
        </dd>
        <dt>Provider</dt>
        <dd>{visit.provider?.displayName ?? "Not set"}</dd>
        <dt>Location</dt>
        <dd>{visit.location?.name ?? "Not set"}</dd>
        <dt>Visit type</dt>
        <dd>{type}</dd>
        <dt>Status</dt>
        <dd>
          {STATUS[visit.status] ?? visit.status}
          {visit.status === "BOOKED" && visit.confirmedAt && " · the patient confirmed it from the reminder"}
        </dd>
        <dt>Booked</dt>
        <dd>{bookedVia(visit.bookedVia)}</dd>
      </dl>
      {visit.status === "RESCHEDULED" && movedTo && (
        <p>
          Moved to {formatDate(localDate(movedTo.start, tz))} at {formatTime(movedTo.start, tz)}.{" "}
          <Link to={visitPath(movedTo.id)} state={{ day: localDate(movedTo.start, tz) }}>
            Open the visit at its new time
          </Link>
        </p>
      )}
      {visit.status === "BOOKED" && (
        <div className="visit-actions" role="group" aria-label="Actions on this visit">
          <Link className="button" to={`/schedule/move/${encodeURIComponent(visit.id)}`} state={{ day }}>
            Move
          </Link>
          {(["COMPLETED", "NO_SHOW"] as VisitOutcome[]).map((o) => (
            <button
              key={o}
              type="button"
              disabled={busy}
              onClick={() =>
                void act(async () => {
                  const r = await outcome({ id: visit.id, outcome: o });
                  return { error: r.error, userErrors: r.data?.recordAppointmentOutcome.userErrors };
                }, OUTCOME_DONE[o])
              }
            >
              {o === "COMPLETED" ? "Completed" : "No-show"}
            </button>
          ))}
          <button type="button" aria-expanded={asking} onClick={() => setAsking(true)} disabled={busy}>
            Cancel the visit
          </button>
        </div>
      )}
      {visit.status === "BOOKED" && asking && (
        <div className="visit-confirm" role="group" aria-labelledby="cancel-ask">
          <p id="cancel-ask">
            Cancel this visit? The patient is told, and forms they have not sent are withdrawn.
          </p>
          <div className="row">
            <button
              type="button"
              className="danger"
              disabled={busy}
              onClick={() =>
                void act(async () => {
                  const r = await cancel({ id: visit.id });
                  return { error: r.error, userErrors: r.data?.cancelAppointment.userErrors };
                }, "The visit is cancelled and the patient is told.")
              }
            >
              Yes, cancel the visit
            </button>
            <button type="button" onClick={() => setAsking(false)}>
              Keep it
            </button>
          </div>
        </div>
      )}
      <VisitForms key={formsKey} appointmentId={visit.id} zone={tz} visitStatus={visit.status} />
    </>
  );
}
