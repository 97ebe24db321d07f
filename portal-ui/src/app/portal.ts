// The signed-in patient for every page: the session, `me`, the chart being looked at (their
// own or one shared with them as a caregiver) and the practice's brand. Pages read it with
// `usePortal()`; everything they show is about `chart`.
import { createContext, useContext } from "react";
import type { SessionStore } from "@portico/client";
import type { PortalMeQuery } from "@portico/client/gql/graphql";
import type { Brand } from "./brand";

export type Me = PortalMeQuery["me"];
export type Chart = Me["charts"][number];
export type Scope = Chart["scopes"][number];

export interface PortalContext {
  session: SessionStore;
  me: Me;
  brand: Brand;
  /** The chart every page shows. */
  chart: Chart;
  selectChart: (patientId: string) => void;
  reloadMe: () => void;
  signOut: () => void;
}

export const PortalContextValue = createContext<PortalContext | null>(null);

export function usePortal(): PortalContext {
  const value = useContext(PortalContextValue);
  if (!value) throw new Error("usePortal outside the signed-in portal");
  return value;
}

/** Whether the viewer may do `scope` on the current chart (their own chart allows all). */
export function allows(chart: Chart, scope: Scope): boolean {
  return chart.relationship === "self" || chart.scopes.includes(scope);
}
