// The chart and the practice's oversight pages: a patient's chart (practice admins, providers
// and staff, reached from Patients, so no entry in the navigation), and for practice admins
// the audit log, the break-glass review and failed deliveries. Each page is loaded only when
// opened. App.tsx spreads `chartRoutes` into the signed-in routes; Shell.tsx spreads
// `chartNav` into its navigation.
import { lazy, type ReactNode } from "react";
import { PracticePage } from "../practice/routes";
import type { Role } from "../app/session";

const ChartPage = lazy(() => import("./ChartPage"));
const AuditPage = lazy(() => import("../audit/AuditPage"));
const BreakGlassReviewPage = lazy(() => import("../audit/BreakGlassReviewPage"));
const DeliveriesPage = lazy(() => import("../audit/DeliveriesPage"));

export const CHART_PATHS = {
  chart: "patients/:patientId",
  audit: "audit",
  breakGlass: "audit/break-glass",
  deliveries: "deliveries",
} as const;

export const chartRoutes: { path: string; element: ReactNode }[] = [
  { path: CHART_PATHS.chart, element: <PracticePage><ChartPage /></PracticePage> },
  { path: CHART_PATHS.audit, element: <PracticePage><AuditPage /></PracticePage> },
  { path: CHART_PATHS.breakGlass, element: <PracticePage><BreakGlassReviewPage /></PracticePage> },
  { path: CHART_PATHS.deliveries, element: <PracticePage><DeliveriesPage /></PracticePage> },
];

export const chartNav: { to: string; label: string; roles: Role[]; end?: boolean }[] = [
  // `end`: Audit is not also highlighted on the break-glass review under it.
  { to: CHART_PATHS.audit, label: "Audit", roles: ["practice_admin"], end: true },
  { to: CHART_PATHS.breakGlass, label: "Break-glass", roles: ["practice_admin"] },
  { to: CHART_PATHS.deliveries, label: "Deliveries", roles: ["practice_admin"] },
];

/** The chart's address for a patient's global id (only ids in URLs, never names). */
export function chartPath(patientId: string): string {
  return `/patients/${encodeURIComponent(patientId)}`;
}
