// The practice's audit log (practice admins): who did what, when, to which record; searched by
// dates in the practice's time zone, by person and by patient, and exported as CSV. The export
// arrives as text and is downloaded from memory, so nothing about patients goes into a URL.
import { useEffect, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useClient, useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import { EmptyState, ErrorState, ErrorSummary, Field, LoadingState } from "../components/PageState";
import { formatDateTime, todayIn, zonedDayRange } from "../components/format";
import { useOnce } from "../practice/shared";
import { useConsole } from "../app/session";
import { chartPath } from "../chart/routes";
import { actionWords, resourceWords } from "./words";
import "../chart/chart.css";

const StaffQuery = graphql(`
  query AuditStaff {
    staffMembers {
      id
      displayName
      role
    }
  }
`);

const EventsQuery = graphql(`
  query AuditEvents($from: DateTime, $to: DateTime, $userId: ID, $patientId: ID) {
    auditEvents(from: $from, to: $to, userId: $userId, patientId: $patientId, first: 200) {
      id
      seq
      at
      actorKind
      actorName
      actorRole
      action
      resourceType
      resourceId
      patientId
      breakGlassId
    }
  }
`);

const ExportQuery = graphql(`
  query AuditExport($from: DateTime!, $to: DateTime!, $userId: ID, $patientId: ID) {
    auditExport(from: $from, to: $to, userId: $userId, patientId: $patientId) {
      csv
      rows
      truncated
    }
  }
`);

const LABELS: Record<string, string> = { from: "From", to: "To", userId: "Person", patientId: "Patient id" };

interface Filters {
  from: string;
  to: string;
  userId: string;
  patientId: string;
}

function daysBefore(isoDate: string, days: number): string {
  return new Date(Date.parse(`${isoDate}T00:00:00Z`) - days * 86_400_000).toISOString().slice(0, 10);
}

export default function AuditPage() {
  const { me } = useConsole();
  const zone = me.tenant.timeZone;
  const today = todayIn(zone);
  const [form, setForm] = useState<Filters>({ from: daysBefore(today, 6), to: today, userId: "", patientId: "" });
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [search, setSearch] = useState<{ from: string; to: string; userId: string | null; patientId: string | null } | null>(() => range(form, zone));
  const [staff] = useQuery({ query: StaffQuery });
  const [{ data, error, fetching }, reload] = useQuery({ query: EventsQuery, variables: search ?? {}, pause: !search, requestPolicy: "network-only" });
  const refresh = () => reload({ requestPolicy: "network-only" });
  const client = useClient();
  const [exporting, once] = useOnce();
  const [download, setDownload] = useState<{ url: string; name: string; rows: number; truncated: boolean } | null>(null);

  // The download link's memory is given back when it is replaced or the page closes.
  useEffect(() => () => void (download && URL.revokeObjectURL(download.url)), [download]);

  const set = (key: keyof Filters) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [key]: e.target.value }));

  function check(): Record<string, string> {
    const found: Record<string, string> = {};
    if (!form.from) found.from = "Enter the first day to search.";
    if (!form.to) found.to = "Enter the last day to search.";
    if (form.from && form.to && form.from > form.to) found.to = "The last day must be on or after the first day.";
    return found;
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const found = check();
    setProblems(found);
    if (Object.keys(found).length) return;
    setDownload(null);
    setSearch(range(form, zone));
  }

  function exportCsv() {
    void once(async () => {
      const found = check();
      setProblems(found);
      if (Object.keys(found).length) return;
      const variables = range(form, zone);
      const result = await client.query(ExportQuery, variables, { requestPolicy: "network-only" }).toPromise();
      if (result.error) return setProblems({ _: problemOf(result.error).sentence });
      const exported = result.data?.auditExport;
      if (!exported) return;
      const url = URL.createObjectURL(new Blob([exported.csv], { type: "text/csv;charset=utf-8" }));
      setDownload({ url, name: `audit-${form.from}-to-${form.to}.csv`, rows: exported.rows, truncated: exported.truncated });
    });
  }

  // An id the API cannot read comes back naming its field: shown on that field, not as a failure.
  const refused = error && !data ? error.graphQLErrors[0]?.extensions : undefined;
  const refusedField = typeof refused?.field === "string" && refused.field in LABELS ? refused.field : null;
  const shown =
    refusedField && !problems[refusedField]
      ? { ...problems, [refusedField]: refusedField === "patientId" ? "Enter the patient id as it appears in the chart's address, after /patients/." : "Choose a person from the list." }
      : problems;

  const events = data?.auditEvents ?? [];
  const people = staff.data?.staffMembers ?? [];
  return (
    <>
      <h1>Audit log</h1>
      <p>Everything done in the practice's records, by whom and when. Times are in the practice's time zone ({zone}).</p>
      <form onSubmit={submit} noValidate className="form audit-form" role="search" aria-label="Search the audit log">
        <ErrorSummary problems={shown} labels={LABELS} />
        <div className="audit-filters">
          <Field name="from" label={LABELS.from!} error={shown.from}>
            {(p) => <input {...p} type="date" className="date" value={form.from} onChange={set("from")} />}
          </Field>
          <Field name="to" label={LABELS.to!} error={shown.to}>
            {(p) => <input {...p} type="date" className="date" value={form.to} onChange={set("to")} />}
          </Field>
          <Field name="userId" label={LABELS.userId!} error={shown.userId}>
            {(p) => (
              <select {...p} value={form.userId} onChange={set("userId")}>
                <option value="">Everyone</option>
                {people.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.displayName}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field name="patientId" label={`${LABELS.patientId} (optional)`} hint="From the chart's address." error={shown.patientId}>
            {(p) => <input {...p} value={form.patientId} onChange={set("patientId")} autoComplete="off" spellCheck={false} />}
          </Field>
        </div>
        <div className="actions">
          <button type="submit" className="primary">
            Search
          </button>
          <button type="button" onClick={exportCsv} disabled={exporting}>
            Export as CSV
          </button>
        </div>
      </form>
      {download && (
        <div className="download-row" role="status">
          <span>
            {download.rows === 1 ? "1 event is ready" : `${new Intl.NumberFormat().format(download.rows)} events are ready`}
            {download.truncated ? ". More events matched than one export holds: narrow the dates for the rest." : "."}
          </span>
          <a className="button" href={download.url} download={download.name}>
            Download the CSV
          </a>
        </div>
      )}
      {error && !data && !refusedField && <ErrorState problem={problemOf(error)} retry={refresh} />}
      {fetching && !data && <LoadingState label="Searching the audit log" rows={6} />}
      {data && events.length === 0 && (
        <EmptyState title="Nothing was recorded for that search.">Widen the dates, or choose Everyone and clear the patient id.</EmptyState>
      )}
      {events.length > 0 && (
        <table className="data-table">
          <caption className="visually-hidden">Audit events, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">What</th>
              <th scope="col">Record</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e) => (
              <tr key={e.id}>
                <td>{formatDateTime(e.at, zone)}</td>
                <td>
                  {e.actorName ?? (e.actorKind === "system" ? "Portico" : e.actorKind === "api_key" ? "An API key" : "Someone")}
                  {e.actorRole && <span className="muted"> · {roleWords(e.actorRole)}</span>}
                </td>
                <td>
                  {actionWords(e.action)}
                  {e.breakGlassId && <span className="tag tag-danger">Break-glass</span>}
                </td>
                <td>
                  {resourceWords(e.resourceType)}
                  {e.patientId && (
                    <>
                      {" · "}
                      <Link to={chartPath(e.patientId)}>Open the chart</Link>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {events.length === 200 && <p className="muted">Showing the newest 200 events. Narrow the search, or export the CSV for all of them.</p>}
    </>
  );
}

function range(form: Filters, zone: string) {
  return {
    from: zonedDayRange(form.from, zone).from,
    to: zonedDayRange(form.to, zone).to,
    userId: form.userId || null,
    patientId: form.patientId.trim() || null,
  };
}

function roleWords(role: string): string {
  return { practice_admin: "Practice admin", provider: "Provider", staff: "Staff", operator: "Operator", patient: "Patient" }[role] ?? role;
}
