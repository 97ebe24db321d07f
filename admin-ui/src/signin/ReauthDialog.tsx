// The session ended while a page was open: sign in again here, over the page, and carry on
// where you were.
import { Dialog, Heading, Modal } from "react-aria-components";
import type { SessionStore } from "@portico/client";
import { SignInForm } from "./SignInPage";

export function ReauthDialog({ session, email, onCancel }: { session: SessionStore; email: string; onCancel: () => void }) {
  return (
    <Modal isOpen isDismissable={false} className="modal">
      <Dialog className="dialog" aria-labelledby="reauth-title">
        <Heading slot="title" id="reauth-title">
          Your session ended
        </Heading>
        <p>You were signed out, after a time without activity or because your access changed. Sign in again to carry on; what you typed is kept.</p>
        <SignInForm practice={session.tenant} store={session} email={email} onSignedIn={() => undefined} idPrefix="reauth-" />
        <button type="button" className="link-button" onClick={onCancel}>
          Leave the console
        </button>
      </Dialog>
    </Modal>
  );
}
