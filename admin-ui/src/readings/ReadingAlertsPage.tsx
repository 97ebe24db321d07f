// Home readings beyond a threshold, oldest first: each with the reading, what the patient was
// told, a link to the chart and Acknowledge. The list carries no names: staff open the chart.
import { useState } from "react";
import { Link } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import { EmptyState, ErrorState, LoadingState } from "../components/PageState";
import { formatDateTime, formatRelative } from "../components/format";
import { roleOf, useConsole } from "../app/session";
import { chartPath } from "../chart/routes";
import { kindWords, readingWords } from "./words";

const AlertsQuery = graphql(`
  query ReadingAlerts {
    readingAlerts(first: 100) {
      id
      patientId
      instruction
      createdAt
      reading {
        kind
        value
        diastolic
        unit
        takenAt
      }
    }
  }
`);

const Acknowledge = graphql(`
  mutation AcknowledgeReadingAlert($id: ID!) {
    acknowledgeReadingAlert(id: $id) {
      alert {
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

export default function ReadingAlertsPage() {
  const { me } = useConsole();
  const zone = me.tenant.timeZone;
  const [{ data, error, fetching }, reload] = useQuery({ query: AlertsQuery });
  const refresh = () => reload({ requestPolicy: "network-only" });
  const [, acknowledge] = useMutation(Acknowledge);
  const [done, setDone] = useState<string | null>(null);
  const [failure, setFailure] = useState<ReturnType<typeof problemOf> | null>(null);
  const alerts = data?.readingAlerts ?? [];

  const onAcknowledge = async (id: string) => {
    setFailure(null);
    const result = await acknowledge({ id });
    if (result.error || !result.data?.acknowledgeReadingAlert.alert) {
      setFailure(problemOf(result.error));
      return;
    }
    setDone("Alert acknowledged.");
    refresh();
  };

  return (
    <>
      <h1>Reading alerts</h1>
      <p className="muted">
        Home readings beyond the practice's or the patient's threshold, oldest first.
        {(roleOf(me) === "practice_admin" || roleOf(me) === "provider") && (
          <>
            {" "}
            <Link to="/reading-thresholds">Change the practice’s thresholds</Link>
          </>
        )}
      </p>
      {done && (
        <p className="notice" role="status">
          {done}
        </p>
      )}
      {failure && <ErrorState problem={failure} />}
      {error && !data && <ErrorState problem={problemOf(error)} retry={refresh} />}
      {fetching && !data && <LoadingState label="Loading reading alerts" />}
      {data && alerts.length === 0 && <EmptyState title="No reading alerts are open.">A home reading beyond a threshold appears here.</EmptyState>}
      <ul className="cards">
        {alerts.map((a) => (
          <li key={a.id} className="card">
            <h2>{a.reading ? `${kindWords(a.reading.kind)}: ${readingWords(a.reading)}` : "Home reading"}</h2>
            {a.reading && <p className="muted">Taken {formatDateTime(a.reading.takenAt, zone)} · alert {formatRelative(a.createdAt)}</p>}
            <p>The patient was told: “{a.instruction}”</p>
            <div className="row-actions">
              <Link to={chartPath(a.patientId)}>Open the chart</Link>
              <button type="button" className="button" onClick={() => onAcknowledge(a.id)}>
                Acknowledge
              </button>
            </div>
          </li>
        ))}
      </ul>
    </>
  );
}
