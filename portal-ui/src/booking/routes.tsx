// The booking area's routes: `routes` need a signed-in patient and render inside the shell;
// `publicRoutes` work signed out too (inside the branded frame).
import { lazy, Suspense, type ReactNode } from "react";
import type { RouteObject } from "react-router";
import { LoadingState } from "../components/PageState";

const VisitsPage = lazy(() => import("./VisitsPage"));
const VisitPage = lazy(() => import("./VisitPage"));
const BookPage = lazy(() => import("./BookPage"));
const ReminderPage = lazy(() => import("./ReminderPage"));

function page(element: ReactNode): ReactNode {
  return <Suspense fallback={<LoadingState />}>{element}</Suspense>;
}

export const routes: RouteObject[] = [
  { path: "visits", element: page(<VisitsPage />) },
  { path: "visits/:id", element: page(<VisitPage />) },
  { path: "visits/:id/:action", element: page(<VisitPage />) },
  { path: "visits/:id/:action/:step", element: page(<VisitPage />) },
  { path: "book", element: page(<BookPage />) },
  { path: "book/:step", element: page(<BookPage />) },
];

export const publicRoutes: RouteObject[] = [{ path: "visit", element: page(<ReminderPage />) }];
