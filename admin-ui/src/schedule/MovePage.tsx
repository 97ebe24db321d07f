// Move a booked visit to another time: choose a day, see the free times for the same visit
// type (with the same provider or any), check, move. Only the visit's id is in the address;
// the schedule passes the day it was on in navigation state, so the visit is found within a
// month around that day (or around today). A time taken meanwhile keeps the day and says why.
import { useState, type FormEvent } from "react";
import { Link, useLocation, useParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { fieldProblems, graphql, problemOf } from "@portico/client";
import { EmptyState, ErrorState, ErrorSummary, LoadingState } from "../components/PageState";
import { formatDate, formatDateTime, formatTime, todayIn, zonedDayRange } from "../components/format";
import { useConsole } from "../app/session";
import { PatientCell } from "./SchedulePage";

const FindVisit = graphql(`
  query MoveFindVisit($from: DateTime!, $to: DateTime!) {
    schedule(from: $from, to: $to) {
      id
      patientId
      start
      end
      status
      provider {
        id
        displayName
      }
      location {
        id
        name
      }
      appointmentType {
        id
        name
        durationMinutes
      }
    }
  }
`);

const MoveSlots = graphql(`
  query MoveSlots($typeId: ID!, $from: Date!, $to: Date!, $providerId: ID) {
    availableSlots(appointmentTypeId: $typeId, from: $from, to: $to, providerId: $providerId) {
      start
      end
      provider {
        id
        displayName
      }
      location {
        id
        name
      }
    }
  }
`);

const Reschedule = graphql(`
  mutation RescheduleAppointment($input: RescheduleAppointmentInput!) {
    rescheduleAppointment(input: $input) {
      appointment {
        id
        start
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

interface Slot {
  start: string;
  providerId: string;
  providerName: string;
  locationId: string;
  locationName: string;
}

function shiftDay(isoDate: string, days: number): string {
  return new Date(Date.parse(`${isoDate}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

export default function MovePage() {
  const { me } = useConsole();
  const tz = me.tenant.timeZone;
  const { appointmentId = "" } = useParams();
  const location = useLocation();
  const hint = (location.state as { day?: string } | null)?.day ?? todayIn(tz);
  // The schedule allows 31 days at most: 15 before the hinted day and 15 after.
  const [span] = useState(() => ({ from: zonedDayRange(shiftDay(hint, -15), tz).from, to: zonedDayRange(shiftDay(hint, 15), tz).to }));
  const [found, reloadFound] = useQuery({ query: FindVisit, variables: span });
  const visit = found.data?.schedule.find((a) => a.id === appointmentId);
  const [day, setDay] = useState(hint < todayIn(tz) ? todayIn(tz) : hint);
  const [anyProvider, setAnyProvider] = useState(false);
  const [slot, setSlot] = useState<Slot | null>(null);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [moved, setMoved] = useState<string | null>(null);
  const [slots, reloadSlots] = useQuery({
    query: MoveSlots,
    variables: {
      typeId: visit?.appointmentType?.id ?? "",
      from: day,
      to: day,
      providerId: anyProvider ? null : (visit?.provider?.id ?? null),
    },
    pause: !visit?.appointmentType,
  });
  const [moving, move] = useMutation(Reschedule);
  // Not the previous day's times while the new day's load.
  const freeTimes = slots.fetching ? undefined : slots.data;

  async function confirm(event: FormEvent) {
    event.preventDefault();
    if (!visit || !slot || moving.fetching) return;
    const result = await move({
      input: { appointmentId: visit.id, start: slot.start, providerId: slot.providerId || null, locationId: slot.locationId || null },
    });
    if (result.error) return setProblems({ _: problemOf(result.error).sentence });
    const payload = result.data?.rescheduleAppointment;
    if (payload?.userErrors.length) {
      // Back to the times of the same day, with the reason.
      setSlot(null);
      reloadSlots({ requestPolicy: "network-only" });
      return setProblems(fieldProblems(payload.userErrors));
    }
    if (payload?.appointment) setMoved(`The visit is moved to ${formatDateTime(payload.appointment.start, tz)}.`);
  }

  const back = (
    <p>
      <Link to="/schedule">Back to the schedule</Link>
    </p>
  );
  if (moved) {
    return (
      <>
        <h1>Visit moved</h1>
        <p className="notice" role="status">
          {moved} The patient is told of the new time.
        </p>
        {back}
      </>
    );
  }
  if (found.error && !found.data) {
    return (
      <>
        {back}
        <h1>Move a visit</h1>
        <ErrorState problem={problemOf(found.error)} retry={() => reloadFound({ requestPolicy: "network-only" })} />
      </>
    );
  }
  if (!found.data) {
    return (
      <>
        {back}
        <h1>Move a visit</h1>
        <LoadingState label="Finding the visit" rows={2} />
      </>
    );
  }
  if (!visit || visit.status !== "BOOKED") {
    return (
      <>
        {back}
        <h1>Move a visit</h1>
        <EmptyState title={visit ? "This visit is no longer booked." : "This visit was not found."}>
          Open it from the schedule, on its day, and choose “Move”.
        </EmptyState>
      </>
    );
  }

  return (
    <>
      {back}
      <h1>Move a visit</h1>
      <ErrorSummary problems={problems} labels={{}} />
      <section aria-labelledby="now">
        <h2 id="now">The visit now</h2>
        <dl className="facts">
          <dt>Patient</dt>
          <dd>
            <PatientCell id={visit.patientId} />
          </dd>
          <dt>Visit</dt>
          <dd>{visit.appointmentType?.name ?? "Visit"}</dd>
          <dt>When</dt>
          <dd>{formatDateTime(visit.start, tz)}</dd>
          <dt>With</dt>
          <dd>
            {visit.provider?.displayName ?? "—"}
            {visit.location ? `, ${visit.location.name}` : ""}
          </dd>
        </dl>
      </section>
      <section aria-labelledby="when">
        <h2 id="when">1. New day</h2>
        <div className="row">
          <label className="stack">
            Day
            <input type="date" value={day} min={todayIn(tz)} onChange={(e) => e.target.value && (setDay(e.target.value), setSlot(null))} />
          </label>
          <label className="checkbox">
            <input type="checkbox" checked={anyProvider} onChange={(e) => (setAnyProvider(e.target.checked), setSlot(null))} />
            Any provider
          </label>
        </div>
      </section>
      <section aria-labelledby="times">
        <h2 id="times">2. New time</h2>
        {slots.error && <ErrorState problem={problemOf(slots.error)} retry={() => reloadSlots({ requestPolicy: "network-only" })} />}
        {slots.fetching && <LoadingState label="Finding free times" rows={2} />}
        {freeTimes && freeTimes.availableSlots.length === 0 && (
          <EmptyState title={`No free time on ${formatDate(day)}.`}>Try another day{anyProvider ? "" : " or any provider"}.</EmptyState>
        )}
        <ul className="slots" aria-label={`Free times on ${formatDate(day)}`}>
          {freeTimes?.availableSlots.map((s) => {
            const value: Slot = {
              start: s.start,
              providerId: s.provider?.id ?? "",
              providerName: s.provider?.displayName ?? "",
              locationId: s.location?.id ?? "",
              locationName: s.location?.name ?? "",
            };
            const chosen = slot?.start === s.start && slot.providerId === value.providerId;
            return (
              <li key={`${s.start}-${value.providerId}`}>
                <button type="button" aria-pressed={chosen} onClick={() => setSlot(value)}>
                  {formatTime(s.start, tz)} · {value.providerName}
                </button>
              </li>
            );
          })}
        </ul>
      </section>
      {slot && (
        <form onSubmit={confirm} aria-labelledby="check">
          <h2 id="check">3. Check and move</h2>
          <dl className="facts">
            <dt>From</dt>
            <dd>{formatDateTime(visit.start, tz)}</dd>
            <dt>To</dt>
            <dd>{formatDateTime(slot.start, tz)}</dd>
            <dt>With</dt>
            <dd>
              {slot.providerName}, {slot.locationName}
            </dd>
          </dl>
          <button type="submit" className="primary" disabled={moving.fetching}>
            Move this visit
          </button>
        </form>
      )}
    </>
  );
}
