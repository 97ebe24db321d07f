// Which practice the console talks to. On a practice's own host (`{slug}.{base domain}`) the
// host says it; on a shared host (localhost) the slug chosen at sign-in is remembered for the
// tab and sent as `X-Portico-Tenant`. A slug is not a secret, so sessionStorage is fine for it.
const KEY = "portico.console.practice";

export function rememberedPractice(): string | null {
  const fromUrl = new URLSearchParams(window.location.search).get("practice");
  if (fromUrl) return fromUrl;
  return window.sessionStorage.getItem(KEY);
}

export function rememberPractice(slug: string): void {
  window.sessionStorage.setItem(KEY, slug);
}
