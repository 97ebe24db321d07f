// Automatic log-off as the practice sets it: the server ends a session unused for its idle
// time; the tab keeps it alive while the person works, warns a minute before it ends, and
// signs out when it does.
import { useEffect, useState } from "react";
import type { SessionStore } from "./session";

export const WARNING_MS = 60_000;
const ACTIVITY_EVENTS = ["pointerdown", "keydown", "wheel", "touchstart"] as const;

export interface IdleState {
  /** Milliseconds left when the warning is showing, else null. */
  warningLeftMs: number | null;
  /** Keeps the session (the "Stay signed in" button). */
  stay: () => void;
}

export function useIdleLogoff(session: SessionStore, onEnded: () => void): IdleState {
  const [now, setNow] = useState(() => Date.now());
  const [idleExpiresAt, setIdleExpiresAt] = useState(() => session.current?.idleExpiresAt ?? null);

  useEffect(() => session.subscribe((s) => setIdleExpiresAt(s?.idleExpiresAt ?? null)), [session]);

  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, []);

  // Activity renews the session once a third of the idle window has passed, so a person
  // working never sees the warning, and one who walks away does.
  useEffect(() => {
    let issuedAt = Date.now();
    const onActivity = () => {
      const state = session.current;
      if (!state) return;
      const window_ = state.idleExpiresAt - issuedAt;
      if (Date.now() - issuedAt > window_ / 3 && state.idleExpiresAt - Date.now() > WARNING_MS) {
        issuedAt = Date.now();
        void session.refresh();
      }
    };
    const unsubscribe = session.subscribe(() => {
      issuedAt = Date.now();
    });
    for (const name of ACTIVITY_EVENTS) window.addEventListener(name, onActivity, { passive: true });
    return () => {
      unsubscribe();
      for (const name of ACTIVITY_EVENTS) window.removeEventListener(name, onActivity);
    };
  }, [session]);

  useEffect(() => {
    if (idleExpiresAt !== null && now >= idleExpiresAt) {
      session.forget();
      onEnded();
    }
  }, [now, idleExpiresAt, session, onEnded]);

  const left = idleExpiresAt === null ? null : idleExpiresAt - now;
  return {
    warningLeftMs: left !== null && left > 0 && left <= WARNING_MS ? left : null,
    stay: () => void session.refresh(),
  };
}
