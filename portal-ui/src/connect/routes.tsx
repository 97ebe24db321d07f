// The consent page for apps (SMART App Launch): signed in, in the shell without the
// navigation, so the patient answers the app before going anywhere else.
import { lazy, Suspense } from "react";
import type { RouteObject } from "react-router";
import { LoadingState } from "../components/PageState";

const ConnectPage = lazy(() => import("./ConnectPage"));

export const routes: RouteObject[] = [
  {
    path: "connect/:requestId",
    element: (
      <Suspense fallback={<LoadingState />}>
        <ConnectPage />
      </Suspense>
    ),
  },
];
