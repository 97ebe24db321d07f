// Whether someone is signed in on this page. One session store per page (the practice is
// fixed by the address); a reload continues the session from its HttpOnly refresh cookie.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { createPorticoClient, SessionStore, type Client } from "@portico/client";
import { PRACTICE_SLUG } from "./address";

export type Phase =
  | { kind: "restoring" }
  | { kind: "signed-out"; reason?: "ended" | "signed-out" }
  | { kind: "signed-in"; client: Client };

interface Auth {
  session: SessionStore;
  phase: Phase;
  /** After a sign-in, activation or passkey sign-in has put a session in the store. */
  signedIn: () => void;
  signedOut: (reason?: "ended" | "signed-out") => void;
}

const AuthContext = createContext<Auth | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [session] = useState(() => new SessionStore(PRACTICE_SLUG));
  const [phase, setPhase] = useState<Phase>({ kind: "restoring" });

  // A fresh client per sign-in: nothing cached for one person is shown to the next.
  const signedIn = useCallback(() => setPhase({ kind: "signed-in", client: createPorticoClient(session) }), [session]);
  const signedOut = useCallback((reason?: "ended" | "signed-out") => setPhase({ kind: "signed-out", reason }), []);

  useEffect(() => {
    let live = true;
    session
      .refresh()
      .then((ok) => live && (ok ? signedIn() : signedOut()))
      .catch(() => live && signedOut());
    return () => {
      live = false;
    };
  }, [session, signedIn, signedOut]);

  const value = useMemo(() => ({ session, phase, signedIn, signedOut }), [session, phase, signedIn, signedOut]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const value = useContext(AuthContext);
  if (!value) throw new Error("useAuth outside AuthProvider");
  return value;
}
