// Import patients from a CSV file: choose the file, read its preview (each problem by row
// and field), import when nothing blocks it, follow the progress, then go to the list.
import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql, problemOf, sentenceFor, type Problem } from "@portico/client";
import type { ImportFieldsFragment } from "@portico/client/gql/graphql";
import { ErrorState, ErrorSummary } from "../components/PageState";
import { useConsole } from "../app/session";
import { MAX_BYTES, previewImport } from "./importUpload";

const Start = graphql(`
  mutation StartPatientImport($id: ID!) {
    startPatientImport(importId: $id) {
      patientImport {
        ...ImportFields
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const Status = graphql(`
  query PatientImportStatus($id: ID!) {
    patientImport(id: $id) {
      ...ImportFields
    }
  }
`);

/** How often the page looks at a running import. */
const POLL_MS = 1000;

const FIELD_NAMES: Record<string, string> = {
  givenName: "Given name",
  familyName: "Family name",
  birthDate: "Date of birth",
  sex: "Sex",
  mrn: "MRN",
  email: "Email",
  mobile: "Mobile",
  language: "Language",
  header: "Header",
  row: "Row",
};

const number = new Intl.NumberFormat();

export default function ImportPatientsPage() {
  const { session, me } = useConsole();
  const [file, setFile] = useState<File | null>(null);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<Problem | null>(null);
  const [uploading, setUploading] = useState(false);
  const [imported, setImported] = useState<ImportFieldsFragment | null>(null);
  const [, start] = useMutation(Start);
  const [starting, setStarting] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);

  const current = imported;
  const running = current?.status === "QUEUED" || current?.status === "RUNNING";
  const [{ data: polled }, poll] = useQuery({
    query: Status,
    variables: { id: current?.id ?? "" },
    pause: !running,
    requestPolicy: "network-only",
  });
  useEffect(() => {
    if (polled?.patientImport) setImported(polled.patientImport);
  }, [polled]);
  useEffect(() => {
    if (!running) return;
    const timer = window.setInterval(() => poll({ requestPolicy: "network-only" }), POLL_MS);
    return () => window.clearInterval(timer);
  }, [running, poll]);
  const finished = current?.status === "DONE";
  useEffect(() => {
    if (finished) heading.current?.focus();
  }, [finished]);

  async function upload(event: FormEvent) {
    event.preventDefault();
    if (uploading) return;
    setFailure(null);
    if (!file) return setProblems({ file: "Choose a CSV file of patients." });
    if (file.size > MAX_BYTES) return setProblems({ file: "The file is larger than 16 MiB. Split it into smaller files." });
    setProblems({});
    setUploading(true);
    try {
      const body = await previewImport(session, file);
      const code = body.errors?.[0]?.extensions?.code;
      if (code || !body.data) {
        return setFailure({ code: code ?? "INTERNAL", sentence: sentenceFor(code ?? "INTERNAL"), requestId: body.errors?.[0]?.extensions?.requestId } as Problem);
      }
      const payload = body.data.previewPatientImport;
      if (payload.userErrors.length) return setProblems({ file: payload.userErrors.map((e) => sentence(e.message)).join(" ") });
      if (payload.patientImport) setImported(payload.patientImport);
    } catch {
      setFailure({ code: "NETWORK", sentence: sentenceFor("NETWORK") } as Problem);
    } finally {
      setUploading(false);
    }
  }

  async function importFile() {
    if (!current || starting) return;
    setStarting(true);
    try {
      const result = await start({ id: current.id });
      if (result.error) return setFailure(problemOf(result.error));
      const payload = result.data?.startPatientImport;
      if (payload?.userErrors.length) return setProblems({ _: payload.userErrors.map((e) => sentence(e.message)).join(" ") });
      if (payload?.patientImport) setImported(payload.patientImport);
    } finally {
      setStarting(false);
    }
  }

  function another() {
    setImported(null);
    setFile(null);
    setProblems({});
  }

  if (current && finished) {
    return (
      <>
        <h1 ref={heading} tabIndex={-1}>
          {number.format(current.created)} {current.created === 1 ? "patient" : "patients"} imported
        </h1>
        <p className="notice" role="status">
          From {current.fileName}: {number.format(current.created)} new {current.created === 1 ? "chart" : "charts"} created
          {current.skipped > 0 && `, ${number.format(current.skipped)} already here and left as they were`}.
        </p>
        <p>
          <Link className="button primary" to="/patients">
            Go to the patients list
          </Link>
        </p>
        {me.role === "practice_admin" && current.created > 0 && (
          <p>
            <Link to={`/invitations?import=${encodeURIComponent(current.id)}`}>Invite these patients to the portal</Link>
          </p>
        )}
        <p>
          <button type="button" onClick={another}>
            Import another file
          </button>
        </p>
      </>
    );
  }

  const errors = current?.problems.filter((p) => p.severity === "ERROR") ?? [];
  const listed = current?.problems ?? [];
  const moreProblems = (current?.problemCounts.reduce((n, c) => n + c.count, 0) ?? 0) - listed.length;
  return (
    <>
      <h1>Import patients</h1>
      <p>
        Bring your practice's existing patients in from a spreadsheet saved as CSV (UTF-8), with a header row. Columns: given name, family name,
        date of birth, sex (required); MRN, email, mobile and language (optional).
      </p>
      <ErrorSummary problems={problems} labels={{ file: "File" }} />
      {failure && <ErrorState problem={failure} />}
      {!running && (
        <form onSubmit={upload} noValidate className="form">
          <div className="field">
            <label htmlFor="field-file">CSV file of patients</label>
            <p className="hint" id="field-file-hint">
              Up to 16 MiB (about 100,000 patients). Nothing is created until you choose to import.
            </p>
            {problems.file && (
              <p className="error-text" id="field-file-error">
                {problems.file}
              </p>
            )}
            <input
              id="field-file"
              type="file"
              accept=".csv,text/csv"
              aria-describedby={problems.file ? "field-file-hint field-file-error" : "field-file-hint"}
              aria-invalid={Boolean(problems.file)}
              onChange={(e) => setFile(e.target.files?.[0] ?? null)}
            />
          </div>
          <button type="submit" disabled={uploading}>
            {uploading ? "Checking the file…" : "Check the file"}
          </button>
        </form>
      )}
      {current && (
        <section aria-labelledby="preview-title">
          <h2 id="preview-title">{current.fileName}</h2>
          <dl className="import-counts">
            <dt>Rows</dt>
            <dd>{number.format(current.rowsTotal)}</dd>
            <dt>New patients</dt>
            <dd>{number.format(current.newCharts)}</dd>
            <dt>Already here (skipped)</dt>
            <dd>{number.format(current.alreadyHere)}</dd>
            <dt>Rows with errors</dt>
            <dd>{number.format(current.errorRows)}</dd>
          </dl>
          {current.failure && <p className="error-text">{sentence(current.failure)}</p>}
          {running ? (
            <div className="import-progress" role="status" aria-live="polite">
              <label htmlFor="import-progress">
                Importing: {number.format(current.rowsDone)} of {number.format(current.rowsTotal)} rows
              </label>
              <progress id="import-progress" max={Math.max(current.rowsTotal, 1)} value={current.rowsDone} />
            </div>
          ) : errors.length > 0 || current.errorRows > 0 ? (
            <p>
              <strong>Fix the rows with errors in your file, then check it again.</strong> Nothing is imported while any row has an error.
            </p>
          ) : (
            <p>
              <button type="button" className="primary" onClick={() => void importFile()} disabled={starting || current.newCharts === 0}>
                Import {number.format(current.newCharts)} {current.newCharts === 1 ? "patient" : "patients"}
              </button>
            </p>
          )}
          {listed.length > 0 && (
            <table className="data-table">
              <caption>Problems by row</caption>
              <thead>
                <tr>
                  <th scope="col">Line</th>
                  <th scope="col">Field</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Problem</th>
                </tr>
              </thead>
              <tbody>
                {listed.map((p, i) => (
                  <tr key={`${p.line}-${p.field}-${i}`}>
                    <td>{p.line}</td>
                    <td>{FIELD_NAMES[p.field] ?? p.field}</td>
                    <td>
                      <span className={p.severity === "ERROR" ? "tag tag-danger" : "tag tag-muted"}>{p.severity === "ERROR" ? "Error" : "Notice"}</span>
                    </td>
                    <td>{sentence(p.message)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {moreProblems > 0 && <p>And {number.format(moreProblems)} more problems not listed: fix these first, then check the file again.</p>}
          {!running && (
            <p>
              <button type="button" onClick={another}>
                Choose another file
              </button>
            </p>
          )}
        </section>
      )}
    </>
  );
}

/** The API's sentence with a capital and a full stop. */
function sentence(text: string): string {
  const trimmed = text.trim();
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}
