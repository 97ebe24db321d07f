// The portal's root: the practice's brand (public, before sign-in), the language, the session,
// and the routes, each area loaded only when opened.
import { lazy, Suspense, useCallback, useEffect, useState } from "react";
import { createBrowserRouter, Navigate, Outlet, RouterProvider, useLocation, useRouteError } from "react-router";
import { graphql, post } from "@portico/client";
import { BASENAME, PRACTICE_SLUG } from "./address";
import { applyBrand, type Brand } from "./brand";
import { BrandContext } from "./brandContext";
import { AuthProvider, useAuth } from "./session";
import { Frame } from "./Frame";
import { SignedIn } from "./SignedIn";
import { Shell } from "./Shell";
import { I18nProvider, useT } from "../i18n/I18n";
import { initialLocale, rememberLocale, type Locale } from "../i18n/locale";
import { LoadingState, ErrorState } from "../components/PageState";
import { useProblem } from "./problem";
import { SignInPage } from "../signin/SignInPage";
// Home is where most visits land: in the first bundle (it is small), since a lazy page's
// reveal is held back by React's Suspense throttling (about 300 ms).
import HomePage from "../home/HomePage";
import * as booking from "../booking/routes";
import * as records from "../records/routes";
import * as forms from "../forms/routes";
import * as messages from "../messages/routes";
import * as account from "../account/routes";
import * as feedback from "../feedback/routes";
import * as education from "../education/routes";
import * as connect from "../connect/routes";

const BrandingQuery = graphql(`
  query PortalBranding($slug: String) {
    tenantBranding(slug: $slug) {
      slug
      displayName
      logoUrl
      primaryColor
      timeZone
      status
      phone
    }
  }
`);

const NotFoundPage = lazy(() => import("./NotFoundPage"));

type BrandState = { kind: "loading" } | { kind: "ready"; brand: Brand } | { kind: "failed"; error: unknown };

export function App() {
  const [locale, setLocaleState] = useState<Locale>(initialLocale);
  const setLocale = useCallback((next: Locale) => {
    rememberLocale(next);
    setLocaleState(next);
  }, []);

  const [brand, setBrand] = useState<BrandState>({ kind: "loading" });
  const load = useCallback(() => {
    setBrand({ kind: "loading" });
    post(BrandingQuery, { slug: PRACTICE_SLUG }, PRACTICE_SLUG).then(
      (data) => setBrand({ kind: "ready", brand: { ...data.tenantBranding, logoUrl: data.tenantBranding.logoUrl ?? null, phone: data.tenantBranding.phone ?? null } }),
      (error: unknown) => setBrand({ kind: "failed", error }),
    );
  }, []);
  useEffect(load, [load]);

  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const timeZone = brand.kind === "ready" ? brand.brand.timeZone : browserZone;
  return (
    <I18nProvider locale={locale} setLocale={setLocale} timeZone={timeZone}>
      {/* The session is restored (refresh cookie) while the brand loads, not after it. */}
      <AuthProvider>
        {brand.kind === "loading" && (
          <main className="standalone">
            <LoadingState />
          </main>
        )}
        {brand.kind === "failed" && <NoPractice error={brand.error} retry={load} />}
        {brand.kind === "ready" && (
          <BrandContext.Provider value={brand.brand}>
            <BrandedTitle brand={brand.brand} />
            <Routes />
          </BrandContext.Provider>
        )}
      </AuthProvider>
    </I18nProvider>
  );
}

function BrandedTitle({ brand }: { brand: Brand }) {
  useEffect(() => applyBrand(brand, brand.displayName), [brand]);
  return null;
}

function NoPractice({ error, retry }: { error: unknown; retry: () => void }) {
  const t = useT();
  const problem = useProblem()(error);
  return (
    <main className="standalone" id="main">
      {problem.code === "TENANT_NOT_FOUND" ? (
        <>
          <h1>{t("app.noPractice.title")}</h1>
          <p>{t("app.noPractice.body")}</p>
        </>
      ) : (
        <>
          <h1>{t("app.opening")}</h1>
          <ErrorState problem={problem} retry={retry} />
        </>
      )}
    </main>
  );
}

/** Signed-in pages: the sign-in page first when nobody is, coming back here afterwards. */
function RequireSession() {
  const { phase } = useAuth();
  const location = useLocation();
  if (phase.kind === "restoring") {
    return (
      <main className="standalone">
        <LoadingState />
      </main>
    );
  }
  if (phase.kind === "signed-out") {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={`/sign-in${next === "/" ? "" : `?next=${encodeURIComponent(next)}`}`} replace state={{ reason: phase.reason }} />;
  }
  return (
    <SignedIn client={phase.client}>
      <Outlet />
    </SignedIn>
  );
}

function RouteError() {
  const error = useRouteError();
  const problem = useProblem()(error);
  const t = useT();
  // A page's chunk that disappeared (a new release while the tab was open): reload.
  if (error instanceof TypeError && /dynamically imported module|Importing a module/.test(error.message)) {
    window.location.reload();
    return null;
  }
  return (
    <main className="standalone" id="main">
      <h1>{t("app.opening")}</h1>
      <ErrorState problem={problem} retry={() => window.location.reload()} />
    </main>
  );
}

const router = createBrowserRouter(
  [
    {
      errorElement: <RouteError />,
      children: [
        {
          element: <Frame />,
          children: [{ path: "sign-in", element: <SignInPage /> }, ...account.publicRoutes, ...booking.publicRoutes, ...feedback.publicRoutes],
        },
        {
          element: <RequireSession />,
          children: [
            {
              element: <Shell />,
              children: [
                { index: true, element: <HomePage /> },
                ...booking.routes,
                ...records.routes,
                ...forms.routes,
                ...messages.routes,
                ...account.routes,
                ...feedback.routes,
                ...education.routes,
                {
                  path: "*",
                  element: (
                    <Suspense fallback={<LoadingState />}>
                      <NotFoundPage />
                    </Suspense>
                  ),
                },
              ],
            },
            { element: <Shell focused />, children: connect.routes },
          ],
        },
      ],
    },
  ],
  { basename: BASENAME },
);

function Routes() {
  return <RouterProvider router={router} />;
}
