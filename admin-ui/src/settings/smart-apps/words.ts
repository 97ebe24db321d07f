// What the patient apps page says: its fields, the API's refusals at those fields, and an
// app's kind and state in words.
export const LABELS = { name: "Name", redirectUris: "Redirect URIs", confidential: "Kind of app" };

export const REDIRECT_RULE =
  "Give 1 to 10 addresses, one per line. Each must start with https:// (http:// only to localhost or 127.0.0.1, while the app is being built), or be a phone app's own scheme such as com.example.app:/callback, and must not contain a # part.";

export const SENTENCES: Record<string, string> = {
  "name:INVALID_NAME": "Enter the app's name, 1 to 100 characters, for example Health Diary.",
  "redirectUris:INVALID_REDIRECT_URI": `Check the redirect URIs. ${REDIRECT_RULE}`,
};

export const KINDS = {
  public: { label: "Public app", about: "runs in a browser or on a phone; proves itself with PKCE" },
  confidential: { label: "Confidential app", about: "runs on a server and can keep a secret" },
} as const;

export const kindInWords = (confidential: boolean) => (confidential ? "Confidential" : "Public");

/** The addresses typed in the box, one per line, blank lines left out. */
export function linesOf(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}
