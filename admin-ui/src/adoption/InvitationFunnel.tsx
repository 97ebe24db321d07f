// The invitation funnel beside the adoption charts: of the patients first invited to the
// portal in the period (by any campaign), how many joined, did something there and booked
// online; read live, like the campaigns' own funnels on the Invitations page.
import { useQuery } from "urql";
import { graphql } from "@portico/client";
import { FunnelTable } from "../invitations/FunnelTable";

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

/** The funnel for the days `from` to `to` (inclusive, YYYY-MM-DD, the practice's calendar). */
export function InvitationFunnel({ from, to }: { from: string; to: string }) {
  const [{ data }] = useQuery({ query: FunnelQuery, variables: { from, to } });
  if (!data) return null;
  const f = data.invitationFunnel;
  return (
    <section aria-labelledby="invitation-funnel-title">
      <h2 id="invitation-funnel-title">Portal invitations in this period</h2>
      {f.invited === 0 && f.recipients === 0 ? (
        <p className="meta">No patient was invited in this period. Campaigns are started on the Invitations page.</p>
      ) : (
        <FunnelTable funnel={f} caption="Invitation funnel of this period" hideCaption chosen="Chosen by campaigns started" />
      )}
    </section>
  );
}
