// Passkeys in Chromium's virtual authenticator (the DevTools protocol's WebAuthn domain: a
// platform authenticator with discoverable credentials and user verification): a new
// patient activates, adds a passkey on the security page, signs out and signs back in with
// the passkey alone; a second passkey is listed; a removed passkey no longer signs in.
import { expect, test, type APIRequestContext, type BrowserContext, type Page } from "@playwright/test";
import { FRONT_DESK, PASSWORD, api, expectAccessible, freshCode, portalUrl, screenshot } from "./support";

const NEW_PASSWORD = "blue heron at dawn 42";

async function frontDesk(request: APIRequestContext): Promise<string> {
  const data = await api<{ signIn: { session: { accessToken: string } } }>(
    request,
    "lakeside",
    `mutation($e: String!, $p: String!, $c: String) { signIn(input: { email: $e, password: $p, totpCode: $c }) { session { accessToken } } }`,
    { e: FRONT_DESK, p: PASSWORD, c: await freshCode(FRONT_DESK) },
  );
  return data.signIn.session.accessToken;
}

/** A virtual platform authenticator (like a phone's or laptop's) for the page's browser. */
async function virtualAuthenticator(context: BrowserContext, page: Page): Promise<{ credentials: () => Promise<number>; remove: () => Promise<void> }> {
  const cdp = await context.newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return {
    credentials: async () => (await cdp.send("WebAuthn.getCredentials", { authenticatorId })).credentials.length,
    remove: async () => {
      await cdp.send("WebAuthn.removeVirtualAuthenticator", { authenticatorId });
    },
  };
}

test("a new patient activates, adds a passkey and signs in with it alone; a removed passkey no longer works", async ({ browser, request }, testInfo) => {
  test.setTimeout(120_000);
  const token = await frontDesk(request);
  const email = `sam.${Date.now()}@example.com`;
  const created = await api<{ createPatient: { patient: { id: string } } }>(
    request,
    "lakeside",
    `mutation($input: CreatePatientInput!) { createPatient(input: $input) { patient { id } userErrors { code } } }`,
    { input: { givenName: "Sam", familyName: "Okoro", birthDate: "1985-07-03", gender: "male", email } },
    token,
  );
  const issued = await api<{ issueActivationCode: { code: string } }>(
    request,
    "lakeside",
    `mutation($id: ID!) { issueActivationCode(input: { patientId: $id }) { code userErrors { code } } }`,
    { id: created.createPatient.patient.id },
    token,
  );

  const context = await browser.newContext({ locale: "en-US" });
  const page = await context.newPage();
  const authenticator = await virtualAuthenticator(context, page);

  // Activation in the portal.
  await page.goto(portalUrl("/activate"));
  await page.getByLabel("Activation code").fill(issued.issueActivationCode.code);
  await page.getByLabel("Month").fill("7");
  await page.getByLabel("Day").fill("3");
  await page.getByLabel("Year").fill("1985");
  await page.getByLabel("Email address").fill(email);
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByLabel("New password").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Create my account" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Your account is ready" })).toBeVisible();

  // Joining offers a passkey as well as two-step codes: Sam adds one under a name.
  const join = page.locator("section").filter({ has: page.getByRole("heading", { name: "Or use a passkey (optional)" }) });
  await join.getByRole("button", { name: "Add a passkey" }).click();
  await expect(join.getByRole("alert").filter({ hasText: "There is a problem" })).toContainText("Give the passkey a name.");
  await join.getByLabel("Name for this passkey").fill("My laptop");
  await join.getByRole("button", { name: "Add a passkey" }).click();
  await expect(join.getByRole("status")).toHaveText('Your passkey "My laptop" is ready. You can sign in with it next time.');
  expect(await authenticator.credentials()).toBe(1);
  await expectAccessible(page, testInfo, "portal-join-passkey");
  await screenshot(page, "portal-join-passkey");
  await join.getByRole("button", { name: "Go to my portal" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Hello, Sam" })).toBeVisible();

  // The security page lists it.
  await page.goto(portalUrl("/profile/security"));
  const passkeys = page.locator("section").filter({ has: page.getByRole("heading", { name: "Passkeys" }) });
  await expect(passkeys.getByText("My laptop", { exact: true })).toBeVisible();
  await expect(passkeys.getByText("Not used yet")).toBeVisible();
  expect(await authenticator.credentials()).toBe(1);
  await expectAccessible(page, testInfo, "portal-passkeys-en");
  await screenshot(page, "portal-passkey-added");

  // Signed out, the passkey alone signs Sam in: no email, no password.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Sign in to Lakeside Family Medicine" })).toBeVisible();
  await expectAccessible(page, testInfo, "portal-sign-in-passkey");
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  // Back where Sam signed out, signed in.
  await expect(page.getByRole("heading", { level: 1, name: "Sign-in and security" })).toBeVisible();
  await expect(page.getByText(`You sign in as ${email}.`)).toBeVisible();

  // The list says when it was last used; a second passkey joins it; Spanish reads it too.
  await page.goto(portalUrl("/profile/security"));
  await expect(passkeys.getByText(/Last used /)).toBeVisible();
  // One device holds one passkey per account: a second on the same device is refused, in words.
  await passkeys.getByLabel("Name for this passkey").fill("Spare key");
  await passkeys.getByRole("button", { name: "Add a passkey" }).click();
  await expect(passkeys.getByRole("alert")).toHaveText(/already has a passkey for your account/);
  expect(await authenticator.credentials()).toBe(1);
  // On another device (a second authenticator; the first put away) it is added.
  await authenticator.remove();
  const second = await virtualAuthenticator(context, page);
  await passkeys.getByRole("button", { name: "Add a passkey" }).click();
  await expect(passkeys.getByText("Spare key", { exact: true })).toBeVisible();
  expect(await second.credentials()).toBe(1);
  await page.getByLabel("Language").selectOption("es");
  await expect(page.getByRole("heading", { name: "Llaves de acceso" })).toBeVisible();
  await expectAccessible(page, testInfo, "portal-passkeys-es");
  await screenshot(page, "portal-passkeys-es");
  await page.getByLabel("Idioma").selectOption("en");

  // Both removed, after asking: the device still holds them, but the portal no longer
  // accepts them.
  for (const name of ["My laptop", "Spare key"]) {
    await passkeys.getByRole("button", { name: `Remove ${name}` }).click();
    await passkeys.getByRole("button", { name: "Yes, remove it" }).click();
    await expect(passkeys.getByRole("status")).toHaveText(`The passkey "${name}" was removed.`);
  }
  await expect(passkeys.getByText("You have no passkeys yet.")).toBeVisible();
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("button", { name: "Sign in with a passkey" }).click();
  await expect(page.getByRole("alert")).toContainText("That passkey did not work here.");
  await expect(page.getByRole("heading", { level: 1, name: "Sign in to Lakeside Family Medicine" })).toBeVisible();
  await context.close();
});
