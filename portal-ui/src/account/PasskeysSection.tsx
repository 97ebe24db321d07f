// Passkeys (sign in with the phone's or computer's lock instead of a password): listed, added
// and removed here once the API offers passkeys. Until then it shows nothing.
export function PasskeysSection() {
  return null;
}
