// Sign-in and security: a patient sees where they are signed in and signs another device
// out (that device is signed out at once), and changes their password (the current one
// checked, other devices signed out), in English and Spanish.
import { expect, test, type APIRequestContext } from "@playwright/test";
import { FRONT_DESK, PASSWORD, api, expectAccessible, freshCode, portalUrl, screenshot } from "./support";

const FIRST_PASSWORD = "quiet river stones 17";
const SECOND_PASSWORD = "seven lanterns by the bay";

async function newPatient(request: APIRequestContext): Promise<string> {
  const staff = await api<{ signIn: { session: { accessToken: string } } }>(
    request,
    "lakeside",
    `mutation($e: String!, $p: String!, $c: String) { signIn(input: { email: $e, password: $p, totpCode: $c }) { session { accessToken } } }`,
    { e: FRONT_DESK, p: PASSWORD, c: await freshCode(FRONT_DESK) },
  );
  const token = staff.signIn.session.accessToken;
  const email = `lee.${Date.now()}@example.com`;
  const created = await api<{ createPatient: { patient: { id: string } } }>(
    request,
    "lakeside",
    `mutation($input: CreatePatientInput!) { createPatient(input: $input) { patient { id } userErrors { code } } }`,
    { input: { givenName: "Lee", familyName: "Park", birthDate: "1979-02-14", gender: "female", email } },
    token,
  );
  const issued = await api<{ issueActivationCode: { code: string } }>(
    request,
    "lakeside",
    `mutation($id: ID!) { issueActivationCode(input: { patientId: $id }) { code userErrors { code } } }`,
    { id: created.createPatient.patient.id },
    token,
  );
  await api(request, "lakeside", `mutation($input: ActivatePatientAccountInput!) { activatePatientAccount(input: $input) { userErrors { code } } }`, {
    input: { code: issued.issueActivationCode.code, birthDate: "1979-02-14", email, password: FIRST_PASSWORD },
  });
  return email;
}

async function signIn(page: import("@playwright/test").Page, email: string, password: string) {
  await page.goto(portalUrl("/"));
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Hello, Lee" })).toBeVisible();
}

test("a patient signs another device out and changes their password", async ({ browser, request }, testInfo) => {
  test.setTimeout(120_000);
  const email = await newPatient(request);
  const laptop = await (await browser.newContext({ locale: "en-US" })).newPage();
  const phone = await (await browser.newContext({ locale: "en-US", viewport: { width: 360, height: 780 } })).newPage();
  await signIn(phone, email, FIRST_PASSWORD);
  await signIn(laptop, email, FIRST_PASSWORD);

  await laptop.goto(portalUrl("/profile/security"));
  const sessions = laptop.locator("section").filter({ has: laptop.getByRole("heading", { name: "Where you are signed in" }) });
  // Activation (through the API), the phone and this laptop; the most recently active first.
  await expect(sessions.getByRole("listitem")).toHaveCount(3);
  await expect(sessions.getByRole("listitem").first()).toContainText("This device (you are using it now)");
  await expect(sessions.getByText("This device (you are using it now)")).toHaveCount(1);
  await expect(sessions.getByText(/Chrome · Linux/).first()).toBeVisible();
  await expectAccessible(laptop, testInfo, "portal-security-en");
  await screenshot(laptop, "portal-security-sessions");

  // The other one signed out: the phone's next page load finds no session.
  await sessions.getByRole("listitem").nth(1).getByRole("button", { name: "Sign out Chrome · Linux" }).click();
  await expect(sessions.getByRole("status")).toHaveText("That device is signed out.");
  await expect(sessions.getByRole("listitem")).toHaveCount(2);
  await phone.reload();
  await expect(phone.getByRole("heading", { level: 1, name: "Sign in to Lakeside Family Medicine" })).toBeVisible();

  // A password change: the current one must be right; the new one follows the rules.
  await signIn(phone, email, FIRST_PASSWORD);
  const change = laptop.locator("section").filter({ has: laptop.getByRole("heading", { name: "Change your password" }) });
  await change.getByLabel("Current password").fill("not my password at all");
  await change.getByLabel("New password").fill(SECOND_PASSWORD);
  await change.getByRole("button", { name: "Change password" }).click();
  await expect(change.getByRole("alert").filter({ hasText: "There is a problem" })).toContainText("That is not your current password.");
  await expect(change.getByLabel("New password")).toHaveValue(SECOND_PASSWORD);
  await change.getByLabel("Current password").fill(FIRST_PASSWORD);
  await change.getByRole("button", { name: "Change password" }).click();
  await expect(change.getByRole("status")).toHaveText("Your password is changed. We signed out 2 other devices.");
  await expect(sessions.getByRole("listitem")).toHaveCount(1);
  await phone.reload();
  await expect(phone.getByRole("heading", { level: 1, name: "Sign in to Lakeside Family Medicine" })).toBeVisible();
  await signIn(phone, email, SECOND_PASSWORD);

  await laptop.getByLabel("Language").selectOption("es");
  await expect(laptop.getByRole("heading", { name: "Dónde tiene la sesión iniciada" })).toBeVisible();
  await expect(laptop.getByRole("heading", { name: "Cambiar su contraseña" })).toBeVisible();
  await expectAccessible(laptop, testInfo, "portal-security-es");
  await screenshot(laptop, "portal-security-es");
  await laptop.getByLabel("Idioma").selectOption("en");
});
