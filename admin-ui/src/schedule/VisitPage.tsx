// One visit, as the front desk opens it from the schedule: when (in the practice's time
// zone), the patient (linking to the chart), provider, place, visit type, status and how it
// was booked; moving it, recording it as completed or a no-show, cancelling it after asking;
// and its check-in forms with the patient's answers. Only the visit's id is in the address:
// the API has no query for one visit, so it is found in the schedule of the day it was on
// (passed in navigation state by the schedule), or, without that day or when it is not there,
// within 15 days either side of it (or of today), as the move page does. The schedule leaves
// out cancelled and moved visits, so a visit cancelled here stays on the page as it was.
import { useEffect, useRef, useState } from "react";
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
import { bookedVia, CancelVisit, localDate, RecordOutcome, shiftDay, STATUS } from "./visit";
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
  const given = (useLocation().state as { day?: string } | null)?.day;
  const hint = given ?? todayIn(tz);
  // The day it was on first (each visit listed is an audited read); else a month around it,
  // as much as the schedule allows (31 days).
  const [wide, setWide] = useState(!given);
  const span = wide
    ? { from: zonedDayRange(shiftDay(hint, -15), tz).from, to: zonedDayRange(shiftDay(hint, 15), tz).to }
    : zonedDayRange(hint, tz);
  const [found, reloadFound] = useQuery({ query: FindVisit, variables: span });
  const listed = found.data?.schedule.find((a) => a.id === appointmentId);
  // After an action, the visit as it answered (a cancelled one leaves the schedule).
  const [changed, setChanged] = useState<NonNullable<typeof listed> | null>(null);
  const visit = changed ?? listed;
  const missing = !wide && found.data !== undefined && !found.fetching && !listed;
  useEffect(() => {
    if (missing) setWide(true);
  }, [missing]);
  const [cancelling, cancel] = useMutation(CancelVisit);
  const [recording, outcome] = useMutation(RecordOutcome);
  const [asking, setAsking] = useState(false);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [done, setDone] = useState<string | null>(null);
  const [formsKey, setFormsKey] = useState(0);
  const busy = cancelling.fetching || recording.fetching;
  // Focus follows what changed: to the question when cancelling is asked, to the outcome after.
  const askBox = useRef<HTMLDivElement>(null);
  const notice = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (asking) askBox.current?.focus();
  }, [asking]);
  useEffect(() => {
    if (done) notice.current?.focus();
  }, [done]);

  async function act(
    run: () => Promise<{ error?: unknown; status?: string; userErrors?: { field: string; code: string; message: string }[] }>,
    text: string,
  ) {
    if (busy || !visit) return;
    const r = await run();
    setAsking(false);
    if (r.error) return setProblems({ _: problemOf(r.error).sentence });
    if (r.userErrors?.length) return setProblems(fieldProblems(r.userErrors));
    setProblems({});
    setDone(text);
    if (r.status) setChanged({ ...visit, status: r.status as typeof visit.status });
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
  if (!visit && (!found.data || missing || found.fetching)) {
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
        <EmptyState title="This visit was not found.">
          Cancelled and moved visits leave the schedule. Open a visit from the schedule, on its day, with “Details”.
        </EmptyState>
      </>
    );
  }

  const type = visit.appointmentType?.name ?? "Visit";
  return (
    <div className="visit-page">
      {back}
      <h1>
        {type} on {formatDate(day)}
      </h1>
      <ErrorSummary problems={problems} labels={{}} />
      {done && (
        <p className="notice" role="status" tabIndex={-1} ref={notice}>
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
        <dt>Booked via</dt>
        <dd>{bookedVia(visit.bookedVia)}</dd>
      </dl>
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
                  const p = r.data?.recordAppointmentOutcome;
                  return { error: r.error, status: p?.appointment?.status, userErrors: p?.userErrors };
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
        <div className="visit-confirm" role="group" aria-labelledby="cancel-ask" tabIndex={-1} ref={askBox}>
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
                  const p = r.data?.cancelAppointment;
                  return { error: r.error, status: p?.appointment?.status, userErrors: p?.userErrors };
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
    </div>
  );
}
