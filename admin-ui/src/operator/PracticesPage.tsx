// Operators: every practice with its status, plan and subscription at a glance, searchable by
// name or address, 25 to a page.
import { useMemo, useState } from "react";
import { Link } from "react-router";
import { useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import { EmptyState, ErrorState, LoadingState } from "../components/PageState";
import { formatDate } from "../components/format";
import { StatusTag } from "./StatusTag";

const PracticesQuery = graphql(`
  query Practices($status: String) {
    tenants(status: $status, first: 1000) {
      id
      slug
      name
      status
      operatorHold
      createdAt
      billing {
        plan
        subscriptionStatus
        trialEndsAt
      }
    }
  }
`);

/** Adoption at a glance: each practice's latest month (computed nightly). */
const AdoptionGlance = graphql(`
  query PracticesAdoption($from: NaiveDate!, $to: NaiveDate!) {
    platformAdoption(from: $from, to: $to, granularity: MONTH) {
      practices {
        tenantId
        points {
          activationRate
          monthlyActive
        }
      }
    }
  }
`);

const PAGE = 25;

function glanceRange(): { from: string; to: string } {
  const to = new Date();
  const from = new Date(to.getTime() - 30 * 86_400_000);
  return { from: from.toISOString().slice(0, 10), to: to.toISOString().slice(0, 10) };
}

export default function PracticesPage() {
  const [status, setStatus] = useState("");
  const [text, setText] = useState("");
  const [page, setPage] = useState(0);
  const [{ data, error, fetching }, reload] = useQuery({ query: PracticesQuery, variables: { status: status || null } });
  const [range] = useState(glanceRange);
  const [glance] = useQuery({ query: AdoptionGlance, variables: range });
  const adoption = useMemo(() => {
    const byTenant = new Map<string, { activationRate?: number | null; monthlyActive: number }>();
    for (const p of glance.data?.platformAdoption.practices ?? []) {
      const last = p.points[p.points.length - 1];
      if (last) byTenant.set(p.tenantId, last);
    }
    return byTenant;
  }, [glance.data]);
  const percent = new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: 0 });
  const matching = useMemo(() => {
    const needle = text.trim().toLowerCase();
    return (data?.tenants ?? []).filter((t) => t.slug !== "platform" && (!needle || t.name.toLowerCase().includes(needle) || t.slug.includes(needle)));
  }, [data, text]);
  const pages = Math.max(1, Math.ceil(matching.length / PAGE));
  const shown = matching.slice(page * PAGE, page * PAGE + PAGE);

  return (
    <>
      <h1>Practices</h1>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Find a practice
          <input type="search" value={text} onChange={(e) => (setText(e.target.value), setPage(0))} />
        </label>
        <label>
          Status
          <select value={status} onChange={(e) => (setStatus(e.target.value), setPage(0))}>
            <option value="">Any</option>
            <option value="trial">Trial</option>
            <option value="active">Active</option>
            <option value="past_due">Past due</option>
            <option value="suspended">Suspended</option>
            <option value="cancelled">Cancelled</option>
          </select>
        </label>
      </form>
      {error && !data && <ErrorState problem={problemOf(error)} retry={() => reload({ requestPolicy: "network-only" })} />}
      {fetching && !data && <LoadingState label="Loading practices" />}
      {data && matching.length === 0 && <EmptyState title="No practice matches." />}
      {shown.length > 0 && (
        <table className="data-table">
          <caption className="visually-hidden">Practices</caption>
          <thead>
            <tr>
              <th scope="col">Practice</th>
              <th scope="col">Status</th>
              <th scope="col">Plan</th>
              <th scope="col">Subscription</th>
              <th scope="col">Patients activated</th>
              <th scope="col">Active this month</th>
              <th scope="col">Joined</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((t) => (
              <tr key={t.id}>
                <td>
                  <Link to={`/practices/${encodeURIComponent(t.id)}`}>{t.name}</Link> <span className="muted">{t.slug}</span>
                </td>
                <td>
                  <StatusTag status={t.status} hold={t.operatorHold} />
                </td>
                <td>{t.billing?.plan ?? "—"}</td>
                <td>{t.billing?.subscriptionStatus ?? (t.billing?.trialEndsAt ? `trial until ${formatDate(t.billing.trialEndsAt)}` : "—")}</td>
                <td>{adoption.get(t.id)?.activationRate != null ? percent.format(adoption.get(t.id)!.activationRate!) : "—"}</td>
                <td>{adoption.get(t.id)?.monthlyActive ?? "—"}</td>
                <td>{formatDate(t.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {pages > 1 && (
        <nav className="pager" aria-label="Pages">
          <button type="button" disabled={page === 0} onClick={() => setPage(page - 1)}>
            Previous
          </button>
          <span>
            Page {page + 1} of {pages}
          </span>
          <button type="button" disabled={page + 1 >= pages} onClick={() => setPage(page + 1)}>
            Next
          </button>
        </nav>
      )}
    </>
  );
}
