// The practice set-up pages (practice admins): their routes, each page loaded only when
// opened, and their entries in the console's navigation. App.tsx spreads `practiceRoutes`
// into the signed-in routes; Shell.tsx spreads `practiceNav` into its navigation.
import { lazy, Suspense, type ReactNode } from "react";
import { LoadingState } from "../components/PageState";
import type { Role } from "../app/session";

const ProvidersPage = lazy(() => import("./ProvidersPage"));
const LocationsPage = lazy(() => import("./LocationsPage"));
const AppointmentTypesPage = lazy(() => import("./AppointmentTypesPage"));
const AvailabilityPage = lazy(() => import("./AvailabilityPage"));
const TimeOffPage = lazy(() => import("./TimeOffPage"));

/** The same frame App.tsx gives its pages: a skeleton while the page's code loads. */
export function PracticePage({ children }: { children: ReactNode }) {
  return <Suspense fallback={<LoadingState label="Loading the page" />}>{children}</Suspense>;
}

export const PRACTICE_PATHS = {
  providers: "practice/providers",
  locations: "practice/locations",
  appointmentTypes: "practice/appointment-types",
  hours: "practice/hours",
  timeOff: "practice/time-off",
} as const;

export const practiceRoutes: { path: string; element: ReactNode }[] = [
  { path: PRACTICE_PATHS.providers, element: <PracticePage><ProvidersPage /></PracticePage> },
  { path: PRACTICE_PATHS.locations, element: <PracticePage><LocationsPage /></PracticePage> },
  { path: PRACTICE_PATHS.appointmentTypes, element: <PracticePage><AppointmentTypesPage /></PracticePage> },
  { path: PRACTICE_PATHS.hours, element: <PracticePage><AvailabilityPage /></PracticePage> },
  { path: PRACTICE_PATHS.timeOff, element: <PracticePage><TimeOffPage /></PracticePage> },
];

export const practiceNav: { to: string; label: string; roles: Role[] }[] = [
  { to: PRACTICE_PATHS.providers, label: "Providers", roles: ["practice_admin"] },
  { to: PRACTICE_PATHS.locations, label: "Locations", roles: ["practice_admin"] },
  { to: PRACTICE_PATHS.appointmentTypes, label: "Appointment types", roles: ["practice_admin"] },
  { to: PRACTICE_PATHS.hours, label: "Weekly hours", roles: ["practice_admin"] },
  { to: PRACTICE_PATHS.timeOff, label: "Time off", roles: ["practice_admin"] },
];
