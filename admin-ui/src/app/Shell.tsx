// The frame of every signed-in page: skip link, the practice and the person, navigation by
// job for the person's role, the practice's status banner, and the automatic log-off warning.
import { useEffect, useRef } from "react";
import { NavLink, Outlet, useLocation } from "react-router";
import { Dialog, Heading, Modal } from "react-aria-components";
import { useIdleLogoff } from "@portico/client";
import { roleOf, useConsole, type Me, type Role } from "./session";
import { practiceNav } from "../practice/routes";
import { settingsNav } from "../settings/routes";
import { ehrNav } from "../ehr/routes";
import { accessNav } from "../access/routes";
import { chartNav } from "../chart/routes";
import { formsNav } from "../forms/routes";

interface NavItem {
  to: string;
  label: string;
  roles: Role[];
  /** Active only on its own address, not on the pages under it. */
  end?: boolean;
}

/** The navigation by job (UI.md): the day's work first, then running the practice. */
const NAV: { group: string; items: NavItem[] }[] = [
  {
    group: "Platform",
    items: [
      { to: "practices", label: "Practices", roles: ["operator"] },
      { to: "adoption", label: "Adoption", roles: ["operator"] },
    ],
  },
  {
    group: "Today",
    items: [
      { to: "schedule", label: "Schedule", roles: ["practice_admin", "provider", "staff"] },
      { to: "inbox", label: "Inbox", roles: ["practice_admin", "provider", "staff"] },
      { to: "refills", label: "Refills", roles: ["practice_admin", "provider", "staff"] },
      { to: "reading-alerts", label: "Reading alerts", roles: ["practice_admin", "provider", "staff"] },
      { to: "patients", label: "Patients", roles: ["practice_admin", "provider", "staff"] },
    ],
  },
  {
    group: "Practice",
    items: [
      { to: "setup", label: "Set-up", roles: ["practice_admin"] },
      ...practiceNav,
      { to: "branding", label: "Branding", roles: ["practice_admin"] },
      { to: "staff", label: "Staff", roles: ["practice_admin"] },
      { to: "education", label: "Education", roles: ["practice_admin"] },
      { to: "reading-thresholds", label: "Reading thresholds", roles: ["practice_admin", "provider"] },
      ...formsNav,
    ],
  },
  { group: "Settings", items: [...settingsNav, ...ehrNav, ...accessNav] },
  {
    group: "Oversight",
    items: [
      { to: "adoption", label: "Adoption", roles: ["practice_admin"] },
      { to: "feedback", label: "Feedback", roles: ["practice_admin"] },
      { to: "invitations", label: "Invitations", roles: ["practice_admin"] },
      ...chartNav,
      { to: "billing", label: "Billing", roles: ["practice_admin"] },
    ],
  },
];

export function Shell() {
  const { me, session, signOut } = useConsole();
  const role = roleOf(me);
  const idle = useIdleLogoff(session, () => undefined);
  const location = useLocation();
  const main = useRef<HTMLElement>(null);

  // After navigation, focus moves to the new page's heading (screen readers announce it).
  useEffect(() => {
    const heading = main.current?.querySelector("h1");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: true });
    }
  }, [location.pathname]);

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="practice-name">{me.tenant.displayName}</span>
        <span className="who">
          {me.displayName} · {roleLabel(role)}
        </span>
        <button type="button" className="link-button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <nav className="sidenav" aria-label="Console">
        {NAV.map(({ group, items }) => {
          const mine = items.filter((item) => item.roles.includes(role));
          if (mine.length === 0) return null;
          // A heading per group, not a labelled region: screen readers list the groups by
          // heading, and the landmark stays the one "Console" navigation.
          return (
            <div key={group}>
              <h2 className="nav-group">{group}</h2>
              <ul>
                {mine.map((item) => (
                  <li key={item.to}>
                    <NavLink to={item.to} end={item.end}>
                      {item.label}
                    </NavLink>
                  </li>
                ))}
              </ul>
            </div>
          );
        })}
      </nav>
      <main id="main" ref={main} className="content">
        <StatusBanner me={me} />
        <Outlet />
      </main>
      {idle.warningLeftMs !== null && (
        <Modal isOpen isDismissable={false} className="modal">
          <Dialog className="dialog" role="alertdialog" aria-labelledby="idle-title">
            <Heading slot="title" id="idle-title">
              You will be signed out soon
            </Heading>
            <p>
              For patients' privacy, the console signs you out after a time without activity. You will be signed out in{" "}
              {Math.ceil(idle.warningLeftMs / 1000)} seconds.
            </p>
            <button type="button" className="primary" onClick={idle.stay} autoFocus>
              Stay signed in
            </button>
          </Dialog>
        </Modal>
      )}
    </div>
  );
}

function roleLabel(role: Role): string {
  return { operator: "Operator", practice_admin: "Practice admin", provider: "Provider", staff: "Staff" }[role] ?? role;
}

/** Why new work is refused (suspended) or soon will be (billing), in words, on every page. */
function StatusBanner({ me }: { me: Me }) {
  const status = me.tenant.status;
  if (status === "suspended" || status === "closed") {
    return (
      <div className="banner banner-danger" role="alert">
        <strong>This practice is suspended.</strong> Patients can still read their records, but new bookings, messages and refills are
        refused.
        {me.tenantStatusReason ? ` Reason given: ${me.tenantStatusReason}.` : ""}
        {roleOf(me) === "practice_admin" ? " Open Billing to settle the account." : " A practice admin can resolve it."}
      </div>
    );
  }
  const notice = me.billingNotice;
  if (!notice) return null;
  const until = notice.until ? new Date(notice.until).toLocaleDateString(undefined, { dateStyle: "long" }) : null;
  const text: Record<string, string> = {
    TRIAL: `The free trial ends${until ? ` on ${until}` : " soon"}. Choose a plan in Billing to keep the portal open.`,
    PAST_DUE: `The last payment failed. Update the card in Billing${until ? ` before ${until}` : ""} to avoid suspension.`,
    SUSPENDED: "This practice is suspended for billing. Settle the account in Billing.",
    CANCELLED: `The subscription is cancelled. Records are kept${until ? ` until ${until}` : ""}.`,
  };
  return (
    <div className="banner banner-warning" role="status">
      {text[notice.kind] ?? "Billing needs attention. Open Billing for details."}
    </div>
  );
}
