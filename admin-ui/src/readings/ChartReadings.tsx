// The chart's home readings, for staff: what the patient (or their caregiver) recorded,
// newest first, marked patient-reported, with the alerts they opened, and the patient's own
// thresholds (read only; they replace the practice's for their reading).
import { useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import { EmptyState, ErrorState, LoadingState } from "../components/PageState";
import { formatDateTime } from "../components/format";
import { kindWords, readingWords } from "./words";
import { MEASURES, limitsWords, measureKey, measureWords, unitWords } from "./thresholdWords";

const ChartReadingsQuery = graphql(`
  query ChartHomeReadings($id: ID!) {
    homeReadings(patientId: $id) {
      readings {
        id
        kind
        value
        diastolic
        unit
        takenAt
        recordedByProxy
        alertStatus
      }
    }
  }
`);

const PatientThresholdsQuery = graphql(`
  query ChartReadingThresholds($id: ID!) {
    readingThresholds(patientId: $id) {
      id
      kind
      measure
      low
      high
      instruction
    }
  }
`);

/** The patient's own thresholds; nothing when they cannot be read (the readings still show). */
function PatientThresholds({ patientId }: { patientId: string }) {
  const [{ data }] = useQuery({ query: PatientThresholdsQuery, variables: { id: patientId } });
  if (!data) return null;
  const order = (t: { kind: string; measure: string }) => MEASURES.findIndex((m) => measureKey(m) === measureKey(t));
  const own = [...data.readingThresholds].sort((a, b) => order(a) - order(b));
  if (own.length === 0) return <p className="muted own-thresholds">The practice’s reading thresholds apply: this patient has none of their own.</p>;
  return (
    <div className="own-thresholds">
      <h3>This patient’s own thresholds</h3>
      <p className="muted">They replace the practice’s for their reading.</p>
      <ul>
        {own.map((t) => (
          <li key={t.id}>
            {measureWords(t)} ({unitWords(t.kind)}): alert {limitsWords(t)}. The patient is told: “{t.instruction}”
          </li>
        ))}
      </ul>
    </div>
  );
}

export function ChartReadings({ patientId, timeZone }: { patientId: string; timeZone: string }) {
  const [{ data, error, fetching }, reload] = useQuery({ query: ChartReadingsQuery, variables: { id: patientId } });
  const readings = [...(data?.homeReadings.readings ?? [])].reverse();
  return (
    <section aria-labelledby="readings-title" className="chart-section">
      <h2 id="readings-title">Home readings</h2>
      {error && !data && <ErrorState problem={problemOf(error)} retry={() => reload({ requestPolicy: "network-only" })} />}
      {fetching && !data && <LoadingState label="Loading home readings" />}
      {data && readings.length === 0 && <EmptyState title="No home readings.">Readings the patient records in the portal appear here.</EmptyState>}
      {readings.length > 0 && (
        <table className="data-table">
          <caption className="visually-hidden">Home readings, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Reading</th>
              <th scope="col">Value</th>
              <th scope="col">Source</th>
              <th scope="col">Threshold</th>
              <th scope="col">Taken</th>
            </tr>
          </thead>
          <tbody>
            {readings.map((r) => (
              <tr key={r.id}>
                <th scope="row">{kindWords(r.kind)}</th>
                <td>{readingWords(r)}</td>
                <td>
                  <span className="tag tag-muted">Patient-reported</span>
                  {r.recordedByProxy && " by a caregiver"}
                </td>
                <td>
                  {r.alertStatus ? (
                    <span className="tag tag-danger">{r.alertStatus === "open" ? "Beyond: alert open" : "Beyond: acknowledged"}</span>
                  ) : (
                    <span className="muted">Within</span>
                  )}
                </td>
                <td>{formatDateTime(r.takenAt, timeZone)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <PatientThresholds patientId={patientId} />
    </section>
  );
}
