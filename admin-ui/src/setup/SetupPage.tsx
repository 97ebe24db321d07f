// The practice admin's onboarding checklist: what is done and what is left before patients
// can book, computed from the practice's own data.
import { Link } from "react-router";
import { useQuery } from "urql";
import { graphql, problemOf } from "@portico/client";
import { ErrorState, LoadingState } from "../components/PageState";

const SetupQuery = graphql(`
  query Setup {
    me {
      mfaEnrolled
      tenant {
        logoUrl
        primaryColor
      }
    }
    providers {
      id
      weeklyAvailability {
        weekday
      }
    }
    locations {
      id
    }
    appointmentTypes {
      id
    }
    staffMembers {
      id
    }
    invitations {
      id
    }
    careTeamPools {
      id
      members {
        userId
      }
    }
    billing {
      enabled
      subscriptionStatus
    }
  }
`);

interface Item {
  label: string;
  done: boolean;
  /** Where to do it: a console page, or (not in the console yet) the API call. */
  how: string;
  to?: string;
}

export default function SetupPage() {
  // Fresh on every visit: the items are done on other pages, and a first visit's empty lists
  // give the cache nothing to invalidate when they are.
  const [{ data, error, fetching }, reload] = useQuery({ query: SetupQuery, requestPolicy: "cache-and-network" });
  if (error && !data) return <ErrorState problem={problemOf(error)} retry={() => reload({ requestPolicy: "network-only" })} />;
  if (fetching && !data) return <LoadingState label="Loading your checklist" />;
  if (!data) return null;
  const items: Item[] = [
    { label: "Two-step verification for your account", done: data.me.mfaEnrolled, how: "Done at your first sign-in." },
    {
      label: "Brand your portal",
      done: data.me.tenant.logoUrl !== null || data.me.tenant.primaryColor !== "#1f6feb",
      how: "Open Branding.",
      to: "/branding",
    },
    { label: "Add your providers", done: data.providers.length > 0, how: "Open Providers.", to: "/practice/providers" },
    { label: "Add your locations", done: data.locations.length > 0, how: "Open Locations.", to: "/practice/locations" },
    { label: "Set up appointment types", done: data.appointmentTypes.length > 0, how: "Open Appointment types.", to: "/practice/appointment-types" },
    {
      label: "Set weekly hours",
      done: data.providers.some((p) => p.weeklyAvailability.length > 0),
      how: "Open Weekly hours.",
      to: "/practice/hours",
    },
    { label: "Invite your staff", done: data.staffMembers.length > 1 || data.invitations.length > 0, how: "Open Staff.", to: "/staff" },
    { label: "Create care-team pools for messages", done: data.careTeamPools.length > 0, how: "Open Messaging.", to: "/settings/messaging" },
    {
      label: "Add staff to every care team",
      done: data.careTeamPools.length > 0 && data.careTeamPools.every((p) => p.members.length > 0),
      how: "Open Messaging.",
      to: "/settings/messaging",
    },
    {
      label: "Choose a plan",
      done: !data.billing.enabled || Boolean(data.billing.subscriptionStatus),
      how: "Open Billing.",
      to: "/billing",
    },
  ];
  const done = items.filter((i) => i.done).length;
  return (
    <>
      <h1>Set up your practice</h1>
      <p>
        <progress max={items.length} value={done} aria-label="Set-up progress" /> {done} of {items.length} done
      </p>
      <ol className="checklist">
        {items.map((item) => (
          <li key={item.label} className={item.done ? "done" : undefined}>
            <span className="tag">{item.done ? "Done" : "To do"}</span> {item.to ? <Link to={item.to}>{item.label}</Link> : item.label}
            {!item.done && !item.to && <span className="muted"> — in the API for now: {item.how}</span>}
          </li>
        ))}
      </ol>
    </>
  );
}
