// A day's schedule for the practice or one provider, in the practice's time zone: each visit
// with its patient, and the front desk's actions (cancel, completed, no-show). Booking for a
// patient is on its own page, from here or from a patient. The week view lists seven days,
// Monday to Sunday in the practice's time zone; a visit there opens its day, where the
// actions are. Moving a visit is on its own page too, and so is each visit's detail with its
// check-in forms (only the visit's id in the address; its day travels in navigation state).
// The day view does not mark visits with forms: the schedule does not carry them, and asking
// each visit's forms would be a query (and an audited chart read) per visit.
import { useState } from "react";
import { Link, useLocation } from "react-router";
import { useMutation, useQuery } from "urql";
import { fieldProblems, graphql, problemOf } from "@portico/client";
import type { VisitOutcome } from "@portico/client/gql/graphql";
import { EmptyState, ErrorState, ErrorSummary, LoadingState } from "../components/PageState";
import { formatDate, formatTime, todayIn, zonedDayRange } from "../components/format";
import { useConsole } from "../app/session";
import { CancelVisit, localDate, RecordOutcome, shiftDay, STATUS, visitPath } from "./visit";

const ScheduleQuery = graphql(`
  query Schedule($from: DateTime!, $to: DateTime!, $providerId: ID) {
    providers {
      id
      displayName
    }
    schedule(from: $from, to: $to, providerId: $providerId) {
      id
      patientId
      start
      end
      status
      bookedVia
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

const PatientName = graphql(`
  query PatientName($id: ID!) {
    patient(id: $id) {
      id
      givenName
      familyName
    }
  }
`);

/** The Monday of the week holding a date. */
function mondayOf(isoDate: string): string {
  const weekday = new Date(`${isoDate}T00:00:00Z`).getUTCDay(); // 0 is Sunday
  return shiftDay(isoDate, -((weekday + 6) % 7));
}

function weekdayName(isoDate: string): string {
  return new Intl.DateTimeFormat(undefined, { weekday: "long", timeZone: "UTC" }).format(new Date(`${isoDate}T00:00:00Z`));
}


export default function SchedulePage() {
  const { me } = useConsole();
  const tz = me.tenant.timeZone;
  // A visit's page sends the front desk back to the day it was on.
  const back = (useLocation().state as { day?: string } | null)?.day;
  const [day, setDay] = useState(() => back ?? todayIn(tz));
  const [providerId, setProviderId] = useState("");
  const [view, setView] = useState<"day" | "week">("day");
  const monday = mondayOf(day);
  const week = Array.from({ length: 7 }, (_, i) => shiftDay(monday, i));
  const sunday = shiftDay(monday, 6);
  const range =
    view === "day" ? zonedDayRange(day, tz) : { from: zonedDayRange(monday, tz).from, to: zonedDayRange(sunday, tz).to };
  const [{ data, error, fetching }, reload] = useQuery({ query: ScheduleQuery, variables: { ...range, providerId: providerId || null } });
  const [, cancel] = useMutation(CancelVisit);
  const [, outcome] = useMutation(RecordOutcome);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [done, setDone] = useState<string | null>(null);

  async function act(run: () => Promise<{ error?: unknown; userErrors?: { field: string; code: string; message: string }[] }>, text: string) {
    const r = await run();
    if (r.error) return setProblems({ _: problemOf(r.error).sentence });
    if (r.userErrors?.length) return setProblems(fieldProblems(r.userErrors));
    setProblems({});
    setDone(text);
    reload({ requestPolicy: "network-only" });
  }

  const visits = [...(data?.schedule ?? [])].sort((a, b) => a.start.localeCompare(b.start));
  return (
    <>
      <h1>Schedule</h1>
      <div className="row" role="group" aria-label="View">
        <button type="button" aria-pressed={view === "day"} onClick={() => setView("day")}>
          Day
        </button>
        <button type="button" aria-pressed={view === "week"} onClick={() => setView("week")}>
          Week
        </button>
      </div>
      <div className="filters">
        <label>
          Day
          <input type="date" value={day} onChange={(e) => e.target.value && setDay(e.target.value)} />
        </label>
        <button type="button" onClick={() => setDay(shiftDay(day, view === "day" ? -1 : -7))}>
          {view === "day" ? "Previous day" : "Previous week"}
        </button>
        <button type="button" onClick={() => setDay(todayIn(tz))}>
          Today
        </button>
        <button type="button" onClick={() => setDay(shiftDay(day, view === "day" ? 1 : 7))}>
          {view === "day" ? "Next day" : "Next week"}
        </button>
        <label>
          Provider
          <select value={providerId} onChange={(e) => setProviderId(e.target.value)}>
            <option value="">All providers</option>
            {data?.providers.map((p) => (
              <option key={p.id} value={p.id}>
                {p.displayName}
              </option>
            ))}
          </select>
        </label>
        <Link className="button primary" to="/schedule/book">
          Book a visit
        </Link>
      </div>
      <p className="meta">
        {view === "day" ? formatDate(day) : `Week of ${formatDate(monday)} to ${formatDate(sunday)}`}, times in {tz}.
      </p>
      <ErrorSummary problems={problems} labels={{}} />
      {done && (
        <p className="notice" role="status">
          {done}
        </p>
      )}
      {error && !data && <ErrorState problem={problemOf(error)} retry={() => reload({ requestPolicy: "network-only" })} />}
      {fetching && !data && <LoadingState label="Loading the schedule" />}
      {view === "week" && data && (
        <div className="week">
          {week.map((d) => {
            const today = visits.filter((v) => localDate(v.start, tz) === d);
            return (
              <section key={d} className="week-day" aria-labelledby={`day-${d}`}>
                <h2 id={`day-${d}`}>
                  {weekdayName(d)} <span className="meta">{formatDate(d)}</span>
                </h2>
                {today.length === 0 ? (
                  <p className="muted">No visits.</p>
                ) : (
                  <ul aria-label={`Visits on ${weekdayName(d)}`}>
                    {today.map((v) => (
                      <li key={v.id}>
                        <button
                          type="button"
                          className="link-button"
                          onClick={() => {
                            setDay(d);
                            setView("day");
                          }}
                        >
                          {formatTime(v.start, tz)}
                        </button>{" "}
                        <PatientCell id={v.patientId} /> · {v.appointmentType?.name ?? "Visit"}
                        {v.status !== "BOOKED" && ` · ${STATUS[v.status] ?? v.status}`}{" "}
                        <Link className="visit-link" to={visitPath(v.id)} state={{ day: d }}>
                          Details<span className="visually-hidden"> of the visit at {formatTime(v.start, tz)}</span>
                        </Link>
                      </li>
                    ))}
                  </ul>
                )}
              </section>
            );
          })}
        </div>
      )}
      {view === "day" && data && visits.length === 0 && <EmptyState title="No visits on this day.">Book one with “Book a visit”.</EmptyState>}
      {view === "day" && visits.length > 0 && (
        <table className="data-table">
          <caption className="visually-hidden">Visits on {formatDate(day)}</caption>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Patient</th>
              <th scope="col">Visit</th>
              <th scope="col">Provider and place</th>
              <th scope="col">Status</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {visits.map((v) => (
              <tr key={v.id}>
                <td>
                  {formatTime(v.start, tz)}–{formatTime(v.end, tz)}
                </td>
                <td>
                  <PatientCell id={v.patientId} />
                </td>
                <td>
                  {v.appointmentType?.name ?? "Visit"}
                  {v.bookedVia === "portal" && <span className="tag">Online</span>}
                </td>
                <td>
                  {v.provider?.displayName ?? "—"}
                  {v.location ? `, ${v.location.name}` : ""}
                </td>
                <td>{STATUS[v.status] ?? v.status}</td>
                <td className="row-actions">
                  <Link className="button" to={visitPath(v.id)} state={{ day }}>
                    Details<span className="visually-hidden"> of the visit at {formatTime(v.start, tz)}</span>
                  </Link>
                  {v.status === "BOOKED" && (
                    <>
                      <Link className="button" to={`/schedule/move/${encodeURIComponent(v.id)}`} state={{ day }}>
                        Move
                      </Link>
                      {(["COMPLETED", "NO_SHOW"] as VisitOutcome[]).map((o) => (
                        <button
                          key={o}
                          type="button"
                          onClick={() =>
                            void act(async () => {
                              const r = await outcome({ id: v.id, outcome: o });
                              return { error: r.error, userErrors: r.data?.recordAppointmentOutcome.userErrors };
                            }, o === "COMPLETED" ? "Recorded as completed." : "Recorded as a no-show.")
                          }
                        >
                          {o === "COMPLETED" ? "Completed" : "No-show"}
                        </button>
                      ))}
                      <button
                        type="button"
                        onClick={() =>
                          void act(async () => {
                            const r = await cancel({ id: v.id });
                            return { error: r.error, userErrors: r.data?.cancelAppointment.userErrors };
                          }, "The visit is cancelled and the patient is told.")
                        }
                      >
                        Cancel
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

export function PatientCell({ id }: { id: string }) {
  const [{ data, error }] = useQuery({ query: PatientName, variables: { id } });
  if (error) return <span className="muted">Restricted chart</span>;
  if (!data) return <span className="muted">…</span>;
  return (
    <span>
      {data.patient.familyName}, {data.patient.givenName}
    </span>
  );
}
