// Joining the portal and looking after the account: a new patient activates (a wrong date of
// birth first), an invitation's link fills in the activation code, a forgotten password is reset from the emailed link, a patient gives a
// caregiver read-only access and takes it back, and a patient changes their profile and
// language. Every page is checked with axe in English and Spanish, at 360 px and 1280 px.
import { expect, test, type APIRequestContext, type Page, type TestInfo } from "@playwright/test";
import { TOTP, Secret } from "otpauth";
import { FRONT_DESK, PASSWORD, PATIENT, api, emailContaining, expectAccessible, freshCode, portalUrl, screenshot, signInPortal } from "./support";

const PRACTICE = "lakeside";
const NEW_PASSWORD = "blue kettle river lamp";
const run = Date.now().toString(36);

let staffToken: string | null = null;
async function frontDesk(request: APIRequestContext): Promise<string> {
  if (!staffToken) {
    const data = await api<{ signIn: { session: { accessToken: string } } }>(
      request,
      PRACTICE,
      `mutation($e: String!, $p: String!, $c: String) { signIn(input: { email: $e, password: $p, totpCode: $c }) { session { accessToken } } }`,
      { e: FRONT_DESK, p: PASSWORD, c: await freshCode(FRONT_DESK) },
    );
    staffToken = data.signIn.session.accessToken;
  }
  return staffToken;
}

interface NewPatient {
  id: string;
  email: string;
  birthDate: string;
  givenName: string;
  code: string;
}

/** The front desk registers a patient with an email and issues an activation code. */
async function registerPatient(request: APIRequestContext, givenName: string, familyName: string, birthDate: string): Promise<NewPatient> {
  const token = await frontDesk(request);
  const email = `${givenName.toLowerCase()}.${run}@example.com`;
  const created = await api<{ createPatient: { patient: { id: string } | null; userErrors: { code: string }[] } }>(
    request,
    PRACTICE,
    `mutation($input: CreatePatientInput!) { createPatient(input: $input) { patient { id } userErrors { code } } }`,
    { input: { givenName, familyName, birthDate, gender: "female", email } },
    token,
  );
  expect(created.createPatient.userErrors).toEqual([]);
  const id = created.createPatient.patient!.id;
  const issued = await api<{ issueActivationCode: { code: string | null } }>(
    request,
    PRACTICE,
    `mutation($id: ID!) { issueActivationCode(input: { patientId: $id }) { code userErrors { code } } }`,
    { id },
    token,
  );
  return { id, email, birthDate, givenName, code: issued.issueActivationCode.code! };
}

/** Activates through the API (for people the journey needs but does not watch join). */
async function activateByApi(request: APIRequestContext, p: NewPatient): Promise<void> {
  const data = await api<{ activatePatientAccount: { session: { accessToken: string } | null; userErrors: { code: string }[] } }>(
    request,
    PRACTICE,
    `mutation($input: ActivatePatientAccountInput!) { activatePatientAccount(input: $input) { session { accessToken } userErrors { code } } }`,
    { input: { code: p.code, birthDate: p.birthDate, email: p.email, password: NEW_PASSWORD } },
  );
  expect(data.activatePatientAccount.userErrors).toEqual([]);
}

/** The header's language switch ("Language", "Idioma"). */
function language(page: Page) {
  return page.locator(".language-switch select");
}

/** Nothing scrolls sideways. */
async function fits(page: Page): Promise<void> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

/**
 * The page as it stands, checked with axe and photographed in English, then in Spanish (the
 * header's language switch, whose heading must change), then back to English.
 */
async function checkBothLanguages(page: Page, testInfo: TestInfo, name: string, spanishHeading: RegExp | string): Promise<void> {
  await fits(page);
  await expectAccessible(page, testInfo, `${name}-en`);
  await screenshot(page, `${name}-${page.viewportSize()?.width}-en`);
  await language(page).selectOption("es");
  await expect(page.locator("html")).toHaveAttribute("lang", "es");
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(spanishHeading);
  await fits(page);
  await expectAccessible(page, testInfo, `${name}-es`);
  await screenshot(page, `${name}-${page.viewportSize()?.width}-es`);
  // Signed in, the header also saves the choice: wait for that, so a reload finds English.
  const signedIn = (await page.locator(".main-nav").count()) > 0;
  const saved = signedIn ? page.waitForResponse((r) => r.url().endsWith("/graphql") && (r.request().postData() ?? "").includes("SavePortalLanguage")) : null;
  await language(page).selectOption("en");
  await saved;
  await expect(page.locator("html")).toHaveAttribute("lang", "en");
}

/** The same page photographed at the other width too. */
async function wide(page: Page, name: string): Promise<void> {
  const size = page.viewportSize()!;
  const other = size.width === 360 ? { width: 1280, height: 860 } : { width: 360, height: 780 };
  await page.setViewportSize(other);
  await fits(page);
  await screenshot(page, `${name}-${other.width}-en`);
  await page.setViewportSize(size);
}

test("a new patient activates their account: a wrong date of birth first, then a password, skipping two-step", async ({ browser, request }, testInfo) => {
  test.setTimeout(180_000);
  const jordan = await registerPatient(request, "Jordan", "Reyes", "1990-04-12");
  // The code also went to the patient by email, with the address of the activation page.
  expect(emailContaining(jordan.email)).toContain("/t/lakeside/activate");

  const context = await browser.newContext({ viewport: { width: 360, height: 780 }, locale: "en-US" });
  const page = await context.newPage();
  await page.goto(portalUrl("/sign-in"));
  await page.getByRole("link", { name: "New to the portal? Activate your account" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Join the Lakeside Family Medicine portal" })).toBeVisible();
  await checkBothLanguages(page, testInfo, "activate-step1", "Únase al portal de Lakeside Family Medicine");
  await wide(page, "activate-step1");

  // Nothing typed: the summary names each missing answer.
  await page.getByRole("button", { name: "Continue" }).click();
  const summary = page.getByRole("alert").filter({ hasText: "There is a problem" });
  await expect(summary).toContainText("Enter your activation code.");
  await expect(summary).toContainText("Enter your date of birth.");
  await expect(summary).toContainText("Enter your email address.");

  // A wrong date of birth (one day off).
  await page.getByLabel("Activation code").fill(jordan.code);
  await page.getByLabel("Month").fill("4");
  await page.getByLabel("Day").fill("13");
  await page.getByLabel("Year").fill("1990");
  await page.getByLabel("Email address").fill(jordan.email);
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Choose a password" })).toBeVisible();
  await expect(page.getByText("Step 2 of 3")).toBeVisible();

  // The meter says how strong the password is, in words, as it is typed.
  const meter = page.locator(".strength-text");
  await expect(meter).toHaveText("Password strength: nothing typed yet");
  await page.getByLabel("New password").fill("kettle");
  await expect(meter).toHaveText("Password strength: too short (6 of 12 characters)");
  await page.getByLabel("New password").fill("password1234");
  await expect(meter).toHaveText(/weak/);
  await page.getByLabel("New password").fill(NEW_PASSWORD);
  await expect(meter).toHaveText("Password strength: strong");
  await checkBothLanguages(page, testInfo, "activate-step2", "Elija una contraseña");
  await page.getByRole("button", { name: "Create my account" }).click();

  // Back on step 1 with a sentence, and everything typed still there.
  await expect(page.getByRole("heading", { level: 1, name: "Join the Lakeside Family Medicine portal" })).toBeVisible();
  await expect(summary).toContainText("That code or date of birth is not right");
  await expect(page.getByLabel("Activation code")).toHaveValue(jordan.code);
  await expect(page.getByLabel("Email address")).toHaveValue(jordan.email);
  await expect(page.getByLabel("Day")).toHaveValue("13");
  await checkBothLanguages(page, testInfo, "activate-wrong-dob", "Únase al portal de Lakeside Family Medicine");
  // In Spanish the same sentence is in Spanish.
  await language(page).selectOption("es");
  await expect(page.getByRole("alert").filter({ hasText: "Hay un problema" })).toContainText("El código o la fecha de nacimiento no son correctos");
  await language(page).selectOption("en");

  // The right date, and the password typed before is kept.
  await page.getByLabel("Day").fill("12");
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByLabel("New password")).toHaveValue(NEW_PASSWORD);
  await page.getByRole("button", { name: "Create my account" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Your account is ready" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Add a second step to sign in (optional)" })).toBeVisible();
  await checkBothLanguages(page, testInfo, "activate-done", "Su cuenta está lista");
  await wide(page, "activate-done");

  await page.getByRole("button", { name: "Skip for now" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Hello, Jordan" })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Main" })).toBeVisible();

  // Signed in for real: a reload keeps the session (the refresh cookie was set).
  await page.reload();
  await expect(page.getByRole("heading", { level: 1, name: "Hello, Jordan" })).toBeVisible();

  // Later, on the security page, Jordan turns two-step verification on.
  await page.goto(portalUrl("/profile/security"));
  await expect(page.getByRole("heading", { level: 1, name: "Sign-in and security" })).toBeVisible();
  await expect(page.getByText(/^Status: off/)).toBeVisible();
  await checkBothLanguages(page, testInfo, "security-off", "Inicio de sesión y seguridad");
  await page.getByRole("button", { name: "Set up two-step verification" }).click();
  const key = page.locator(".secret code");
  await expect(key).toHaveText(/^([A-Z2-7]{4} )+[A-Z2-7]{1,4}$/);
  await expect(page.getByRole("link", { name: /Open the key in your authenticator app/ })).toHaveAttribute("href", /^otpauth:\/\//);
  await expect(page.getByRole("img", { name: "QR code for your authenticator app" })).toBeVisible();
  await checkBothLanguages(page, testInfo, "security-setup", "Inicio de sesión y seguridad");
  await wide(page, "security-setup");
  // A wrong code is refused with a sentence, the typed code kept.
  await page.getByLabel("6-digit code").fill("000000");
  await page.getByRole("button", { name: "Turn on two-step verification" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "There is a problem" })).toContainText("That code is not right");
  const secret = (await key.textContent())!.replace(/\s/g, "");
  const totp = new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: "SHA1" });
  await page.getByLabel("6-digit code").fill(totp.generate());
  await page.getByRole("button", { name: "Turn on two-step verification" }).click();
  await expect(page.getByRole("heading", { name: "Save your recovery codes" })).toBeVisible();
  await expect(page.getByRole("list", { name: "Recovery codes" }).getByRole("listitem")).toHaveCount(10);
  await screenshot(page, "security-recovery-360-en");
  await page.getByRole("button", { name: "I have saved my codes" }).click();
  await expect(page.getByText("Status: on", { exact: true })).toBeVisible();
  await checkBothLanguages(page, testInfo, "security-on", "Inicio de sesión y seguridad");
  // Still signed in after the other sessions ended: the page's session was replaced.
  await page.reload();
  await expect(page.getByText("Status: on", { exact: true })).toBeVisible();

  // Text messages need a mobile number, which Jordan has not given: said, the choice kept.
  await page.goto(portalUrl("/settings/notifications"));
  await expect(page.getByRole("heading", { level: 1, name: "How the practice contacts you" })).toBeVisible();
  await page.getByRole("checkbox", { name: /^Text message/ }).check();
  await page.getByRole("button", { name: "Save my choices" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "There is a problem" })).toContainText("first add a mobile number");
  await expect(page.getByRole("checkbox", { name: /^Text message/ })).toBeChecked();
  await checkBothLanguages(page, testInfo, "notifications-no-mobile", "Cómo se comunica el consultorio con usted");
  await context.close();
});

test("a patient who forgot their password resets it from the emailed link and signs in with the new one", async ({ browser, request }, testInfo) => {
  test.setTimeout(120_000);
  const riley = await registerPatient(request, "Riley", "Okafor", "1984-11-02");
  await activateByApi(request, riley);

  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: "en-US" });
  const page = await context.newPage();
  await page.goto(portalUrl("/sign-in"));
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Reset your password" })).toBeVisible();
  await checkBothLanguages(page, testInfo, "forgot", "Cambie su contraseña");
  await wide(page, "forgot");

  await page.getByLabel("Email address").fill(riley.email);
  await page.getByRole("button", { name: "Send the link" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Check your email" })).toBeVisible();
  await expect(page.getByText(`If an account uses ${riley.email}, we have sent a link to it.`)).toBeVisible();
  await checkBothLanguages(page, testInfo, "forgot-sent", "Revise su correo");

  // An address with no account gets the very same answer.
  await page.getByRole("button", { name: "Send another link" }).click();
  await page.getByLabel("Email address").fill(`nobody.${run}@example.com`);
  await page.getByRole("button", { name: "Send the link" }).click();
  await expect(page.getByText(`If an account uses nobody.${run}@example.com, we have sent a link to it.`)).toBeVisible();

  // The email (sent in the background) carries the link.
  let link = "";
  await expect
    .poll(() => {
      try {
        link = /(http\S+\/reset-password#token=[^\s"<>]+)/.exec(emailContaining("reset-password#token="))?.[1] ?? "";
        return emailContaining("reset-password#token=").includes(riley.email) ? link : "";
      } catch {
        return "";
      }
    })
    .not.toBe("");
  await page.goto(link);
  await expect(page.getByRole("heading", { level: 1, name: "Choose a new password" })).toBeVisible();
  // The token leaves the address bar at once.
  expect(page.url()).not.toContain("token");
  await checkBothLanguages(page, testInfo, "reset", "Elija una contraseña nueva");
  await wide(page, "reset");

  // Too short first: said before anything is sent, and the meter says so too.
  await page.getByLabel("New password").fill("short one");
  await expect(page.locator(".strength-text")).toContainText("too short");
  await page.getByRole("button", { name: "Save my new password" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "There is a problem" })).toContainText("at least 12 characters");
  const newer = "green lantern harbour walk";
  await page.getByLabel("New password").fill(newer);
  await page.getByRole("button", { name: "Save my new password" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Your password is changed" })).toBeVisible();
  await checkBothLanguages(page, testInfo, "reset-done", "Su contraseña cambió");
  await page.getByRole("link", { name: "Sign in", exact: true }).click();
  await page.getByLabel("Email address").fill(riley.email);
  await page.getByLabel("Password", { exact: true }).fill(newer);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Hello, Riley" })).toBeVisible();

  // The link works once: opened again, it says so and offers a new one.
  const other = await (await browser.newContext({ locale: "en-US" })).newPage();
  await other.goto(link);
  await expect(other.getByRole("heading", { level: 1, name: "Choose a new password" })).toBeVisible();
  await other.getByLabel("New password").fill("another long pass phrase");
  await other.getByRole("button", { name: "Save my new password" }).click();
  await expect(other.getByRole("heading", { level: 1, name: "This link cannot be used" })).toBeVisible();
  await expect(other.getByText("This link was already used.")).toBeVisible();
  await checkBothLanguages(other, testInfo, "reset-used", "No se puede usar este enlace");
  await expect(other.getByRole("link", { name: "Get a new link" })).toHaveAttribute("href", /\/forgot-password$/);
  await other.context().close();
  await context.close();
});

test("a patient gives a caregiver read-only access, the caregiver sees their records and nothing more, and access is taken back", async ({ browser, request }, testInfo) => {
  test.setTimeout(180_000);
  const casey = await registerPatient(request, "Casey", "Stone", "1962-06-30");
  await activateByApi(request, casey);

  const avery = await (await browser.newContext({ viewport: { width: 360, height: 780 }, locale: "en-US" })).newPage();
  await signInPortal(avery, PATIENT, PASSWORD, "/profile/caregivers");
  await expect(avery.getByRole("heading", { level: 1, name: "People who can see your records" })).toBeVisible();
  await expect(avery.getByText("No one else can see your records.")).toBeVisible();
  await checkBothLanguages(avery, testInfo, "caregivers-empty", "Personas que pueden ver su expediente");
  await wide(avery, "caregivers-empty");

  // No "what can they do" chosen: said, and the email typed is kept.
  await avery.getByLabel("Their email address").fill(casey.email);
  await avery.getByRole("checkbox", { name: /See my records/ }).uncheck();
  await avery.getByRole("button", { name: "Give access" }).click();
  await expect(avery.getByRole("alert").filter({ hasText: "There is a problem" })).toContainText("Choose at least one thing they can do.");
  await expect(avery.getByLabel("Their email address")).toHaveValue(casey.email);
  await checkBothLanguages(avery, testInfo, "caregivers-error", "Personas que pueden ver su expediente");

  await avery.getByRole("checkbox", { name: /See my records/ }).check();
  await expect(avery.getByRole("checkbox", { name: /Book and change visits/ })).not.toBeChecked();
  await expect(avery.getByRole("checkbox", { name: /Send messages/ })).not.toBeChecked();
  // Until a day next year, which the list then names.
  const nextYear = new Date().getFullYear() + 1;
  await avery.getByLabel("End date (optional)").fill(`${nextYear}-06-30`);
  await avery.getByRole("button", { name: "Give access" }).click();
  await expect(avery.getByRole("status").filter({ hasText: `${casey.email} has access now.` })).toBeVisible();
  const row = avery.getByRole("listitem").filter({ hasText: casey.email });
  await expect(row).toContainText("Can: See my records");
  await expect(row).toContainText(`until Jun 30, ${nextYear}`);
  await checkBothLanguages(avery, testInfo, "caregivers-granted", "Personas que pueden ver su expediente");
  await wide(avery, "caregivers-granted");

  // Casey signs in and switches to Avery's records.
  const caseyContext = await browser.newContext({ viewport: { width: 360, height: 780 }, locale: "en-US" });
  const caseyPage = await caseyContext.newPage();
  await signInPortal(caseyPage, casey.email, NEW_PASSWORD);
  await expect(caseyPage.getByRole("heading", { level: 1, name: "Hello, Casey" })).toBeVisible();
  await caseyPage.getByLabel("Whose records").selectOption({ label: "Avery Stone" });
  await expect(caseyPage.getByRole("heading", { level: 1, name: "Avery's portal" })).toBeVisible();
  await expect(caseyPage.getByRole("heading", { name: "Avery's next visits" })).toBeVisible();
  await expect(caseyPage.getByText("You are looking at Avery's records.")).toBeVisible();
  // Reading only: no booking.
  await expect(caseyPage.getByRole("link", { name: "Book a visit" })).toHaveCount(0);
  await screenshot(caseyPage, "caregiver-home-360-en");
  // Avery's caregivers and contact details are Avery's to manage, not Casey's.
  await caseyPage.goto(portalUrl("/profile/caregivers"));
  await expect(caseyPage.getByRole("heading", { level: 1, name: "People who can see your records" })).toBeVisible();
  await expect(caseyPage.getByText("These settings belong to Avery's own account. Only Avery can change them.")).toBeVisible();
  await expect(caseyPage.getByRole("button", { name: "Give access" })).toHaveCount(0);
  await checkBothLanguages(caseyPage, testInfo, "caregivers-proxy", "Personas que pueden ver su expediente");
  await caseyPage.getByRole("button", { name: "Go to my own records" }).click();
  await expect(caseyPage.getByText("No one else can see your records.")).toBeVisible();

  // Avery takes the access back, after confirming.
  await avery.getByRole("button", { name: `Stop access for ${casey.email}` }).click();
  await expect(avery.getByText(`Stop access for ${casey.email}? They will not be able to see your records any more.`)).toBeVisible();
  await checkBothLanguages(avery, testInfo, "caregivers-confirm", "Personas que pueden ver su expediente");
  await avery.getByRole("button", { name: "Yes, stop access" }).click();
  await expect(avery.getByRole("status").filter({ hasText: `${casey.email} can no longer see your records.` })).toBeVisible();
  await expect(avery.getByRole("heading", { name: "Access that has ended" })).toBeVisible();
  await expect(avery.getByText("No one else can see your records.")).toBeVisible();
  await screenshot(avery, "caregivers-revoked-360-en");

  // After a reload Casey has only their own records.
  await caseyPage.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Home" }).click();
  await expect(caseyPage.getByRole("heading", { level: 1 })).toBeVisible();
  await caseyPage.reload();
  await expect(caseyPage.getByRole("heading", { level: 1, name: "Hello, Casey" })).toBeVisible();
  await expect(caseyPage.getByLabel("Whose records")).toHaveCount(0);
  await caseyContext.close();
  await avery.context().close();
});

test("a patient updates their phone and pharmacy, changes language on the profile, and checks messages, security and who opened the record", async ({ browser }, testInfo) => {
  test.setTimeout(180_000);
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: "en-US" });
  const page = await context.newPage();
  await signInPortal(page, PATIENT, PASSWORD);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Profile" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Your profile" })).toBeVisible();
  await checkBothLanguages(page, testInfo, "profile", "Su perfil");
  await wide(page, "profile");

  // Nothing changed: said, nothing sent.
  await page.getByRole("button", { name: "Save my details" }).click();
  await expect(page.getByText("You have not changed anything yet.")).toBeVisible();

  // A phone number the API refuses: the sentence beside the field, the rest kept.
  await page.getByLabel("Preferred pharmacy").fill("Lakeside Pharmacy, 40 Shore Rd");
  await page.getByLabel("Phone number").fill("call me");
  await page.getByRole("button", { name: "Save my details" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "There is a problem" })).toContainText("Enter a phone number with its area code.");
  await expect(page.getByLabel("Preferred pharmacy")).toHaveValue("Lakeside Pharmacy, 40 Shore Rd");
  await checkBothLanguages(page, testInfo, "profile-error", "Su perfil");

  await page.getByLabel("Phone number").fill("+1 312 555 0142");
  await page.getByRole("button", { name: "Save my details" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Your details are saved." })).toBeVisible();
  await page.reload();
  await expect(page.getByLabel("Phone number")).toHaveValue("+1 312 555 0142");
  await expect(page.getByLabel("Preferred pharmacy")).toHaveValue("Lakeside Pharmacy, 40 Shore Rd");

  // How the practice reaches Avery: text messages now that a mobile number is there.
  await page.getByRole("link", { name: "How the practice contacts you" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "How the practice contacts you" })).toBeVisible();
  await checkBothLanguages(page, testInfo, "notifications", "Cómo se comunica el consultorio con usted");
  await wide(page, "notifications");
  await page.getByRole("checkbox", { name: /^Text message/ }).check();
  await page.getByRole("button", { name: "Save my choices" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Your choices are saved." })).toBeVisible();
  await page.reload();
  await expect(page.getByRole("checkbox", { name: /^Text message/ })).toBeChecked();
  // Stopping everything greys out the channels and says what it means.
  await page.getByRole("checkbox", { name: /Do not send me any messages/ }).check();
  await expect(page.getByRole("checkbox", { name: /^Email/ })).toBeDisabled();
  await page.getByRole("button", { name: "Save my choices" }).click();
  await expect(page.getByRole("status").filter({ hasText: "The practice will not send you messages." })).toBeVisible();
  await checkBothLanguages(page, testInfo, "notifications-off", "Cómo se comunica el consultorio con usted");
  await page.getByRole("checkbox", { name: /Do not send me any messages/ }).uncheck();
  await page.getByRole("button", { name: "Save my choices" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Your choices are saved." })).toBeVisible();

  // Who opened the record: the list, in plain words.
  await page.goto(portalUrl("/profile/access-log"));
  await expect(page.getByRole("heading", { level: 1, name: "Who opened your record" })).toBeVisible();
  await expect(page.locator(".access-log li").first()).toContainText(/Looked at|Added to or changed|Downloaded|Opened/);
  await expect(page.locator(".access-log")).not.toContainText(/patient\.|\.read/);
  await checkBothLanguages(page, testInfo, "access-log", "Quién abrió su expediente");
  await wide(page, "access-log");

  await page.goto(portalUrl("/profile/security"));
  await expect(page.getByRole("heading", { level: 1, name: "Sign-in and security" })).toBeVisible();
  await checkBothLanguages(page, testInfo, "security", "Inicio de sesión y seguridad");

  // The language chosen on the profile switches the portal, and is kept.
  await page.goto(portalUrl("/profile"));
  await page.getByLabel("Preferred language").selectOption("es");
  await page.getByRole("button", { name: "Save my details" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Su perfil" })).toBeVisible();
  await expect(page.locator("html")).toHaveAttribute("lang", "es");
  await expect(page.getByRole("status").filter({ hasText: "Sus datos están guardados." })).toBeVisible();
  await page.reload();
  await expect(page.getByRole("heading", { level: 1, name: "Su perfil" })).toBeVisible();
  await expect(page.getByLabel("Idioma preferido")).toHaveValue("es");
  await screenshot(page, "profile-spanish-1280-es");
  // Back to English from the header (which saves it too), for the other journeys.
  await language(page).selectOption("en");
  await expect(page.getByRole("heading", { level: 1, name: "Your profile" })).toBeVisible();
  await context.close();
});

test("an invitation's link opens the activation page with the code filled in, and the code leaves the address", async ({ page, request }, testInfo) => {
  const sam = await registerPatient(request, "Samira", "Okafor", "1986-02-14");
  await page.setViewportSize({ width: 360, height: 780 });
  await page.goto(portalUrl(`/activate#code=${sam.code}`));
  await expect(page.getByRole("heading", { level: 1, name: "Join the Lakeside Family Medicine portal" })).toBeVisible();
  await expect(page.getByLabel("Activation code")).toHaveValue(sam.code);
  await expect.poll(() => new URL(page.url()).hash).toBe("");
  await screenshot(page, "activate-from-invitation");
  await expectAccessible(page, testInfo, "activate-from-invitation");
});
