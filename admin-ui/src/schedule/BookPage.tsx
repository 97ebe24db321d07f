// Book a visit for a patient, in four short steps on one page: who, what, when, check. A
// slot taken meanwhile sends the person back to the times with the reason, keeping the rest.
import { useState, type FormEvent } from "react";
import { Link, useLocation, useSearchParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { fieldProblems, graphql, problemOf } from "@portico/client";
import { EmptyState, ErrorState, ErrorSummary, LoadingState } from "../components/PageState";
import { formatDate, formatDateTime, formatTime, todayIn } from "../components/format";
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
                <select value={typeId} onChange={(e) => (setTypeId(e.target.value), setSlot(null))}>
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
                <select value={providerId} onChange={(e) => (setProviderId(e.target.value), setSlot(null))}>
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
                <input type="date" value={day} min={todayIn(tz)} onChange={(e) => e.target.value && (setDay(e.target.value), setSlot(null))} />
              </label>
            </div>
          )}
        </section>
      )}
      {patient && typeId && (
        <section aria-labelledby="when">
          <h2 id="when">3. Time</h2>
          {slots.error && <ErrorState problem={problemOf(slots.error)} retry={() => reloadSlots({ requestPolicy: "network-only" })} />}
          {slots.fetching && !slots.data && <LoadingState label="Finding free times" rows={2} />}
          {slots.data && slots.data.availableSlots.length === 0 && (
            <EmptyState title={`No free time on ${formatDate(day)}.`}>Try another day or another provider.</EmptyState>
          )}
          <ul className="slots" aria-label={`Free times on ${formatDate(day)}`}>
            {slots.data?.availableSlots.map((s) => {
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
