// The practice admin's access pages: who may do what (permissions) and the recall rules that
// invite patients back. App.tsx spreads `accessRoutes` into the signed-in routes; Shell.tsx
// spreads `accessNav` into its Settings group.
import { lazy, type ReactNode } from "react";
import { PracticePage } from "../practice/routes";
import type { Role } from "../app/session";

const PermissionsPage = lazy(() => import("./PermissionsPage"));
const RecallRulesPage = lazy(() => import("./RecallRulesPage"));

export const ACCESS_PATHS = {
  permissions: "settings/permissions",
  recalls: "settings/recalls",
} as const;

export const accessRoutes: { path: string; element: ReactNode }[] = [
  { path: ACCESS_PATHS.permissions, element: <PracticePage><PermissionsPage /></PracticePage> },
  { path: ACCESS_PATHS.recalls, element: <PracticePage><RecallRulesPage /></PracticePage> },
];

export const accessNav: { to: string; label: string; roles: Role[] }[] = [
  { to: ACCESS_PATHS.permissions, label: "Permissions", roles: ["practice_admin"] },
  { to: ACCESS_PATHS.recalls, label: "Recalls", roles: ["practice_admin"] },
];
