// Joining a practice's staff from the emailed link: choose the name colleagues see and a
// password. The token is read from the link's fragment (never sent in a URL) and removed
// from the address bar at once; two-step verification is set up next.
import { useState, type FormEvent } from "react";
import { fieldProblems, graphql, post, problemOf, SessionStore } from "@portico/client";
import { ErrorSummary, Field } from "../components/PageState";

const Accept = graphql(`
  mutation AcceptInvitation($input: AcceptInvitationInput!) {
    acceptInvitation(input: $input) {
      session {
        accessToken
        accessTokenExpiresAt
        refreshTokenExpiresAt
        mfaEnrolmentRequired
      }
      userErrors {
        field
        code
        message
      }
    }
  }
`);

const LABELS = { displayName: "Your name", password: "Choose a password", token: "Invitation" };

/** The practice and token of an invitation link, if this page was opened from one. */
export function invitationFromLocation(): { practice: string; token: string } | null {
  if (!window.location.pathname.startsWith("/console/accept-invitation")) return null;
  const practice = new URLSearchParams(window.location.search).get("practice");
  const token = new URLSearchParams(window.location.hash.slice(1)).get("token");
  if (!practice || !token) return null;
  window.history.replaceState(null, "", `/console/accept-invitation?practice=${encodeURIComponent(practice)}`);
  return { practice, token };
}

export function AcceptInvitationPage({
  invitation,
  onJoined,
}: {
  invitation: { practice: string; token: string };
  onJoined: (store: SessionStore) => void;
}) {
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    const missing: Record<string, string> = {};
    if (!name.trim()) missing.displayName = "Enter the name your colleagues will see.";
    if (!password) missing.password = "Choose a password.";
    setProblems(missing);
    if (Object.keys(missing).length) return;
    setBusy(true);
    try {
      const data = await post(Accept, { input: { token: invitation.token, displayName: name.trim(), password } }, invitation.practice);
      const payload = data.acceptInvitation;
      if (payload.userErrors.length) return setProblems(fieldProblems(payload.userErrors));
      if (!payload.session) return setProblems({ _: "The invitation could not be accepted. Ask for a new one." });
      const store = new SessionStore(invitation.practice);
      store.accept(payload.session);
      window.history.replaceState(null, "", "/console/");
      onJoined(store);
    } catch (e) {
      setProblems({ _: problemOf(e).sentence });
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="sign-in-layout">
      <main id="main" className="sign-in-card">
        <h1>Join your practice on Portico</h1>
        <p>You were invited to the staff of this practice. Choose the name your colleagues see and a password.</p>
        <form onSubmit={submit} noValidate>
          <ErrorSummary problems={problems} labels={LABELS} />
          <Field name="displayName" label={LABELS.displayName} error={problems.displayName}>
            {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} autoComplete="name" />}
          </Field>
          <Field name="password" label={LABELS.password} hint="At least 12 characters; a few unrelated words work well." error={problems.password}>
            {(p) => <input {...p} type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" />}
          </Field>
          <button type="submit" className="primary" disabled={busy}>
            Join
          </button>
        </form>
      </main>
    </div>
  );
}
