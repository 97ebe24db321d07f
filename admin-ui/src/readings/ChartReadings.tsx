// The chart's home readings, for staff: what the patient (or their caregiver) recorded,
// newest first, marked patient-reported, with the alerts they opened.
import { useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import { EmptyState, ErrorState, LoadingState } from "../components/PageState";
import { formatDateTime } from "../components/format";
import { kindWords, readingWords } from "./words";

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
    </section>
  );
}
