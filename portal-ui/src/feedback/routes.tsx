// The feedback area's routes: the survey's link works signed out (inside the branded frame).
import { lazy, Suspense } from "react";
import type { RouteObject } from "react-router";
import { LoadingState } from "../components/PageState";

const SurveyPage = lazy(() => import("./SurveyPage"));

export const publicRoutes: RouteObject[] = [
  {
    path: "feedback",
    element: (
      <Suspense fallback={<LoadingState />}>
        <SurveyPage />
      </Suspense>
    ),
  },
];
