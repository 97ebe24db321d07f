// How strong a new password looks, for the meter shown while the patient types. The server
// has the last word (its policy refuses short, common and personal passwords).

/** The server's default minimum, used until `passwordPolicy` answers (./policy.ts). */
export const MIN_PASSWORD_LENGTH = 12;

export type Strength = "empty" | "tooShort" | "weak" | "fair" | "strong";

const COMMON_PIECES = ["password", "passw0rd", "123456", "qwerty", "letmein", "welcome", "abc123", "iloveyou", "admin"];

/** A rough guess from the length and the kinds of characters; `personal` are the name and
 * email, which make a password weak when it contains them. */
export function strengthOf(password: string, personal: string[] = [], min = MIN_PASSWORD_LENGTH): Strength {
  if (!password) return "empty";
  const length = [...password].length;
  if (length < min) return "tooShort";
  const lower = password.toLowerCase();
  const kinds = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  const unique = new Set(lower).size;
  const common = COMMON_PIECES.some((p) => lower.includes(p));
  const mine = personal.some((p) => p.length >= 4 && lower.includes(p.toLowerCase()));
  if (common || mine || unique < 5) return "weak";
  if (length >= 16 || (length >= 14 && kinds >= 3)) return "strong";
  if (kinds >= 2 || length >= 14) return "fair";
  return "weak";
}

/** How much of the bar is filled, out of 4. */
export function strengthLevel(strength: Strength): number {
  return { empty: 0, tooShort: 1, weak: 2, fair: 3, strong: 4 }[strength];
}
