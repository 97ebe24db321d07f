// The forms area's routes (signed in, inside the shell); each page is its own chunk.
import { lazy, Suspense } from "react";
import type { RouteObject } from "react-router";
import { LoadingState } from "../components/PageState";

const FormsPage = lazy(() => import("./FormsPage"));
const FormPage = lazy(() => import("./FormPage"));

export const routes: RouteObject[] = [
  {
    path: "forms",
    element: (
      <Suspense fallback={<LoadingState />}>
        <FormsPage />
      </Suspense>
    ),
  },
  {
    path: "forms/:id",
    element: (
      <Suspense fallback={<LoadingState />}>
        <FormPage />
      </Suspense>
    ),
  },
];
