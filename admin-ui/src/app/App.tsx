// The console's root: which practice, whether someone is signed in (a reload continues the
// session from its cookie), and the routes, each area loaded only when opened.
import { lazy, Suspense, useCallback, useEffect, useMemo, useState, useSyncExternalStore } from "react";
import { createBrowserRouter, Navigate, RouterProvider, useRouteError } from "react-router";
import { Provider, useQuery } from "urql";
import { createPorticoClient, graphql, problemOf, SessionStore } from "@portico/client";
import { rememberedPractice, rememberPractice } from "./practice";
import { ConsoleContextValue, roleOf, type Me } from "./session";
import { Shell } from "./Shell";
import { SignInPage } from "../signin/SignInPage";
import { EnrolTotpPage } from "../signin/EnrolTotpPage";
import { ReauthDialog } from "../signin/ReauthDialog";
import { AcceptInvitationPage, invitationFromLocation } from "../signin/AcceptInvitationPage";
import { SignUpPage } from "../signin/SignUpPage";
import { practiceRoutes } from "../practice/routes";
import { settingsRoutes } from "../settings/routes";
import { ehrRoutes } from "../ehr/routes";
import { accessRoutes } from "../access/routes";
import { chartRoutes } from "../chart/routes";
import { formsRoutes } from "../forms/routes";
import { ErrorState, LoadingState } from "../components/PageState";

const MeQueryDoc = graphql(`
  query Me {
    me {
      userId
      displayName
      email
      role
      mfaEnrolled
      tenantStatusReason
      billingNotice {
        kind
        until
      }
      tenant {
        slug
        displayName
        primaryColor
        logoUrl
        timeZone
        status
        phone
      }
    }
  }
`);

const InboxPage = lazy(() => import("../inbox/InboxPage"));
const ThreadPage = lazy(() => import("../inbox/ThreadPage"));
const RefillsPage = lazy(() => import("../refills/RefillsPage"));
const ReadingAlertsPage = lazy(() => import("../readings/ReadingAlertsPage"));
const ReadingThresholdsPage = lazy(() => import("../readings/ReadingThresholdsPage"));
const PatientsPage = lazy(() => import("../patients/PatientsPage"));
const RegisterPatientPage = lazy(() => import("../patients/RegisterPatientPage"));
const ImportPatientsPage = lazy(() => import("../patients/ImportPatientsPage"));
const PracticesPage = lazy(() => import("../operator/PracticesPage"));
const PracticePage = lazy(() => import("../operator/PracticePage"));
const AdoptionPage = lazy(() => import("../adoption/AdoptionPage"));
const FeedbackPage = lazy(() => import("../feedback/FeedbackPage"));
const InvitationsPage = lazy(() => import("../invitations/InvitationsPage"));
const EducationPage = lazy(() => import("../education/EducationPage"));
const BillingPage = lazy(() => import("../billing/BillingPage"));
const SetupPage = lazy(() => import("../setup/SetupPage"));
const BrandingPage = lazy(() => import("../branding/BrandingPage"));
const StaffPage = lazy(() => import("../staff/StaffPage"));
const SchedulePage = lazy(() => import("../schedule/SchedulePage"));
const BookPage = lazy(() => import("../schedule/BookPage"));
const MovePage = lazy(() => import("../schedule/MovePage"));
const VisitPage = lazy(() => import("../schedule/VisitPage"));

/** Read once per page load: reading removes the token from the address bar. */
const openedInvitation = invitationFromLocation();

type Phase =
  | { kind: "restoring" }
  | { kind: "signed-out"; ended?: boolean; unconfirmed?: boolean }
  | { kind: "signed-in" };

export function App() {
  // Opened from an invitation link: joining comes before any session.
  const [invitation, setInvitation] = useState(openedInvitation);
  // "Create a practice" on the sign-in page opens /console/create-practice.
  const [signingUp, setSigningUp] = useState(() => /\/create-practice\/?$/.test(window.location.pathname));
  const [session, setSession] = useState<SessionStore | null>(() => {
    const practice = rememberedPractice();
    return practice ? new SessionStore(practice) : null;
  });
  const client = useMemo(() => (session ? createPorticoClient(session) : null), [session]);
  const [phase, setPhase] = useState<Phase>(() => (session ? { kind: "restoring" } : { kind: "signed-out" }));

  // A reload keeps working: the refresh cookie continues the session.
  const [initial] = useState(session);
  useEffect(() => {
    if (!initial) return;
    let live = true;
    initial
      .refresh()
      .then((ok) => live && setPhase((p) => (p.kind === "restoring" ? (ok ? { kind: "signed-in" } : { kind: "signed-out" }) : p)))
      .catch(() => live && setPhase((p) => (p.kind === "restoring" ? { kind: "signed-out" } : p)));
    return () => {
      live = false;
    };
  }, [initial]);


  const onSignedIn = useCallback((store: SessionStore) => {
    if (store.tenant) rememberPractice(store.tenant);
    setSession(store);
    setPhase({ kind: "signed-in" });
  }, []);

  if (invitation) {
    return (
      <AcceptInvitationPage
        invitation={invitation}
        onJoined={(store) => {
          setInvitation(null);
          onSignedIn(store);
        }}
      />
    );
  }
  if (signingUp) {
    const leave = () => {
      window.history.replaceState(null, "", "/console/");
      setSigningUp(false);
    };
    return <SignUpPage onSignedIn={(store) => (leave(), onSignedIn(store))} onCancel={leave} />;
  }
  if (phase.kind === "restoring") return <LoadingState label="Opening the console" />;
  if (phase.kind === "signed-out" || !session || !client) {
    return (
      <SignInPage
        practice={session?.tenant ?? rememberedPractice()}
        ended={phase.kind === "signed-out" && phase.ended === true}
        unconfirmed={phase.kind === "signed-out" && phase.unconfirmed === true}
        onSignedIn={onSignedIn}
      />
    );
  }
  return (
    <Provider value={client}>
      <SignedIn session={session} practice={session.tenant ?? ""} onSignedOut={(unconfirmed) => setPhase({ kind: "signed-out", unconfirmed })} />
    </Provider>
  );
}

function SignedIn({
  session,
  practice,
  onSignedOut,
}: {
  session: SessionStore;
  practice: string;
  /** `unconfirmed`: the tab forgot the session but the server could not be told. */
  onSignedOut: (unconfirmed?: boolean) => void;
}) {
  const state = useSyncExternalStore(
    (listener) => session.subscribe(listener),
    () => session.current,
  );
  const [{ data, error, fetching }, reload] = useQuery({ query: MeQueryDoc, pause: state === null });
  const reloadMe = useCallback(() => reload({ requestPolicy: "network-only" }), [reload]);
  const signOut = useCallback(() => {
    session.signOut().then(
      () => onSignedOut(false),
      () => onSignedOut(true),
    );
  }, [session, onSignedOut]);
  if (state?.mfaEnrolmentRequired) return <EnrolTotpPage session={session} />;
  if (!data) {
    if (state === null) return <SignInPage practice={practice} ended onSignedIn={reloadMe} store={session} />;
    if (error) return <ErrorState problem={problemOf(error)} retry={reloadMe} />;
    if (fetching) return <LoadingState label="Opening the console" />;
    return null;
  }
  // When the session ends under a page (automatic log-off, a refused refresh) the page stays
  // mounted, inert, behind the sign-in dialog: nothing typed is lost.
  return (
    <ConsoleContextValue.Provider value={{ session, me: data.me, practice, reloadMe, signOut }}>
      <div className="console-root" inert={state === null}>
        <Routes me={data.me} />
      </div>
      {state === null && <ReauthDialog session={session} email={data.me.email} onCancel={() => onSignedOut(false)} />}
    </ConsoleContextValue.Provider>
  );
}

function home(me: Me): string {
  switch (roleOf(me)) {
    case "operator":
      return "practices";
    case "practice_admin":
      return "setup";
    default:
      return "inbox";
  }
}

function Routes({ me }: { me: Me }) {
  const router = useMemo(
    () =>
      createBrowserRouter(
        [
          {
            path: "/",
            element: <Shell />,
            errorElement: <RouteError />,
            children: [
              { index: true, element: <Navigate to={home(me)} replace /> },
              { path: "schedule", element: <Page><SchedulePage /></Page> },
              { path: "schedule/book", element: <Page><BookPage /></Page> },
              { path: "schedule/move/:appointmentId", element: <Page><MovePage /></Page> },
              { path: "schedule/visits/:appointmentId", element: <Page><VisitPage /></Page> },
              { path: "inbox", element: <Page><InboxPage /></Page> },
              { path: "inbox/:threadId", element: <Page><ThreadPage /></Page> },
              { path: "refills", element: <Page><RefillsPage /></Page> },
              { path: "reading-alerts", element: <Page><ReadingAlertsPage /></Page> },
              { path: "reading-thresholds", element: <Page><ReadingThresholdsPage /></Page> },
              { path: "patients", element: <Page><PatientsPage /></Page> },
              { path: "patients/new", element: <Page><RegisterPatientPage /></Page> },
              { path: "patients/import", element: <Page><ImportPatientsPage /></Page> },
              { path: "practices", element: <Page><PracticesPage /></Page> },
              { path: "practices/:tenantId", element: <Page><PracticePage /></Page> },
              { path: "adoption", element: <Page><AdoptionPage /></Page> },
              { path: "feedback", element: <Page><FeedbackPage /></Page> },
              { path: "invitations", element: <Page><InvitationsPage /></Page> },
              { path: "education", element: <Page><EducationPage /></Page> },
              { path: "billing", element: <Page><BillingPage /></Page> },
              { path: "setup", element: <Page><SetupPage /></Page> },
              { path: "branding", element: <Page><BrandingPage /></Page> },
              { path: "staff", element: <Page><StaffPage /></Page> },
              ...practiceRoutes,
              ...settingsRoutes,
              ...ehrRoutes,
              ...accessRoutes,
              ...chartRoutes,
              ...formsRoutes,
              { path: "*", element: <Navigate to={home(me)} replace /> },
            ],
          },
        ],
        { basename: "/console" },
      ),
    // The routes depend on the role only; a `me` reload must not rebuild the router.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [me.role],
  );
  return <RouterProvider router={router} />;
}

/**
 * A page that failed to load or crashed. The usual cause is a new version of the console
 * deployed while this tab was open (its old chunks are gone): reloading fixes it.
 */
function RouteError() {
  const error = useRouteError();
  const stale = error instanceof Error && /dynamically imported module|Importing a module script failed/i.test(error.message);
  return (
    <main id="main" className="sign-in-card">
      <h1>{stale ? "The console was updated" : "This page could not be shown"}</h1>
      <p>{stale ? "A newer version is ready. Reload to continue; you stay signed in." : "Something went wrong while showing this page. Reload to try again."}</p>
      <button type="button" className="primary" onClick={() => window.location.reload()}>
        Reload
      </button>
    </main>
  );
}

function Page({ children }: { children: React.ReactNode }) {
  return <Suspense fallback={<LoadingState label="Loading the page" />}>{children}</Suspense>;
}
