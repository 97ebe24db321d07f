// One patient's chart for the practice: who they are and how to reach them, then their
// results (flags in words), medications, allergies, problems, immunizations and visits. A
// restricted chart asks for a reason first (break-glass); staff record a new result here.
import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link, useParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import { EmptyState, ErrorState, ErrorSummary, Field, LoadingState } from "../components/PageState";
import { formatDate, formatDateTime, todayIn } from "../components/format";
import { problemsFrom, useOnce, zonedInstant } from "../practice/shared";
import { roleOf, useConsole } from "../app/session";
import { RestrictionForm } from "./RestrictionForm";
import { ChartForms } from "./ChartForms";
import { ChartReadings } from "../readings/ChartReadings";
import { flagWords, rangeWords, valueWords } from "./results";
import "./chart.css";

const ChartQuery = graphql(`
  query Chart($id: ID!) {
    patient(id: $id) {
      id
      mrn
      givenName
      familyName
      birthDate
      gender
      email
      phone
      addressLine
      city
      region
      postalCode
      country
      preferredLanguage
      preferredPharmacy
      restriction {
        category
        careTeamUserIds
      }
      results(first: 50) {
        nodes {
          id
          status
          code
          display
          value
          unit
          valueText
          rangeLow
          rangeHigh
          rangeText
          interpretation
          effectiveAt
          components {
            code
            display
            value
            unit
          }
        }
      }
      medications(first: 50) {
        nodes {
          id
          status
          name
          dosage
          refillsLeft
          prescriberName
          lastFilledOn
        }
      }
      allergies(first: 50) {
        nodes {
          id
          status
          substance
          reaction
          severity
          recordedOn
        }
      }
      problems(first: 50) {
        nodes {
          id
          status
          name
          onsetOn
          abatedOn
        }
      }
      immunizations(first: 50) {
        nodes {
          id
          status
          vaccineName
          occurredOn
          nextDueOn
        }
      }
    }
    appointments(patientId: $id, first: 20) {
      id
      start
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
      }
    }
  }
`);

const BreakGlass = graphql(`
  mutation ChartBreakGlass($input: BreakGlassInput!) {
    breakGlass(input: $input) {
      access {
        id
        expiresAt
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const RecordResult = graphql(`
  mutation ChartRecordResult($input: RecordObservationInput!) {
    recordObservation(input: $input) {
      observation {
        id
        display
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

/** The API's shortest break-glass reason (BreakGlassInput.reason), in characters. */
const MIN_REASON = 15;

const RESTRICTION: Record<string, string> = {
  staff: "a colleague",
  vip: "VIP",
  behavioral_health: "behavioural health",
  other: "other reason",
};

const STATUS_WORDS: Record<string, string> = {
  preliminary: "Preliminary",
  final: "Final",
  amended: "Amended",
  corrected: "Corrected",
  "entered-in-error": "Entered in error",
  active: "Active",
  "on-hold": "On hold",
  cancelled: "Cancelled",
  completed: "Completed",
  stopped: "Stopped",
  inactive: "Inactive",
  resolved: "Resolved",
  refuted: "Ruled out",
  recurrence: "Recurred",
  relapse: "Relapsed",
  remission: "In remission",
  "not-done": "Not given",
};
const words = (status: string) => STATUS_WORDS[status] ?? status;

export default function ChartPage() {
  const { patientId = "" } = useParams();
  const { me } = useConsole();
  const zone = me.tenant.timeZone;
  const [{ data, error, fetching }, reload] = useQuery({ query: ChartQuery, variables: { id: patientId } });
  const refresh = () => reload({ requestPolicy: "network-only" });
  const [opened, setOpened] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const loaded = Boolean(data);
  // Once the glass is broken and the chart arrives, the focus goes to its heading.
  useEffect(() => {
    if (opened && loaded) heading.current?.focus();
  }, [opened, loaded]);

  if (error && !data) {
    const problem = problemOf(error);
    if (problem.code === "BREAK_GLASS_REQUIRED") {
      return (
        <BreakGlassForm
          patientId={patientId}
          onOpened={(until) => {
            setOpened(until);
            refresh();
          }}
        />
      );
    }
    return (
      <>
        <p>
          <Link to="/patients">Back to patients</Link>
        </p>
        <h1>Patient chart</h1>
        <ErrorState problem={problem} retry={refresh} />
      </>
    );
  }
  if (!data) {
    // The heading sits where the chart's own will be, so the focus Shell gives it stays.
    return (
      <>
        <p>
          <Link to="/patients">Back to patients</Link>
        </p>
        <h1>Patient chart</h1>
        {fetching && <LoadingState label="Opening the chart" rows={6} />}
      </>
    );
  }

  const p = data.patient;
  const name = `${p.givenName} ${p.familyName}`;
  const address = [p.addressLine, [p.city, p.region, p.postalCode].filter(Boolean).join(" "), p.country].filter(Boolean).join(", ");
  const results = p.results.nodes;
  return (
    <>
      <p>
        <Link to="/patients">Back to patients</Link>
      </p>
      <h1 ref={heading} tabIndex={-1}>
        {name}
      </h1>
      {opened && (
        <p className="notice" role="status">
          The chart is open to you until {formatDateTime(opened, zone)}. Your access is recorded and a practice admin will review it.
        </p>
      )}
      {p.restriction && (
        <p className="banner banner-warning">
          Restricted chart: {RESTRICTION[p.restriction.category] ?? "other reason"}. Open it only when the patient's care needs it.
        </p>
      )}
      <section aria-labelledby="about-title" className="chart-section">
        <h2 id="about-title">About the patient</h2>
        <dl className="facts">
          <dt>Date of birth</dt>
          <dd>{formatDate(p.birthDate)}</dd>
          <dt>Sex</dt>
          <dd>{{ female: "Female", male: "Male", other: "Other", unknown: "Unknown" }[p.gender] ?? p.gender}</dd>
          <dt>MRN</dt>
          <dd>{p.mrn ?? "—"}</dd>
          <dt>Phone</dt>
          <dd>{p.phone ?? "—"}</dd>
          <dt>Email</dt>
          <dd>{p.email ?? "—"}</dd>
          <dt>Address</dt>
          <dd>{address || "—"}</dd>
          <dt>Language</dt>
          <dd>{p.preferredLanguage ? languageName(p.preferredLanguage) : "—"}</dd>
          <dt>Pharmacy</dt>
          <dd>{p.preferredPharmacy ?? "—"}</dd>
        </dl>
      </section>

      <section aria-labelledby="results-title" className="chart-section">
        <h2 id="results-title">Results</h2>
        {results.length === 0 ? (
          <EmptyState title="No results yet.">Record one with the form below.</EmptyState>
        ) : (
          <table className="data-table">
            <caption className="visually-hidden">Results, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Test</th>
                <th scope="col">Result</th>
                <th scope="col">Normal range</th>
                <th scope="col">Flag</th>
                <th scope="col">Taken</th>
              </tr>
            </thead>
            <tbody>
              {results.map((r) => {
                const flag = flagWords(r.interpretation);
                return (
                  <tr key={r.id}>
                    <th scope="row">
                      {r.display}
                      {r.status !== "final" && <span className="tag tag-muted">{words(r.status)}</span>}
                    </th>
                    <td>{valueWords(r)}</td>
                    <td>{rangeWords(r)}</td>
                    <td>{flag ? <span className={flag.abnormal ? "tag tag-danger flag" : "tag tag-ok flag"}>{flag.text}</span> : <span className="muted">None</span>}</td>
                    <td>{formatDateTime(r.effectiveAt, zone)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        <RecordResultForm patientId={p.id} timeZone={zone} onRecorded={refresh} />
      </section>

      <ChartReadings patientId={p.id} timeZone={zone} />

      <section aria-labelledby="medications-title" className="chart-section">
        <h2 id="medications-title">Medications</h2>
        {p.medications.nodes.length === 0 ? (
          <EmptyState title="No medications recorded." />
        ) : (
          <table className="data-table">
            <caption className="visually-hidden">Medications</caption>
            <thead>
              <tr>
                <th scope="col">Medication</th>
                <th scope="col">How to take it</th>
                <th scope="col">Status</th>
                <th scope="col">Refills left</th>
                <th scope="col">Prescriber</th>
              </tr>
            </thead>
            <tbody>
              {p.medications.nodes.map((m) => (
                <tr key={m.id}>
                  <th scope="row">{m.name}</th>
                  <td>{m.dosage}</td>
                  <td>{words(m.status)}</td>
                  <td>{m.refillsLeft}</td>
                  <td>{m.prescriberName ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section aria-labelledby="allergies-title" className="chart-section">
        <h2 id="allergies-title">Allergies</h2>
        {p.allergies.nodes.length === 0 ? (
          <EmptyState title="No allergies recorded." />
        ) : (
          <table className="data-table">
            <caption className="visually-hidden">Allergies</caption>
            <thead>
              <tr>
                <th scope="col">Substance</th>
                <th scope="col">Reaction</th>
                <th scope="col">Severity</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {p.allergies.nodes.map((a) => (
                <tr key={a.id}>
                  <th scope="row">{a.substance}</th>
                  <td>{a.reaction ?? "—"}</td>
                  <td>{a.severity ? capitalise(a.severity) : "—"}</td>
                  <td>{words(a.status)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section aria-labelledby="problems-title" className="chart-section">
        <h2 id="problems-title">Problems</h2>
        {p.problems.nodes.length === 0 ? (
          <EmptyState title="No problems recorded." />
        ) : (
          <table className="data-table">
            <caption className="visually-hidden">Problem list</caption>
            <thead>
              <tr>
                <th scope="col">Problem</th>
                <th scope="col">Status</th>
                <th scope="col">Since</th>
              </tr>
            </thead>
            <tbody>
              {p.problems.nodes.map((c) => (
                <tr key={c.id}>
                  <th scope="row">{c.name}</th>
                  <td>{words(c.status)}</td>
                  <td>{c.onsetOn ? formatDate(c.onsetOn) : "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section aria-labelledby="immunizations-title" className="chart-section">
        <h2 id="immunizations-title">Immunizations</h2>
        {p.immunizations.nodes.length === 0 ? (
          <EmptyState title="No immunizations recorded." />
        ) : (
          <table className="data-table">
            <caption className="visually-hidden">Immunizations</caption>
            <thead>
              <tr>
                <th scope="col">Vaccine</th>
                <th scope="col">Given</th>
                <th scope="col">Next due</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {p.immunizations.nodes.map((i) => (
                <tr key={i.id}>
                  <th scope="row">{i.vaccineName}</th>
                  <td>{formatDate(i.occurredOn)}</td>
                  <td>{i.nextDueOn ? formatDate(i.nextDueOn) : "—"}</td>
                  <td>{words(i.status)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section aria-labelledby="visits-title" className="chart-section">
        <h2 id="visits-title">Upcoming visits</h2>
        {data.appointments.length === 0 ? (
          <EmptyState title="No visits booked." />
        ) : (
          <table className="data-table">
            <caption className="visually-hidden">Upcoming visits, soonest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Visit</th>
                <th scope="col">With</th>
                <th scope="col">Where</th>
              </tr>
            </thead>
            <tbody>
              {data.appointments.map((a) => (
                <tr key={a.id}>
                  <th scope="row">{formatDateTime(a.start, zone)}</th>
                  <td>{a.appointmentType?.name ?? "Visit"}</td>
                  <td>{a.provider?.displayName ?? "—"}</td>
                  <td>{a.location?.name ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <p>
          <Link className="button" to={`/schedule/book?patient=${encodeURIComponent(p.id)}`} state={{ name }}>
            Book a visit for {name}
          </Link>
        </p>
      </section>

      <ChartForms patientId={p.id} zone={zone} />

      {roleOf(me) === "practice_admin" && (
        <section aria-labelledby="access-title" className="chart-section">
          <h2 id="access-title">Access</h2>
          <RestrictionForm patientId={p.id} name={name} current={p.restriction} onSaved={refresh} />
        </section>
      )}
    </>
  );
}

/** A restricted chart: the reason first, recorded and reviewed. */
function BreakGlassForm({ patientId, onOpened }: { patientId: string; onOpened: (until: string) => void }) {
  const [reason, setReason] = useState("");
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [, breakGlass] = useMutation(BreakGlass);
  const [pending, once] = useOnce();
  const tooShort = `Give a reason of at least ${MIN_REASON} characters: a few words a reviewer will understand, for example "Patient at the desk asking about today's results".`;

  function submit(event: FormEvent) {
    event.preventDefault();
    void once(async () => {
      const text = reason.trim();
      if (!text) return setProblems({ reason: "Give the reason you need this chart now." });
      if ([...text].length < MIN_REASON) return setProblems({ reason: tooShort });
      setProblems({});
      const result = await breakGlass({ input: { patientId, reason: text } });
      if (result.error) return setProblems({ _: problemOf(result.error).sentence });
      const payload = result.data?.breakGlass;
      if (payload?.userErrors.length) {
        return setProblems(
          problemsFrom(payload.userErrors, {
            "reason:REASON_TOO_SHORT": tooShort,
            "reason:REASON_TOO_LONG": "Keep the reason under 1,000 characters.",
            "patientId:BREAK_GLASS_NOT_NEEDED": "You may already open this chart. Reload the page.",
          }),
        );
      }
      if (payload?.access) onOpened(payload.access.expiresAt);
    });
  }

  return (
    <>
      <p>
        <Link to="/patients">Back to patients</Link>
      </p>
      <h1>This chart is restricted</h1>
      <p>Only the patient's care team opens it without a reason. If the patient's care needs it now, say why and the chart opens to you for a limited time.</p>
      <form onSubmit={submit} noValidate className="form practice-form" aria-labelledby="break-glass-title">
        <h2 id="break-glass-title">Open the chart</h2>
        <ErrorSummary problems={problems} labels={{ reason: "Reason" }} />
        <Field
          name="reason"
          label="Reason"
          hint={`Why you need this chart now, in at least ${MIN_REASON} characters.`}
          error={problems.reason}
        >
          {(props) => <textarea {...props} rows={3} value={reason} onChange={(e) => setReason(e.target.value)} />}
        </Field>
        <p>
          <strong>Your access is recorded.</strong> A practice admin reviews every opening of a restricted chart, with the reason you give.
        </p>
        <button type="submit" className="primary" disabled={pending}>
          Open the chart
        </button>
      </form>
    </>
  );
}

const RESULT_LABELS: Record<string, string> = {
  display: "Test",
  code: "LOINC code",
  value: "Value",
  unit: "Unit",
  rangeLow: "Range low",
  rangeHigh: "Range high",
  interpretation: "Flag",
  status: "Status",
  effectiveAt: "Date taken",
};

const RESULT_SENTENCES: Record<string, string> = {
  "code:INVALID_CODE": "Enter the test's LOINC code, for example 2345-7.",
  "value:INVALID_VALUE": "Enter the result as a number, for example 5.4.",
  "unit:INVALID_VALUE": "A unit goes with a number: enter the value too.",
  "rangeLow:INVALID_RANGE": "The low end of the range must not be above the high end.",
  "effectiveAt:INVALID_DATE": "The date taken cannot be in the future.",
};

interface ResultForm {
  display: string;
  code: string;
  value: string;
  unit: string;
  rangeLow: string;
  rangeHigh: string;
  interpretation: string;
  status: string;
  date: string;
  time: string;
}

/** Records a new numeric result (a laboratory result) on the chart. */
function RecordResultForm({ patientId, timeZone, onRecorded }: { patientId: string; timeZone: string; onRecorded: () => void }) {
  const [open, setOpen] = useState(false);
  const empty = (): ResultForm => ({
    display: "",
    code: "",
    value: "",
    unit: "",
    rangeLow: "",
    rangeHigh: "",
    interpretation: "",
    status: "final",
    date: todayIn(timeZone),
    time: "",
  });
  const [form, setForm] = useState<ResultForm>(empty);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string | null>(null);
  const [, record] = useMutation(RecordResult);
  const [pending, once] = useOnce();
  const title = useRef<HTMLHeadingElement>(null);
  const set = (key: keyof ResultForm) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [key]: e.target.value }));
  const number = (text: string) => (text.trim() === "" ? null : Number(text.trim().replace(",", ".")));

  function submit(event: FormEvent) {
    event.preventDefault();
    void once(async () => {
      setSaved(null);
      const missing: Record<string, string> = {};
      if (!form.display.trim()) missing.display = "Enter the test's name, for example Glucose.";
      if (!form.code.trim()) missing.code = "Enter the test's LOINC code, for example 2345-7.";
      const value = number(form.value);
      if (value === null || !Number.isFinite(value)) missing.value = "Enter the result as a number, for example 5.4.";
      const low = number(form.rangeLow);
      const high = number(form.rangeHigh);
      if (low !== null && !Number.isFinite(low)) missing.rangeLow = "Enter the low end as a number, or leave it empty.";
      if (high !== null && !Number.isFinite(high)) missing.rangeHigh = "Enter the high end as a number, or leave it empty.";
      if (!form.date) missing.effectiveAt = "Enter the date the sample was taken.";
      setProblems(missing);
      if (Object.keys(missing).length) return;
      const result = await record({
        input: {
          patientId,
          status: form.status,
          code: form.code.trim(),
          display: form.display.trim(),
          value,
          unit: form.unit.trim() || null,
          rangeLow: low,
          rangeHigh: high,
          interpretation: form.interpretation || null,
          effectiveAt: takenAt(form.date, form.time, timeZone),
        },
      });
      if (result.error) return setProblems({ _: problemOf(result.error).sentence });
      const payload = result.data?.recordObservation;
      if (payload?.userErrors.length) return setProblems(problemsFrom(payload.userErrors, RESULT_SENTENCES));
      if (payload?.observation) {
        setSaved(payload.observation.display);
        setForm(empty());
        onRecorded();
      }
    });
  }

  if (!open) {
    return (
      <p className="record-open">
        <button
          type="button"
          aria-expanded="false"
          onClick={() => {
            setOpen(true);
            requestAnimationFrame(() => title.current?.focus());
          }}
        >
          Record a result
        </button>
      </p>
    );
  }
  return (
    <form onSubmit={submit} noValidate className="form practice-form record-form" aria-labelledby="record-title">
      <h3 id="record-title" ref={title} tabIndex={-1}>
        Record a result
      </h3>
      {saved && (
        <p className="notice" role="status">
          {saved} is recorded on the chart.
        </p>
      )}
      <ErrorSummary problems={problems} labels={RESULT_LABELS} />
      <div className="field-grid">
        <Field name="display" label={RESULT_LABELS.display!} hint="As the lab names it, for example Glucose." error={problems.display}>
          {(p) => <input {...p} value={form.display} onChange={set("display")} autoComplete="off" />}
        </Field>
        <Field name="code" label={RESULT_LABELS.code!} hint="For example 2345-7 for glucose." error={problems.code}>
          {(p) => <input {...p} value={form.code} onChange={set("code")} autoComplete="off" />}
        </Field>
        <Field name="value" label={RESULT_LABELS.value!} error={problems.value}>
          {(p) => <input {...p} className="number" inputMode="decimal" value={form.value} onChange={set("value")} autoComplete="off" />}
        </Field>
        <Field name="unit" label={`${RESULT_LABELS.unit} (optional)`} hint="For example mg/dL." error={problems.unit}>
          {(p) => <input {...p} className="number" value={form.unit} onChange={set("unit")} autoComplete="off" />}
        </Field>
        <Field name="rangeLow" label={`${RESULT_LABELS.rangeLow} (optional)`} error={problems.rangeLow}>
          {(p) => <input {...p} className="number" inputMode="decimal" value={form.rangeLow} onChange={set("rangeLow")} autoComplete="off" />}
        </Field>
        <Field name="rangeHigh" label={`${RESULT_LABELS.rangeHigh} (optional)`} error={problems.rangeHigh}>
          {(p) => <input {...p} className="number" inputMode="decimal" value={form.rangeHigh} onChange={set("rangeHigh")} autoComplete="off" />}
        </Field>
        <Field name="interpretation" label={`${RESULT_LABELS.interpretation} (optional)`} error={problems.interpretation}>
          {(p) => (
            <select {...p} value={form.interpretation} onChange={set("interpretation")}>
              <option value="">No flag</option>
              <option value="N">Normal</option>
              <option value="H">High</option>
              <option value="L">Low</option>
              <option value="HH">Critically high</option>
              <option value="LL">Critically low</option>
              <option value="A">Abnormal</option>
              <option value="AA">Critically abnormal</option>
            </select>
          )}
        </Field>
        <Field name="status" label={RESULT_LABELS.status!} error={problems.status}>
          {(p) => (
            <select {...p} value={form.status} onChange={set("status")}>
              <option value="final">Final</option>
              <option value="preliminary">Preliminary</option>
            </select>
          )}
        </Field>
        <Field name="effectiveAt" label={RESULT_LABELS.effectiveAt!} error={problems.effectiveAt}>
          {(p) => <input {...p} type="date" className="date" value={form.date} onChange={set("date")} />}
        </Field>
        <Field name="time" label="Time taken (optional)" hint="Left empty: now for today, midday for an earlier day." error={problems.time}>
          {(p) => <input {...p} type="time" className="time" value={form.time} onChange={set("time")} />}
        </Field>
      </div>
      <div className="actions">
        <button type="submit" className="primary" disabled={pending}>
          Record result
        </button>
        <button type="button" onClick={() => (setOpen(false), setProblems({}), setSaved(null))}>
          Close
        </button>
      </div>
    </form>
  );
}

/** When the sample was taken: the time given, else now (today) or midday (an earlier day). */
function takenAt(date: string, time: string, timeZone: string): string {
  if (time) return zonedInstant(date, time, timeZone);
  if (date === todayIn(timeZone)) return new Date().toISOString();
  return zonedInstant(date, "12:00", timeZone);
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function languageName(tag: string): string {
  try {
    return new Intl.DisplayNames(undefined, { type: "language" }).of(tag) ?? tag;
  } catch {
    return tag;
  }
}
