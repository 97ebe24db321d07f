// The account area's routes: `routes` need a signed-in patient and render inside the shell;
// `publicRoutes` work signed out too (inside the branded frame). Each page is its own chunk.
import { lazy, Suspense, type ComponentType, type LazyExoticComponent } from "react";
import type { RouteObject } from "react-router";
import { LoadingState } from "../components/PageState";

const ActivatePage = lazy(() => import("./ActivatePage"));
const ForgotPasswordPage = lazy(() => import("./ForgotPasswordPage"));
const ResetPasswordPage = lazy(() => import("./ResetPasswordPage"));
const ProfilePage = lazy(() => import("./ProfilePage"));
const NotificationsPage = lazy(() => import("./NotificationsPage"));
const SecurityPage = lazy(() => import("./SecurityPage"));
const AccessLogPage = lazy(() => import("./AccessLogPage"));
const CaregiversPage = lazy(() => import("./CaregiversPage"));

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
  page("profile", ProfilePage),
  page("settings/notifications", NotificationsPage),
  page("profile/security", SecurityPage),
  page("profile/access-log", AccessLogPage),
  page("profile/caregivers", CaregiversPage),
];

export const publicRoutes: RouteObject[] = [
  page("activate", ActivatePage),
  page("forgot-password", ForgotPasswordPage),
  page("reset-password", ResetPasswordPage),
];
