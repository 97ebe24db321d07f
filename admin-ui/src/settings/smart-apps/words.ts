// What the patient apps page says: its fields, the API's refusals at those fields, and an
// app's or backend service's kind and state in words.
export const LABELS = { name: "Name", redirectUris: "Redirect URIs", confidential: "Kind of app" };

/** The backend service form's fields (ids of their own: the app form has a "name" too). */
export const SERVICE_LABELS = { serviceName: "Name", jwks: "Public key set" };

/** The API's field for each of the backend service form's own. */
export const SERVICE_FIELDS: Record<string, string> = { name: "serviceName", jwks: "jwks" };

export const JWKS_RULE =
  'Paste the JSON Web Key Set the developer gives you; it starts with {"keys": and holds 1 to 10 public keys, RSA or EC on P-384, each with a kid of its own.';

export const REDIRECT_RULE =
  "Give 1 to 10 addresses, one per line. Each must start with https:// (http:// only to localhost or 127.0.0.1, while the app is being built), or be a phone app's own scheme such as com.example.app:/callback, and must not contain a # part.";

export const SENTENCES: Record<string, string> = {
  "name:INVALID_NAME": "Enter the app's name, 1 to 100 characters, for example Health Diary.",
  "redirectUris:INVALID_REDIRECT_URI": `Check the redirect URIs. ${REDIRECT_RULE}`,
};

/** The API's refusals at the backend service form's fields. */
export const SERVICE_SENTENCES: Record<string, string> = {
  "name:INVALID_NAME": "Enter the service's name, 1 to 100 characters, for example Data warehouse.",
  "jwks:INVALID_JWKS": `Check the public key set. ${JWKS_RULE}`,
};

/**
 * The key set's refusal in the page's words, told apart by the API's reason, so the admin
 * knows what to ask the developer for; the general sentence when the reason is unknown.
 */
export function jwksProblem(reason: string | undefined): string {
  const why = reason ?? "";
  if (/private/i.test(why)) return "This key set holds a private key. Ask the developer for the public keys only: the private key never leaves the service.";
  if (/\bkid\b/i.test(why)) return "Each key needs a key ID (kid) of its own. Ask the developer to give every key a different kid.";
  if (/RSA|P-384/.test(why)) return "Each key must be an RSA key or an EC key on the P-384 curve. Ask the developer for keys of those kinds.";
  if (/1 to \d+ keys/.test(why)) return "The key set must hold 1 to 10 keys.";
  if (/20,000/.test(why)) return "The key set is too long: it may take 20,000 characters.";
  return SERVICE_SENTENCES["jwks:INVALID_JWKS"]!;
}

export const KINDS = {
  public: { label: "Public app", about: "runs in a browser or on a phone; proves itself with PKCE" },
  confidential: { label: "Confidential app", about: "runs on a server and can keep a secret" },
} as const;

export const kindInWords = (app: { confidential: boolean; backendService: boolean }) =>
  app.backendService ? "Backend service (bulk export)" : app.confidential ? "Confidential" : "Public";

/** The addresses typed in the box, one per line, blank lines left out. */
export function linesOf(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}
