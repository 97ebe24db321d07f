// Where this page was opened: at /t/{slug}/ (any host, local use) the slug names the practice
// and every route lives under that prefix; at / on a practice's own host the server resolves
// the practice from the host, and the page sends no practice header at all.
const match = /^\/t\/([a-z0-9-]+)(?=\/|$)/.exec(window.location.pathname);

export const PRACTICE_SLUG: string | null = match?.[1] ?? null;

/** The router's basename: `/t/{slug}` or `/`. */
export const BASENAME: string = match ? `/t/${match[1]}` : "/";

/** An absolute path in this portal, e.g. `portalPath("/book")`. */
export function portalPath(path: string): string {
  return `${BASENAME === "/" ? "" : BASENAME}${path}`;
}
