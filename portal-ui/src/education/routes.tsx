// The education area's route: a resource opened from "Learn more" or a message, signed in.
import { lazy, Suspense } from "react";
import type { RouteObject } from "react-router";
import { LoadingState } from "../components/PageState";

const ArticlePage = lazy(() => import("./ArticlePage"));

export const routes: RouteObject[] = [
  {
    path: "education/:id",
    element: (
      <Suspense fallback={<LoadingState />}>
        <ArticlePage />
      </Suspense>
    ),
  },
];
