// The invitation funnel beside the adoption charts: of the patients first invited to the
// portal in the period (by any campaign), how many joined, did something there and booked
// online; read live, like the campaigns' own funnels on the Invitations page.
import { useQuery } from "urql";
import { graphql } from "@portico/client";

const FunnelQuery = graphql(`
  query AdoptionInvitationFunnel($from: NaiveDate!, $to: NaiveDate!) {
    invitationFunnel(from: $from, to: $to) {
      recipients
      invited
      activated
      firstPortalAction
      firstOnlineBooking
    }
  }
`);

const percent = new Intl.NumberFormat("en-US", { style: "percent", maximumFractionDigits: 0 });

function share(part: number, whole: number): string {
  return whole > 0 ? percent.format(part / whole) : "—";
}

/** The funnel for the days `from` to `to` (inclusive, YYYY-MM-DD, the practice's calendar). */
export function InvitationFunnel({ from, to }: { from: string; to: string }) {
  const [{ data }] = useQuery({ query: FunnelQuery, variables: { from, to } });
  if (!data) return null;
  const f = data.invitationFunnel;
  const steps: [string, number][] = [
    ["Chosen by campaigns started", f.recipients],
    ["Invited", f.invited],
    ["Joined the portal", f.activated],
    ["Used the portal", f.firstPortalAction],
    ["Booked a visit online", f.firstOnlineBooking],
  ];
  return (
    <section aria-labelledby="invitation-funnel-title">
      <h2 id="invitation-funnel-title">Portal invitations in this period</h2>
      {f.invited === 0 && f.recipients === 0 ? (
        <p className="meta">No patient was invited in this period. Campaigns are started on the Invitations page.</p>
      ) : (
        <table className="data-table">
          <caption className="visually-hidden">Invitation funnel of this period</caption>
          <thead>
            <tr>
              <th scope="col">Step</th>
              <th scope="col">Patients</th>
              <th scope="col">Of those invited</th>
            </tr>
          </thead>
          <tbody>
            {steps.map(([label, n]) => (
              <tr key={label}>
                <th scope="row">{label}</th>
                <td>{n}</td>
                <td>{label === steps[0]![0] ? "—" : share(n, f.invited)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
