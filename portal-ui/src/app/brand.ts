// The practice's look, applied to the whole page before sign-in: its name as the title, its
// logo (or its initial) as the favicon, its colour as the accent. A colour too light for
// white text is darkened until it reaches WCAG AA contrast (4.5:1), never used as it is.
export interface Brand {
  slug: string;
  displayName: string;
  logoUrl: string | null;
  primaryColor: string;
  timeZone: string;
  status: string;
  phone: string | null;
}

function channel(v: number): number {
  const s = v / 255;
  return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
}

function luminance([r, g, b]: [number, number, number]): number {
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

function parse(hex: string): [number, number, number] | null {
  const m = /^#([0-9a-f]{6})$/i.exec(hex.trim());
  if (!m) return null;
  const n = parseInt(m[1]!, 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function toHex(rgb: [number, number, number]): string {
  return `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, "0")).join("")}`;
}

/** The page's background (styles.css `--page`), the lightest the accent is drawn against
 * after white text on it. */
const PAGE: [number, number, number] = [0xf5, 0xf6, 0xf8];

/** Contrast of `rgb` against the page background (less than against white text). */
function contrastWithPage(rgb: [number, number, number]): number {
  return (luminance(PAGE) + 0.05) / (luminance(rgb) + 0.05);
}

/** The brand colour, darkened just enough for white text on it and links in it on the page
 * to pass AA. */
export function accessibleAccent(hex: string): string {
  let rgb = parse(hex) ?? [31, 41, 55];
  for (let i = 0; i < 40 && contrastWithPage(rgb) < 4.6; i++) {
    rgb = [rgb[0] * 0.92, rgb[1] * 0.92, rgb[2] * 0.92];
  }
  return toHex(rgb);
}

/** A small icon with the practice's initial, for practices without a logo. */
function initialIcon(name: string, color: string): string {
  const letter = (name.trim().charAt(0) || "P").toUpperCase().replace(/[<>&"']/g, "");
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="${color}"/><text x="16" y="22" font-family="sans-serif" font-size="18" font-weight="700" text-anchor="middle" fill="#fff">${letter}</text></svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

export function applyBrand(brand: Brand, pageTitle: string): void {
  const accent = accessibleAccent(brand.primaryColor);
  document.documentElement.style.setProperty("--brand", accent);
  document.title = pageTitle;
  let icon = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
  if (!icon) {
    icon = document.createElement("link");
    icon.rel = "icon";
    document.head.appendChild(icon);
  }
  if (brand.logoUrl?.startsWith("https://")) {
    icon.removeAttribute("type");
    icon.href = brand.logoUrl;
  } else {
    icon.type = "image/svg+xml";
    icon.href = initialIcon(brand.displayName, accent);
  }
}
