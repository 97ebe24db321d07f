// The signed-in session of one browser tab. The access token lives in this object only (never
// in storage); the refresh token is an HttpOnly cookie the server sets, so script never sees
// it. A reload restores the session by refreshing from that cookie.
import { graphql } from "./gql";
import { ApiFailure, post } from "./transport";

const SignInMutation = graphql(`
  mutation SignIn($input: SignInInput!) {
    signIn(input: $input) {
      session {
        ...SessionFields
      }
    }
  }
`);

const RefreshMutation = graphql(`
  mutation RefreshSession {
    refreshSession(input: {}) {
      session {
        ...SessionFields
      }
    }
  }
`);

const SignOutMutation = graphql(`
  mutation SignOut {
    signOut {
      signedOut
    }
  }
`);

graphql(`
  fragment SessionFields on Session {
    accessToken
    accessTokenExpiresAt
    refreshTokenExpiresAt
    mfaEnrolmentRequired
  }
`);

/** What a payload's `session` carries (its refresh token stays in the cookie). */
export interface IssuedSession {
  accessToken: string;
  accessTokenExpiresAt: string;
  refreshTokenExpiresAt: string;
  mfaEnrolmentRequired: boolean;
}

export interface SessionState {
  accessToken: string;
  accessExpiresAt: number;
  /** Unused past this instant the session ends: the practice's automatic log-off. */
  idleExpiresAt: number;
  mfaEnrolmentRequired: boolean;
}

export type SignInInput = { email: string; password: string; totpCode?: string | null; recoveryCode?: string | null };

type Listener = (state: SessionState | null) => void;

export class SessionStore {
  private state: SessionState | null = null;
  private listeners = new Set<Listener>();
  private refreshing: Promise<boolean> | null = null;

  /** `tenant` is the practice's slug, or null when the host names the practice. */
  constructor(readonly tenant: string | null) {}

  get current(): SessionState | null {
    return this.state;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Takes the session any payload hands out (sign-in, sign-up, invitation, TOTP). */
  accept(session: IssuedSession): void {
    this.set({
      accessToken: session.accessToken,
      accessExpiresAt: Date.parse(session.accessTokenExpiresAt),
      idleExpiresAt: Date.parse(session.refreshTokenExpiresAt),
      mfaEnrolmentRequired: session.mfaEnrolmentRequired,
    });
  }

  async signIn(input: SignInInput): Promise<void> {
    const data = await post(SignInMutation, { input }, this.tenant);
    this.accept(data.signIn.session);
  }

  /**
   * New tokens from the cookie; false when there is no session to continue. Concurrent
   * callers share one request, since a refresh token used twice ends the session.
   */
  refresh(): Promise<boolean> {
    if (!this.refreshing) {
      this.refreshing = post(RefreshMutation, {}, this.tenant)
        .then((data) => {
          this.accept(data.refreshSession.session);
          return true;
        })
        .catch((e: unknown) => {
          if (e instanceof ApiFailure && e.code === "UNAUTHENTICATED") {
            this.set(null);
            return false;
          }
          throw e;
        })
        .finally(() => {
          this.refreshing = null;
        });
    }
    return this.refreshing;
  }

  /**
   * Ends the session on the server (its refresh cookie cleared, its tokens revoked), then in
   * this tab. An access token at or near its end is refreshed first: the server only ends a
   * session for a valid token, and a cookie left behind would restore it on the next load.
   */
  async signOut(): Promise<void> {
    try {
      if (this.state && this.state.accessExpiresAt - Date.now() < 20_000) await this.refresh();
      const token = this.state?.accessToken;
      if (token) await post(SignOutMutation, {}, this.tenant, token);
    } finally {
      // The tab forgets the tokens whatever happened; a failure to reach the server is the
      // caller's to report (the cookie then lapses at the idle time-out).
      this.set(null);
    }
  }

  /** Ends the session in this tab without asking the server (it already ended). */
  forget(): void {
    this.set(null);
  }

  private set(state: SessionState | null): void {
    this.state = state;
    for (const listener of this.listeners) listener(state);
  }
}
