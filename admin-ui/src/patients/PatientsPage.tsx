// Find a patient: one search box (name, date of birth, MRN, phone or email), results as a
// table, and the way to register someone new.
import { useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import { EmptyState, ErrorState, LoadingState } from "../components/PageState";
import { formatDate } from "../components/format";
import { chartPath } from "../chart/routes";

const PatientsQuery = graphql(`
  query Patients($search: String, $after: String) {
    patients(search: $search, first: 25, after: $after) {
      nodes {
        id
        mrn
        givenName
        familyName
        birthDate
        email
        phone
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export default function PatientsPage() {
  const [text, setText] = useState("");
  const [search, setSearch] = useState<string | null>(null);
  const [after, setAfter] = useState<string | null>(null);
  const [{ data, error, fetching }, reload] = useQuery({ query: PatientsQuery, variables: { search, after } });

  function submit(event: FormEvent) {
    event.preventDefault();
    setAfter(null);
    setSearch(text.trim() || null);
  }

  const rows = data?.patients.nodes ?? [];
  return (
    <>
      <h1>Patients</h1>
      <p>
        <Link className="button primary" to="/patients/new">
          Register a patient
        </Link>{" "}
        <Link className="button" to="/patients/import">
          Import patients from a file
        </Link>
      </p>
      <form role="search" onSubmit={submit} className="search">
        <label htmlFor="patient-search">Find a patient</label>
        <p className="hint" id="patient-search-hint">
          Name, date of birth (YYYY-MM-DD or MM/DD/YYYY), MRN, phone or email.
        </p>
        <div className="row">
          <input id="patient-search" aria-describedby="patient-search-hint" type="search" value={text} onChange={(e) => setText(e.target.value)} />
          <button type="submit">Search</button>
        </div>
      </form>
      {error && !data && <ErrorState problem={problemOf(error)} retry={() => reload({ requestPolicy: "network-only" })} />}
      {fetching && !data && <LoadingState label="Searching" />}
      {data && rows.length === 0 && (
        <EmptyState title={search ? "No patient matches that search." : "No patients yet."}>
          Check the spelling, try the date of birth, or <Link to="/patients/new">register the patient</Link>.
        </EmptyState>
      )}
      {rows.length > 0 && (
        <table className="data-table">
          <caption className="visually-hidden">Patients{search ? " matching the search" : ""}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Date of birth</th>
              <th scope="col">MRN</th>
              <th scope="col">Phone</th>
              <th scope="col">Email</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((p) => (
              <tr key={p.id}>
                <td>
                  <Link to={chartPath(p.id)}>
                    {p.familyName}, {p.givenName}
                  </Link>
                </td>
                <td>{formatDate(p.birthDate)}</td>
                <td>{p.mrn ?? "—"}</td>
                <td>{p.phone ?? "—"}</td>
                <td>{p.email ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {data?.patients.pageInfo.hasNextPage && (
        <button type="button" onClick={() => setAfter(data.patients.pageInfo.endCursor ?? null)}>
          Next page
        </button>
      )}
    </>
  );
}
