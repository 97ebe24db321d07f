// What the portal's journeys share: the portal's address (at /t/lakeside/ or on a practice's
// own host), signing a patient in, and the console suite's helpers (API calls, TOTP codes,
// axe, screenshots, the outbox).
import { expect, type Page } from "@playwright/test";
import { baseUrl } from "../../admin-ui/e2e/support";

export {
  PASSWORD,
  PATIENT,
  ADMIN,
  FRONT_DESK,
  api,
  baseUrl,
  emailContaining,
  expectAccessible,
  freshCode,
  patientToken,
  screenshot,
  signInConsole,
} from "../../admin-ui/e2e/support";
export { serverState } from "../../admin-ui/e2e/server-state";

/** A page of the demo practice's portal at /t/lakeside/ (local use). */
export function portalUrl(path = "/", slug = "lakeside"): string {
  return `${baseUrl()}/t/${slug}${path}`;
}

/** A page of a practice's portal on its own host, `{slug}.localhost`. */
export function hostUrl(slug: string, path = "/"): string {
  return `${baseUrl(`${slug}.localhost`)}${path}`;
}

/** Signs a patient in with email and password from the sign-in page. */
export async function signInPortal(page: Page, email: string, password: string, path = "/"): Promise<void> {
  await page.goto(portalUrl(path));
  await page.getByLabel(/^Email address$|^Correo electrónico$/).fill(email);
  await page.getByLabel(/^Password$|^Contraseña$/).fill(password);
  await page.getByRole("button", { name: /^Sign in$|^Iniciar sesión$/ }).click();
  await expect(page.getByRole("navigation", { name: /Main|Principal/ })).toBeVisible();
}
