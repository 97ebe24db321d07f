// What the portal's journeys share: the portal's address (at /t/lakeside/ or on a practice's
// own host), signing a patient in, and the console suite's helpers (API calls, TOTP codes,
// axe, screenshots, the outbox).
import { expect, type APIRequestContext, type Page } from "@playwright/test";
import { FRONT_DESK, PASSWORD, api, baseUrl, freshCode } from "../../admin-ui/e2e/support";

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

/** A staff member's access token for API calls (the front desk unless named), with a fresh
 * two-step code. */
export async function staffToken(request: APIRequestContext, email = FRONT_DESK): Promise<string> {
  const data = await api<{ signIn: { session: { accessToken: string } } }>(
    request,
    "lakeside",
    `mutation($e: String!, $p: String!, $c: String) { signIn(input: { email: $e, password: $p, totpCode: $c }) { session { accessToken } } }`,
    { e: email, p: PASSWORD, c: await freshCode(email) },
  );
  return data.signIn.session.accessToken;
}

/** A new portal account at the demo practice, registered by the front desk and activated
 * with the shared password: its email address. */
export async function newPatientAccount(
  request: APIRequestContext,
  person: { givenName: string; familyName: string; birthDate: string; gender: string },
): Promise<string> {
  const staff = await staffToken(request);
  const email = `${person.givenName.toLowerCase()}.${Date.now()}@example.com`;
  const created = await api<{ createPatient: { patient: { id: string } } }>(
    request,
    "lakeside",
    `mutation($i: CreatePatientInput!) { createPatient(input: $i) { patient { id } userErrors { code } } }`,
    { i: { ...person, email } },
    staff,
  );
  const issued = await api<{ issueActivationCode: { code: string } }>(
    request,
    "lakeside",
    `mutation($i: IssueActivationCodeInput!) { issueActivationCode(input: $i) { code userErrors { code } } }`,
    { i: { patientId: created.createPatient.patient.id } },
    staff,
  );
  await api(request, "lakeside", `mutation($i: ActivatePatientAccountInput!) { activatePatientAccount(input: $i) { userErrors { code } } }`, {
    i: { code: issued.issueActivationCode.code, birthDate: person.birthDate, email, password: PASSWORD },
  });
  return email;
}
