// Where the patient is signed in (devices and browsers), with a way to sign out of each: shown
// here once the API lists sessions. Until then it shows nothing.
export function SessionsSection() {
  return null;
}
