// The signed-in person for every page: the session store, the urql client built on it and
// `me` (role, practice, notices). Pages read it with `useConsole()`.
import { createContext, useContext } from "react";
import type { SessionStore } from "@portico/client";
import type { MeQuery } from "@portico/client/gql/graphql";

export type Me = MeQuery["me"];

export interface ConsoleContext {
  session: SessionStore;
  me: Me;
  practice: string;
  reloadMe: () => void;
  signOut: () => void;
}

export const ConsoleContextValue = createContext<ConsoleContext | null>(null);

export function useConsole(): ConsoleContext {
  const value = useContext(ConsoleContextValue);
  if (!value) throw new Error("useConsole outside the signed-in console");
  return value;
}

export type Role = "operator" | "practice_admin" | "provider" | "staff";

export function roleOf(me: Me): Role {
  return me.role as Role;
}
