// Book a visit for a patient, in four short steps on one page: who, what, when, check. A
// slot taken meanwhile sends the person back to the times with the reason, keeping the rest.
// A day with no free time offers the waitlist: the patient is told of an opening before the
// end of that day. The chosen patient's waitlist entries show in step 1.
import { useState, type FormEvent } from "react";
import { Link, useLocation, useSearchParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { fieldProblems, graphql, problemOf } from "@portico/client";
import { EmptyState, ErrorState, ErrorSummary, LoadingState } from "../components/PageState";
import { formatDate, formatDateTime, formatTime, todayIn, zonedDayRange } from "../components/format";
import { useConsole } from "../app/session";

const FindPatient = graphql(`
  query BookFindPatient($search: String) {
    patients(search: $search, first: 10) {
      nodes {
        id
        givenName
        familyName
        birthDate
        mrn
      }
    }
  }
`);

const Options = graphql(`
  query BookOptions {
    appointmentTypes {
      id
      name
      durationMinutes
    }
    providers {
      id
      displayName
    }
  }
`);

const Slots = graphql(`
  query BookSlots($typeId: ID!, $from: Date!, $to: Date!, $providerId: ID) {
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

const Waitlist = graphql(`
  query BookWaitlist($patientId: ID!) {
    waitlist(patientId: $patientId) {
      id
      appointmentTypeId
      providerId
      wantedBefore
      status
    }
  }
`);

const JoinWaitlist = graphql(`
  mutation JoinWaitlist($input: JoinWaitlistInput!) {
    joinWaitlist(input: $input) {
      waitlistEntry {
        id
        wantedBefore
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const Book = graphql(`
  mutation BookAppointment($input: BookAppointmentInput!) {
    bookAppointment(input: $input) {
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

interface Patient {
  id: string;
  name: string;
}
interface Slot {
  start: string;
  providerId: string;
  providerName: string;
  locationId: string;
  locationName: string;
}

export default function BookPage() {
  const { me } = useConsole();
  const tz = me.tenant.timeZone;
  // Only the chart's id travels in the address; the name comes in navigation state (names
  // are health information and never go in a URL).
  const [params] = useSearchParams();
  const location = useLocation();
  const [patient, setPatient] = useState<Patient | null>(() => {
    const id = params.get("patient");
    const name = (location.state as { name?: string } | null)?.name;
    return id ? { id, name: name ?? "the patient" } : null;
  });
  const [typeId, setTypeId] = useState("");
  const [providerId, setProviderId] = useState("");
  const [day, setDay] = useState(() => todayIn(tz));
  const [slot, setSlot] = useState<Slot | null>(null);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [booked, setBooked] = useState<string | null>(null);
  const [options] = useQuery({ query: Options });
  const [slots, reloadSlots] = useQuery({
    query: Slots,
    variables: { typeId, from: day, to: day, providerId: providerId || null },
    pause: !typeId,
  });
  const [booking, book] = useMutation(Book);
  // Not the previous day's times while the new day's load.
  const freeTimes = slots.fetching ? undefined : slots.data;
  const [waitlist, reloadWaitlist] = useQuery({ query: Waitlist, variables: { patientId: patient?.id ?? "" }, pause: !patient });
  const [joining, join] = useMutation(JoinWaitlist);
  const [joined, setJoined] = useState<string | null>(null);

  async function joinWaitlist() {
    if (!patient || !typeId || joining.fetching) return;
    const result = await join({
      input: { patientId: patient.id, appointmentTypeId: typeId, providerId: providerId || null, wantedBefore: zonedDayRange(day, tz).to },
    });
    if (result.error) return setProblems({ _: problemOf(result.error).sentence });
    const payload = result.data?.joinWaitlist;
    if (payload?.userErrors.length) return setProblems(fieldProblems(payload.userErrors));
    setProblems({});
    setJoined(`${patient.name} is on the waitlist and is told of an opening before the end of ${formatDate(day)}.`);
    reloadWaitlist({ requestPolicy: "network-only" });
  }

  async function confirm(event: FormEvent) {
    event.preventDefault();
    if (!patient || !slot || booking.fetching) return;
    const result = await book({
      input: { patientId: patient.id, appointmentTypeId: typeId, providerId: slot.providerId, locationId: slot.locationId, start: slot.start },
    });
    if (result.error) return setProblems({ _: problemOf(result.error).sentence });
    const payload = result.data?.bookAppointment;
    if (payload?.userErrors.length) {
      // Back one step with the reason; the patient and the visit type stay chosen.
      setSlot(null);
      reloadSlots({ requestPolicy: "network-only" });
      return setProblems(fieldProblems(payload.userErrors));
    }
    if (payload?.appointment) setBooked(`The visit is booked for ${formatDateTime(payload.appointment.start, tz)}.`);
  }

  if (booked) {
    return (
      <>
        <h1>Visit booked</h1>
        <p className="notice" role="status">
          {booked} {patient?.name} is sent a confirmation.
        </p>
        <p>
          <Link to="/schedule">Back to the schedule</Link>
        </p>
      </>
    );
  }

  const type = options.data?.appointmentTypes.find((t) => t.id === typeId);
  return (
    <>
      <p>
        <Link to="/schedule">Back to the schedule</Link>
      </p>
      <h1>Book a visit</h1>
      <ErrorSummary problems={problems} labels={{}} />
      <section aria-labelledby="who">
        <h2 id="who">1. Patient</h2>
        {patient ? (
          <p>
            {patient.name}{" "}
            <button type="button" className="link-button" onClick={() => setPatient(null)}>
              Change
            </button>
          </p>
        ) : (
          <PatientPicker onPick={setPatient} />
        )}
        {patient && waitlist.data && waitlist.data.waitlist.length > 0 && (
          <>
            <h3 id="waitlist">On the waitlist</h3>
            <ul aria-labelledby="waitlist">
              {waitlist.data.waitlist.map((w) => (
                <li key={w.id}>
                  {options.data?.appointmentTypes.find((t) => t.id === w.appointmentTypeId)?.name ?? "Visit"}
                  {w.providerId ? ` with ${options.data?.providers.find((p) => p.id === w.providerId)?.displayName ?? "one provider"}` : " with any provider"}
                  , an opening {until(w.wantedBefore, tz)} · {w.status === "NOTIFIED" ? "told of an opening" : "waiting"}
                </li>
              ))}
            </ul>
          </>
        )}
      </section>
      {patient && (
        <section aria-labelledby="what">
          <h2 id="what">2. Visit</h2>
          {options.error && <ErrorState problem={problemOf(options.error)} />}
          {options.fetching && !options.data && <LoadingState label="Loading visit types" rows={2} />}
          {options.data && options.data.appointmentTypes.length === 0 && (
            <EmptyState title="This practice has no visit types yet.">A practice admin adds them in Set-up.</EmptyState>
          )}
          {options.data && options.data.appointmentTypes.length > 0 && (
            <div className="row">
              <label className="stack">
                Visit type
                <select value={typeId} onChange={(e) => (setTypeId(e.target.value), setSlot(null), setJoined(null))}>
                  <option value="">Choose…</option>
                  {options.data.appointmentTypes.map((t) => (
                    <option key={t.id} value={t.id}>
                      {t.name} ({t.durationMinutes} min)
                    </option>
                  ))}
                </select>
              </label>
              <label className="stack">
                Provider
                <select value={providerId} onChange={(e) => (setProviderId(e.target.value), setSlot(null), setJoined(null))}>
                  <option value="">First available</option>
                  {options.data.providers.map((p) => (
                    <option key={p.id} value={p.id}>
                      {p.displayName}
                    </option>
                  ))}
                </select>
              </label>
              <label className="stack">
                Day
                <input type="date" value={day} min={todayIn(tz)} onChange={(e) => e.target.value && (setDay(e.target.value), setSlot(null), setJoined(null))} />
              </label>
            </div>
          )}
        </section>
      )}
      {patient && typeId && (
        <section aria-labelledby="when">
          <h2 id="when">3. Time</h2>
          {slots.error && <ErrorState problem={problemOf(slots.error)} retry={() => reloadSlots({ requestPolicy: "network-only" })} />}
          {slots.fetching && <LoadingState label="Finding free times" rows={2} />}
          {freeTimes && freeTimes.availableSlots.length === 0 && (
            <>
              <EmptyState title={`No free time on ${formatDate(day)}.`}>Try another day or another provider, or add the patient to the waitlist.</EmptyState>
              {joined ? (
                <p className="notice" role="status">
                  {joined}
                </p>
              ) : (
                <button type="button" onClick={() => void joinWaitlist()} disabled={joining.fetching}>
                  Add to the waitlist
                </button>
              )}
            </>
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
      )}
      {patient && slot && type && (
        <form onSubmit={confirm} aria-labelledby="check">
          <h2 id="check">4. Check and book</h2>
          <dl className="facts">
            <dt>Patient</dt>
            <dd>{patient.name}</dd>
            <dt>Visit</dt>
            <dd>
              {type.name}, {type.durationMinutes} minutes
            </dd>
            <dt>When</dt>
            <dd>{formatDateTime(slot.start, tz)}</dd>
            <dt>With</dt>
            <dd>
              {slot.providerName}, {slot.locationName}
            </dd>
          </dl>
          <button type="submit" className="primary" disabled={booking.fetching}>
            Book this visit
          </button>
        </form>
      )}
    </>
  );
}

/** "by the end of <day>" when the wish ends at a local midnight, else "before <time>". */
function until(iso: string, timeZone: string): string {
  const [hour, minute] = new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
    .format(new Date(iso))
    .split(":");
  if (hour === "00" && minute === "00") {
    const day = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(Date.parse(iso) - 1));
    return `by the end of ${formatDate(day)}`;
  }
  return `before ${formatDateTime(iso, timeZone)}`;
}

function PatientPicker({ onPick }: { onPick: (p: Patient) => void }) {
  const [text, setText] = useState("");
  const [search, setSearch] = useState<string | null>(null);
  const [{ data, error, fetching }] = useQuery({ query: FindPatient, variables: { search }, pause: search === null });
  return (
    <>
      <form
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setSearch(text.trim() || null);
        }}
      >
        <label htmlFor="book-patient">Find the patient</label>
        <div className="row">
          <input id="book-patient" type="search" value={text} onChange={(e) => setText(e.target.value)} />
          <button type="submit">Search</button>
        </div>
      </form>
      {error && <ErrorState problem={problemOf(error)} />}
      {fetching && <LoadingState label="Searching" rows={2} />}
      {data && data.patients.nodes.length === 0 && <EmptyState title="No patient matches." />}
      <ul className="picker">
        {data?.patients.nodes.map((p) => (
          <li key={p.id}>
            <button type="button" onClick={() => onPick({ id: p.id, name: `${p.givenName} ${p.familyName}` })}>
              {p.familyName}, {p.givenName} · born {formatDate(p.birthDate)}
              {p.mrn ? ` · MRN ${p.mrn}` : ""}
            </button>
          </li>
        ))}
      </ul>
    </>
  );
}
