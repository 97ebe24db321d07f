// The API's stable error codes as sentences a person can act on. Pages never show a raw code,
// a UUID or a stack; the request id is shown small, for support.
import type { CombinedError } from "@urql/core";
import { ApiFailure } from "./transport";

const SENTENCES: Record<string, string> = {
  NETWORK: "Portico could not be reached. Check your connection and try again.",
  UNAVAILABLE: "Portico is starting or busy. Try again in a moment.",
  INTERNAL: "Something went wrong on our side. Try again; if it keeps happening, contact support.",
  UNAUTHENTICATED: "Your session has ended. Sign in again to continue.",
  FORBIDDEN: "Your role does not allow this. Ask a practice admin if you need it.",
  INVALID_CREDENTIALS: "That email, password or code is not right, or the account is locked for a while.",
  MFA_REQUIRED: "Enter the 6-digit code from your authenticator app.",
  MFA_ENROLMENT_REQUIRED: "Set up two-step verification before you continue.",
  INVALID_TOTP_CODE: "That code is not right. Enter the current code from your app.",
  TENANT_NOT_FOUND: "There is no practice at that address. Check the practice name.",
  TENANT_SUSPENDED: "This practice is suspended, so new work is refused. Admins can settle billing to reopen it.",
  RATE_LIMITED: "Too many attempts. Wait a minute and try again.",
  CSRF_REJECTED: "The request came from another site and was refused.",
  NOT_FOUND: "It is no longer there. It may have been removed.",
  BAD_USER_INPUT: "Some of what you entered is not valid.",
  BREAK_GLASS_REQUIRED: "This chart is restricted. State why you need it to open it.",
  REASON_REQUIRED: "Give a reason.",
  REASON_TOO_SHORT: "Give a longer reason: a few words that someone reviewing it will understand.",
  SLOT_UNAVAILABLE: "That time was just taken. Choose another.",
  INSIDE_CANCELLATION_WINDOW: "This visit is inside the cancellation window.",
  REFILL_ALREADY_DECIDED: "Someone already decided this request.",
  THREAD_CLOSED: "This conversation is closed.",
  MESSAGE_EMPTY: "Write a message first.",
  MESSAGE_TOO_LONG: "The message is too long.",
  INVALID_EMAIL: "Enter an email address like name@example.com.",
  INVALID_PHONE: "Enter a phone number with its area code.",
  INVALID_DATE: "Enter a real date.",
  INVALID_NAME: "Enter a name.",
  REQUIRED: "This is required.",
  TOO_LONG: "This is too long.",
  WEAK_PASSWORD: "Choose a longer password.",
  PAYMENT_PROVIDER_UNAVAILABLE: "The payment provider could not be reached. Try again in a moment.",
  PAYMENT_PROVIDER_REFUSED: "The payment provider refused the request.",
  BILLING_OFF: "Billing is not set up on this Portico.",
  EHR_NOT_CONNECTED: "No EHR is connected yet.",
  POOL_NAME_TAKEN: "A pool already has that name.",
};

export function sentenceFor(code: string | undefined, fallback?: string): string {
  if (code && SENTENCES[code]) return SENTENCES[code];
  return fallback ?? SENTENCES.INTERNAL!;
}

export interface Problem {
  code: string;
  sentence: string;
  requestId?: string;
}

/** One problem from whatever failed: an urql result error or a thrown `ApiFailure`. */
export function problemOf(error: CombinedError | unknown): Problem {
  if (error instanceof ApiFailure) {
    return { code: error.code, sentence: sentenceFor(error.code), requestId: error.requestId };
  }
  const combined = error as CombinedError | undefined;
  if (combined?.networkError) return { code: "NETWORK", sentence: sentenceFor("NETWORK") };
  const first = combined?.graphQLErrors?.[0];
  const code = (first?.extensions?.code as string | undefined) ?? "INTERNAL";
  const requestId = first?.extensions?.requestId as string | undefined;
  return { code, sentence: sentenceFor(code), requestId };
}

/** A `userErrors` entry: the field it names and a sentence for it. */
export interface FieldProblem {
  field: string;
  code: string;
  message: string;
}

/** `userErrors` by field, with the server's own sentence when no better one is known. */
export function fieldProblems(errors: readonly FieldProblem[] | undefined): Record<string, string> {
  const byField: Record<string, string> = {};
  for (const e of errors ?? []) {
    byField[e.field || "_"] ??= sentenceFor(e.code, capitalise(e.message));
  }
  return byField;
}

function capitalise(message: string): string {
  const s = message.trim();
  if (!s) return s;
  const first = s.charAt(0).toUpperCase() + s.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}
