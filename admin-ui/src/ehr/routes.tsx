// The practice admin's EHR page: its route, loaded only when opened, and its entry in the
// console's navigation (with the settings). App.tsx spreads `ehrRoutes` into the signed-in
// routes; Shell.tsx spreads `ehrNav` into its Settings group.
import { lazy, type ReactNode } from "react";
import { PracticePage } from "../practice/routes";
import type { Role } from "../app/session";

const EhrPage = lazy(() => import("./EhrPage"));

export const EHR_PATHS = { ehr: "ehr" } as const;

export const ehrRoutes: { path: string; element: ReactNode }[] = [{ path: EHR_PATHS.ehr, element: <PracticePage><EhrPage /></PracticePage> }];

export const ehrNav: { to: string; label: string; roles: Role[] }[] = [{ to: EHR_PATHS.ehr, label: "EHR", roles: ["practice_admin"] }];
