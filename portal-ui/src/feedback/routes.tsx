// The feedback area's routes: the survey's link works signed out (inside the branded frame);
// the feedback form is for a signed-in patient.
import { lazy, Suspense } from "react";
import type { RouteObject } from "react-router";
import { LoadingState } from "../components/PageState";

const SurveyPage = lazy(() => import("./SurveyPage"));
const FeedbackFormPage = lazy(() => import("./FeedbackFormPage"));

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

export const routes: RouteObject[] = [
  {
    path: "profile/feedback",
    element: (
      <Suspense fallback={<LoadingState />}>
        <FeedbackFormPage />
      </Suspense>
    ),
  },
];
