// Break-glass review (practice admins): every opening of a restricted chart with its reason,
// those not yet reviewed first, each marked reviewed once the admin has read it.
import { useState } from "react";
import { Link } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import { EmptyState, ErrorState, ErrorSummary, LoadingState } from "../components/PageState";
import { formatDateTime } from "../components/format";
import { useOnce } from "../practice/shared";
import { useConsole } from "../app/session";
import { chartPath } from "../chart/routes";
import "../chart/chart.css";

const AccessesQuery = graphql(`
  query BreakGlassAccesses {
    unreviewed: breakGlassAccesses(reviewed: false, first: 100) {
      nodes {
        id
        patientId
        userName
        reason
        openedAt
        expiresAt
        active
        reviewedAt
      }
    }
    reviewed: breakGlassAccesses(reviewed: true, first: 50) {
      nodes {
        id
        patientId
        userName
        reason
        openedAt
        expiresAt
        active
        reviewedAt
      }
    }
  }
`);

const Review = graphql(`
  mutation ReviewBreakGlassAccess($id: ID!) {
    reviewBreakGlassAccess(input: { id: $id }) {
      access {
        id
        reviewedAt
      }
    }
  }
`);

type Access = {
  id: string;
  patientId: string;
  userName?: string | null;
  reason: string;
  openedAt: string;
  expiresAt: string;
  active: boolean;
  reviewedAt?: string | null;
};

export default function BreakGlassReviewPage() {
  const { me } = useConsole();
  const zone = me.tenant.timeZone;
  const [{ data, error, fetching }, reload] = useQuery({ query: AccessesQuery, requestPolicy: "cache-and-network" });
  const refresh = () => reload({ requestPolicy: "network-only" });
  const [, review] = useMutation(Review);
  const [pending, once] = useOnce();
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [done, setDone] = useState<string | null>(null);

  function markReviewed(a: Access) {
    void once(async () => {
      setProblems({});
      setDone(null);
      const result = await review({ id: a.id });
      if (result.error) return setProblems({ _: problemOf(result.error).sentence });
      setDone(`${a.userName ?? "The"}${a.userName ? "'s" : ""} access of ${formatDateTime(a.openedAt, zone)} is marked reviewed.`);
      refresh();
    });
  }

  const unreviewed = data?.unreviewed.nodes ?? [];
  const reviewed = data?.reviewed.nodes ?? [];
  return (
    <>
      <h1>Break-glass review</h1>
      <p>
        Each time someone outside a restricted chart's care team opened it, with the reason they gave. Read the reason, check the chart's
        audit if it needs a closer look, then mark it reviewed.
      </p>
      {done && (
        <p className="notice" role="status">
          {done}
        </p>
      )}
      <ErrorSummary problems={problems} labels={{}} />
      {error && !data && <ErrorState problem={problemOf(error)} retry={refresh} />}
      {fetching && !data && <LoadingState label="Loading break-glass accesses" rows={4} />}
      {data && (
        <>
          <h2>To review</h2>
          {unreviewed.length === 0 ? (
            <EmptyState title="Nothing to review.">Every break-glass access has been reviewed. New ones appear here.</EmptyState>
          ) : (
            <AccessTable caption="Break-glass accesses to review, newest first" rows={unreviewed} zone={zone} onReview={markReviewed} pending={pending} />
          )}
          <h2>Reviewed</h2>
          {reviewed.length === 0 ? (
            <EmptyState title="None reviewed yet." />
          ) : (
            <AccessTable caption="Reviewed break-glass accesses, newest first" rows={reviewed} zone={zone} />
          )}
        </>
      )}
    </>
  );
}

function AccessTable({
  caption,
  rows,
  zone,
  onReview,
  pending,
}: {
  caption: string;
  rows: readonly Access[];
  zone: string;
  onReview?: (a: Access) => void;
  pending?: boolean;
}) {
  return (
    <table className="data-table">
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Opened</th>
          <th scope="col">Who</th>
          <th scope="col">Reason given</th>
          <th scope="col">Chart</th>
          <th scope="col">{onReview ? <span className="visually-hidden">Actions</span> : "Reviewed"}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((a) => (
          <tr key={a.id}>
            <td>
              {formatDateTime(a.openedAt, zone)}
              {a.active && <span className="tag">Still open</span>}
            </td>
            <td>{a.userName ?? "A former user"}</td>
            <td>{a.reason}</td>
            <td>
              <Link to={chartPath(a.patientId)}>Open the chart</Link>
            </td>
            <td>
              {onReview ? (
                <button
                  type="button"
                  className="small"
                  disabled={pending}
                  onClick={() => onReview(a)}
                  aria-label={`Mark reviewed: ${a.userName ?? "access"}, ${formatDateTime(a.openedAt, zone)}`}
                >
                  Mark reviewed
                </button>
              ) : a.reviewedAt ? (
                formatDateTime(a.reviewedAt, zone)
              ) : (
                "—"
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
