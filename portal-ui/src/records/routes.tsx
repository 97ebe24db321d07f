// The records area's routes: `routes` need a signed-in patient and render inside the shell;
// `publicRoutes` work signed out too (inside the branded frame). Each page is its own chunk,
// loaded when opened.
import { lazy, Suspense, type ComponentType, type LazyExoticComponent } from "react";
import type { RouteObject } from "react-router";
import { LoadingState } from "../components/PageState";

const RecordsPage = lazy(() => import("./RecordsPage"));
const ResultsPage = lazy(() => import("./ResultsPage"));
const ResultTrendPage = lazy(() => import("./ResultTrendPage"));
const ReportsPage = lazy(() => import("./ReportsPage"));
const VisitsPage = lazy(() => import("./VisitsPage"));
const MedicationsPage = lazy(() => import("./MedicationsPage"));
const RefillRequestPage = lazy(() => import("./RefillRequestPage"));
const RefillsPage = lazy(() => import("./RefillsPage"));
const AllergiesPage = lazy(() => import("./ListPages").then((m) => ({ default: m.AllergiesPage })));
const ProblemsPage = lazy(() => import("./ListPages").then((m) => ({ default: m.ProblemsPage })));
const ImmunizationsPage = lazy(() => import("./ListPages").then((m) => ({ default: m.ImmunizationsPage })));
const EmergencyPage = lazy(() => import("./EmergencyPage"));
const SummaryPage = lazy(() => import("./SummaryPage"));
const ReadingsPage = lazy(() => import("../readings/ReadingsPage"));

function page(path: string, Page: LazyExoticComponent<ComponentType>): RouteObject {
  return {
    path,
    element: (
      <Suspense fallback={<LoadingState />}>
        <Page />
      </Suspense>
    ),
  };
}

export const routes: RouteObject[] = [
  page("records", RecordsPage),
  page("records/results", ResultsPage),
  // The test's code travels in the fragment, which never reaches the server or its logs: a
  // test's name tied to a person's portal is health information.
  page("records/results/history", ResultTrendPage),
  page("records/reports", ReportsPage),
  page("records/visits", VisitsPage),
  page("records/medications", MedicationsPage),
  page("records/medications/:id/refill", RefillRequestPage),
  page("records/allergies", AllergiesPage),
  page("records/problems", ProblemsPage),
  page("records/immunizations", ImmunizationsPage),
  page("records/emergency", EmergencyPage),
  page("records/summary", SummaryPage),
  page("refills", RefillsPage),
  page("records/readings", ReadingsPage),
];

export const publicRoutes: RouteObject[] = [];
