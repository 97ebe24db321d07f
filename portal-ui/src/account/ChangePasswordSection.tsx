// Changing the password while signed in (the current one, then a new one with the strength
// meter from ./NewPassword): shown here once the API offers changePassword and publishes its
// password policy. Until then it shows nothing; a forgotten password is reset by email.
export function ChangePasswordSection() {
  return null;
}
