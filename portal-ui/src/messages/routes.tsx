// The messages area's routes: `routes` need a signed-in patient and render inside the shell;
// `publicRoutes` work signed out too (inside the branded frame). Each page is its own chunk.
import { lazy, Suspense } from "react";
import type { RouteObject } from "react-router";
import { LoadingState } from "../components/PageState";

const MessagesPage = lazy(() => import("./MessagesPage"));
const NewMessagePage = lazy(() => import("./NewMessagePage"));
const ThreadPage = lazy(() => import("./ThreadPage"));

export const routes: RouteObject[] = [
  {
    path: "messages",
    element: (
      <Suspense fallback={<LoadingState />}>
        <MessagesPage />
      </Suspense>
    ),
  },
  {
    path: "messages/new",
    element: (
      <Suspense fallback={<LoadingState />}>
        <NewMessagePage />
      </Suspense>
    ),
  },
  {
    path: "messages/:id",
    element: (
      <Suspense fallback={<LoadingState />}>
        <ThreadPage />
      </Suspense>
    ),
  },
];

export const publicRoutes: RouteObject[] = [];
