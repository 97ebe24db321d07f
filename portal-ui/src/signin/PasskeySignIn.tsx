// Sign in with a passkey (WebAuthn). Filled in once the API offers passkeys.
export function PasskeySignIn(_: { next: string }) {
  return null;
}
