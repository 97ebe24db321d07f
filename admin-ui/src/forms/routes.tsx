// The forms pages: the list (staff read it) and a form's page (practice admins build and
// change forms there). App.tsx spreads `formsRoutes` into the signed-in routes; Shell.tsx
// puts `formsNav` under Practice.
import { lazy, type ReactNode } from "react";
import { PracticePage } from "../practice/routes";
import type { Role } from "../app/session";

const FormsListPage = lazy(() => import("./FormsListPage"));
const FormEditorPage = lazy(() => import("./FormEditorPage"));

export const formsRoutes: { path: string; element: ReactNode }[] = [
  { path: "forms", element: <PracticePage><FormsListPage /></PracticePage> },
  { path: "forms/new", element: <PracticePage><FormEditorPage /></PracticePage> },
  { path: "forms/:formId", element: <PracticePage><FormEditorPage /></PracticePage> },
];

export const formsNav: { to: string; label: string; roles: Role[] }[] = [
  { to: "forms", label: "Forms", roles: ["practice_admin", "provider", "staff"] },
];
