// The console's journeys, in order, on one demo server: each saves screenshots and runs axe
// on every page it visits.
import { expect, test } from "@playwright/test";
import { TOTP, Secret } from "otpauth";
import { api, baseUrl, emailContaining, expectAccessible, FRONT_DESK, OPERATOR, ADMIN, patientToken, screenshot, signInConsole, PASSWORD, freshCode } from "./support";

test.describe.configure({ mode: "serial" });

const PATIENT_CHART = `{ me { charts { patient { id medications(first: 5) { nodes { id name status } } } } } }`;

test("sign-in refuses a wrong password with a sentence, and keeps what was typed", async ({ page }, testInfo) => {
  await page.goto(`${baseUrl()}/console/`);
  await expectAccessible(page, testInfo, "sign-in");
  await page.getByLabel("Practice").fill("lakeside");
  await page.getByLabel("Email").fill(FRONT_DESK);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("That email, password or code is not right");
  await expect(page.getByLabel("Email")).toHaveValue(FRONT_DESK);
  await screenshot(page, "01-sign-in-error");
  await expectAccessible(page, testInfo, "sign-in-error");
});

test("signing out ends the session on the server: a reload does not bring it back", async ({ page }) => {
  await signInConsole(page, "lakeside", FRONT_DESK);
  // A reload continues a live session from its cookie...
  await page.reload();
  await expect(page.getByRole("navigation", { name: "Console" })).toBeVisible();
  // ...and after signing out there is nothing left to continue.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Sign in to the Portico console" })).toBeVisible();
  await page.reload();
  await expect(page.getByRole("heading", { level: 1, name: "Sign in to the Portico console" })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Console" })).toHaveCount(0);
});

test("staff register a patient and hand over an activation code", async ({ page }, testInfo) => {
  await signInConsole(page, "lakeside", FRONT_DESK);
  await page.getByRole("link", { name: "Patients" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Patients" })).toBeVisible();
  await expectAccessible(page, testInfo, "patients");
  await page.getByRole("link", { name: "Register a patient" }).click();
  await page.getByRole("button", { name: "Register" }).click();
  await expect(page.getByRole("alert")).toContainText("Enter the patient's given name");
  await expectAccessible(page, testInfo, "register-errors");
  await page.getByLabel("Given name").fill("Rosa");
  await page.getByLabel("Family name").fill("Delgado");
  await page.getByLabel("Date of birth").fill("1984-03-09");
  await page.getByLabel("Sex").selectOption("female");
  await page.getByLabel("Email (optional)").fill("rosa.delgado@example.com");
  await page.getByRole("button", { name: "Register" }).dblclick();
  await expect(page.getByRole("heading", { level: 1, name: "Rosa Delgado is registered" })).toBeVisible();
  await page.getByRole("button", { name: "Create an activation code" }).click();
  await expect(page.locator(".code-display")).toHaveText(/\S{6,}/);
  await screenshot(page, "02-patient-registered");
  await expectAccessible(page, testInfo, "activation-code");

  // Book for her: type, first available provider, a day with free times, check, book.
  await page.getByRole("link", { name: "Book a visit for Rosa Delgado" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Book a visit" })).toBeVisible();
  await page.getByLabel("Visit type").selectOption({ index: 1 });
  // The demo's providers work weekdays: the first Tuesday to Thursday at least two days ahead.
  let when = new Date(Date.now() + 2 * 86_400_000);
  while (![2, 3, 4].includes(when.getUTCDay())) when = new Date(when.getTime() + 86_400_000);
  await page.getByLabel("Day").fill(when.toISOString().slice(0, 10));
  const slots = page.getByRole("list", { name: /Free times on/ }).getByRole("button");
  await slots.first().click();
  await expect(page.getByRole("heading", { name: "4. Check and book" })).toBeVisible();
  await screenshot(page, "03-book-check");
  await expectAccessible(page, testInfo, "book");
  await page.getByRole("button", { name: "Book this visit" }).dblclick();
  await expect(page.getByRole("heading", { level: 1, name: "Visit booked" })).toBeVisible();
  await page.getByRole("link", { name: "Back to the schedule" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Schedule" })).toBeVisible();
  await page.getByLabel("Day").fill(when.toISOString().slice(0, 10));
  await expect(page.getByRole("row", { name: /Delgado, Rosa/ })).toHaveCount(1);
  await screenshot(page, "03-schedule-day");
  await expectAccessible(page, testInfo, "schedule");

  // The double clicks booked one visit (above) and registered one patient.
  await page.getByRole("link", { name: "Patients" }).click();
  await page.getByLabel("Find a patient").fill("Delgado");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByRole("row", { name: /Delgado, Rosa/ })).toHaveCount(1);
});

test("a patient's message arrives live in the inbox and is answered, with a note the patient never sees", async ({ page, request }, testInfo) => {
  await signInConsole(page, "lakeside", FRONT_DESK);
  await page.getByRole("link", { name: "Inbox" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Inbox" })).toBeVisible();
  await expectAccessible(page, testInfo, "inbox");

  const token = await patientToken(request);
  const chart = await api<{ me: { charts: { patient: { id: string } }[] } }>(request, "lakeside", PATIENT_CHART, {}, token);
  const patientId = chart.me.charts[0]!.patient.id;
  const pools = await api<{ careTeamPools: { id: string; name: string }[] }>(request, "lakeside", `{ careTeamPools { id name } }`, {}, token);
  const frontDeskPool = pools.careTeamPools.find((p) => /front/i.test(p.name)) ?? pools.careTeamPools[0]!;
  const subject = `Parking question ${Date.now()}`;
  const started = await api<{ startThread: { thread: { id: string } } }>(
    request,
    "lakeside",
    `mutation($i: StartThreadInput!) { startThread(input: $i) { thread { id } userErrors { code } } }`,
    { i: { patientId, poolId: frontDeskPool.id, category: "OTHER", subject, body: "Is there parking near the clinic?" } },
    token,
  );

  // Live: the page was open before the message was sent, and nobody reloads it.
  const row = page.getByRole("link", { name: subject });
  await expect(row).toBeVisible({ timeout: 15_000 });
  await screenshot(page, "04-inbox-live");
  await row.click();
  await expect(page.getByRole("heading", { level: 1, name: subject })).toBeVisible();
  await page.getByLabel("Internal note (only the care team sees it)").check();
  await page.getByLabel("Note for the care team").fill("Checked with the landlord: the garage validates tickets.");
  await page.getByRole("button", { name: "Add note" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Internal note added" })).toBeVisible();
  await page.getByLabel("Internal note (only the care team sees it)").uncheck();
  await page.getByLabel("Message to the patient").fill("Yes: the garage on Elm Street, and we validate your ticket.");
  await page.getByRole("button", { name: "Send reply" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Reply sent" })).toBeVisible();
  await expect(page.locator(".message.internal")).toHaveCount(1);
  await screenshot(page, "05-thread-answered");
  await expectAccessible(page, testInfo, "thread");

  const seen = await api<{ messageThread: { messages: { body: string; internal: boolean }[] } }>(
    request,
    "lakeside",
    `query($id: ID!) { messageThread(id: $id) { messages { body internal } } }`,
    { id: started.startThread.thread.id },
    token,
  );
  const bodies = seen.messageThread.messages.map((m) => m.body);
  expect(bodies).toContain("Yes: the garage on Elm Street, and we validate your ticket.");
  expect(bodies.some((b) => b.includes("landlord"))).toBe(false);
});

test("a refill request is approved", async ({ page, request }, testInfo) => {
  const token = await patientToken(request);
  const chart = await api<{ me: { charts: { patient: { medications: { nodes: { id: string; name: string; status: string }[] } } }[] } }>(
    request,
    "lakeside",
    PATIENT_CHART,
    {},
    token,
  );
  const medication = chart.me.charts[0]!.patient.medications.nodes.find((m) => m.status === "active")!;
  await api(
    request,
    "lakeside",
    `mutation($i: RequestRefillInput!) { requestRefill(input: $i) { refillRequest { id } userErrors { code } } }`,
    { i: { medicationId: medication.id, pharmacy: "Elm Street Pharmacy" } },
    token,
  );
  await signInConsole(page, "lakeside", ADMIN);
  await page.getByRole("link", { name: "Refills" }).click();
  const card = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: new RegExp(medication.name) }) }).first();
  await expect(card).toBeVisible();
  await expectAccessible(page, testInfo, "refills");
  await card.getByLabel("Quantity to dispense").fill("30");
  await card.getByLabel("Refills").fill("2");
  await card.getByRole("button", { name: "Record decision" }).click();
  await expect(page.getByRole("status").filter({ hasText: "approved" })).toBeVisible();
  await screenshot(page, "06-refill-approved");
  const requests = await api<{ refillRequests: { status: string }[] }>(
    request,
    "lakeside",
    `query($p: ID!) { refillRequests(patientId: $p) { status } }`,
    { p: (await api<{ me: { charts: { patient: { id: string } }[] } }>(request, "lakeside", PATIENT_CHART, {}, token)).me.charts[0]!.patient.id },
    token,
  );
  expect(requests.refillRequests.map((r) => r.status)).toContain("approved");
});

test("the adoption page draws its charts, with a table for each", async ({ page }, testInfo) => {
  await signInConsole(page, "lakeside", ADMIN);
  await page.getByRole("link", { name: "Adoption" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Adoption" })).toBeVisible();
  // The demo's days (visits, messages and refills above) are computed on demand, with progress.
  await page.getByRole("button", { name: "Recompute these figures" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Figures recomputed." })).toBeVisible({ timeout: 30_000 });
  await expect(page.locator("figure.chart")).toHaveCount(7);
  await expect(page.locator("figure.chart svg.recharts-surface").first()).toBeVisible();
  await page.getByRole("button", { name: "Days" }).click();
  await expect(page.getByText("Last 30 days, by day")).toBeVisible();
  await screenshot(page, "07-adoption");
  await expectAccessible(page, testInfo, "adoption");
  await page.getByRole("link", { name: "Set-up" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Set up your practice" })).toBeVisible();
  await expectAccessible(page, testInfo, "setup");

  // Branding from the checklist: a colour too light for white text is refused, the nearest
  // readable one is offered, and the preview follows what is typed.
  await page.getByRole("link", { name: "Brand your portal" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Branding" })).toBeVisible();
  await page.getByLabel("Brand colour", { exact: true }).fill("#ffcc00");
  await expect(page.getByText(/too light to read/)).toBeVisible();
  await expect(page.locator(".preview-header")).toHaveCSS("background-color", "rgb(255, 204, 0)");
  await page.getByRole("button", { name: "Save branding" }).click();
  await expect(page.getByRole("alert")).toContainText("Brand colour");
  await screenshot(page, "07-branding-refused");
  await expectAccessible(page, testInfo, "branding-refused");
  await page.getByRole("button", { name: /^Use #[0-9a-f]{6} instead$/ }).click();
  await expect(page.getByText(/readable/)).toBeVisible();
  // The number patients call, shown by the portal where a visit is too soon to change.
  await page.getByLabel("Phone number (optional)").fill("+1 (555) 010-0142");
  await page.getByRole("button", { name: "Save branding" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved" })).toBeVisible();
  await page.reload();
  await expect(page.getByLabel("Phone number (optional)")).toHaveValue("+1 (555) 010-0142");
  await page.getByRole("link", { name: "Set-up" }).click();
  await expect(page.getByRole("listitem").filter({ hasText: "Brand your portal" })).toContainText("Done");
  // Billing hands off to Stripe Checkout (the local stand-in made the session; the Checkout
  // page itself is Stripe's, answered here so the browser stays offline).
  await page.getByRole("link", { name: "Billing" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Billing" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Choose a plan" })).toBeVisible();
  await screenshot(page, "07-billing-plans");
  await expectAccessible(page, testInfo, "billing");
  await page.route("https://checkout.stripe.com/**", (route) =>
    route.fulfill({ contentType: "text/html", body: "<!doctype html><title>Checkout</title><h1>Stripe Checkout</h1>" }),
  );
  await page.getByRole("button", { name: "Subscribe to Starter" }).click();
  await page.waitForURL(/^https:\/\/checkout\.stripe\.com\/c\/pay\/cs_test_/);
  await expect(page.getByRole("heading", { name: "Stripe Checkout" })).toBeVisible();
});

test("an admin invites a nurse, who joins from the emailed link and sets up two-step verification", async ({ page, browser }, testInfo) => {
  await signInConsole(page, "lakeside", ADMIN);
  await page.getByRole("link", { name: "Staff" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Staff" })).toBeVisible();
  await expectAccessible(page, testInfo, "staff");
  const email = `nurse${Date.now() % 100000}@lakeside.example`;
  await page.getByLabel("Email").fill(email);
  await page.getByLabel(/^Staff/).check();
  await page.getByRole("button", { name: "Send invitation" }).dblclick();
  await expect(page.getByRole("status").filter({ hasText: `Invitation sent to ${email}` })).toBeVisible();
  await expect(page.getByRole("row", { name: new RegExp(email) })).toHaveCount(1);
  await screenshot(page, "10-staff-invited");

  const link = /https?:\/\/[^\s"<>]*\/console\/accept-invitation\?practice=lakeside#token=[A-Za-z0-9_\-.~%]+/.exec(emailContaining(email))?.[0];
  expect(link).toBeTruthy();
  const nurse = await (await browser.newContext()).newPage();
  await nurse.goto(link!.replace(/^https?:\/\/[^/]+/, baseUrl()));
  await expect(nurse.getByRole("heading", { level: 1, name: "Join your practice on Portico" })).toBeVisible();
  // The token left the address bar as soon as the page read it.
  expect(nurse.url()).not.toContain("token");
  await expectAccessible(nurse, testInfo, "accept-invitation");
  await nurse.getByLabel("Your name").fill("Noor Nurse");
  await nurse.getByLabel("Choose a password").fill("a long nurse password 2026");
  await nurse.getByRole("button", { name: "Join" }).click();
  await expect(nurse.getByRole("heading", { level: 1, name: "Set up two-step verification" })).toBeVisible();
  await nurse.getByRole("button", { name: "Start" }).click();
  const secret = (await nurse.getByLabel("Setup key").textContent())!.trim();
  await expectAccessible(nurse, testInfo, "enrol-totp");
  const code = new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: "SHA1" }).generate();
  await nurse.getByLabel("Code", { exact: true }).fill(code);
  await nurse.getByRole("button", { name: "Confirm" }).click();
  await expect(nurse.getByRole("heading", { level: 1, name: "Save your recovery codes" })).toBeVisible();
  await screenshot(nurse, "11-recovery-codes");
  const recoveryCodes = await nurse.getByRole("list", { name: "Recovery codes" }).getByRole("listitem").allTextContents();
  expect(recoveryCodes.length).toBeGreaterThan(0);
  await nurse.getByRole("button", { name: "I have saved them" }).click();
  await expect(nurse.getByRole("heading", { level: 1, name: "Inbox" })).toBeVisible();
  await expect(nurse.getByText("Noor Nurse · Staff")).toBeVisible();

  await page.reload();
  await expect(page.getByRole("row", { name: /Noor Nurse/ })).toContainText("Set up");

  // Her session ends while she is half-way through a form (a new role ends every session):
  // she signs in again over the page, with a recovery code, and the form is as she left it.
  await nurse.getByRole("link", { name: "Patients" }).click();
  await nurse.getByRole("link", { name: "Register a patient" }).click();
  await nurse.getByLabel("Given name").fill("Lena");
  await nurse.getByLabel("Family name").fill("Okafor");
  await nurse.getByLabel("Date of birth").fill("1990-07-21");
  await nurse.getByLabel("Sex").selectOption("female");
  await page.getByLabel("Role of Noor Nurse").selectOption("provider");
  await expect(page.getByRole("status").filter({ hasText: "Noor Nurse is now provider" })).toBeVisible();
  await nurse.getByRole("button", { name: "Register" }).click();
  const dialog = nurse.getByRole("dialog", { name: "Your session ended" });
  await expect(dialog).toBeVisible();
  await screenshot(nurse, "12-session-ended-mid-form");
  await expectAccessible(nurse, testInfo, "reauth");
  await expect(dialog.getByLabel("Email")).toHaveValue(email);
  await dialog.getByLabel("Password").fill("a long nurse password 2026");
  await dialog.getByLabel("Code from your app").fill(recoveryCodes[0]!.trim());
  await dialog.getByRole("button", { name: "Sign in" }).click();
  await expect(dialog).toHaveCount(0);
  await expect(nurse.getByLabel("Given name")).toHaveValue("Lena");
  await expect(nurse.getByLabel("Family name")).toHaveValue("Okafor");
  await nurse.getByRole("button", { name: "Register" }).click();
  await expect(nurse.getByRole("heading", { level: 1, name: "Lena Okafor is registered" })).toBeVisible();
});

test("staff of one practice see nothing of another, in the browser or through the API", async ({ page, request }) => {
  const slug = `harbor${Date.now() % 100000}`;
  await api(
    request,
    "platform",
    `mutation($i: SignUpPracticeInput!) { signUpPractice(input: $i) { userErrors { code } } }`,
    {
      i: { practiceName: "Harbor Clinic", slug, timeZone: "America/New_York", adminName: "Harbor Admin", adminEmail: `admin@${slug}.example`, adminPassword: "harbor clinic password" },
    },
  );
  // Lakeside's front desk cannot sign in to Harbor's console.
  await page.goto(`${baseUrl()}/console/`);
  await page.getByLabel("Practice").fill(slug);
  await page.getByLabel("Email").fill(FRONT_DESK);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByLabel("Code from your app").fill(await freshCode(FRONT_DESK));
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("That email, password or code is not right");

  // Signed in at Lakeside, Harbor's own host shows only a sign-in page, and Lakeside's
  // session is refused there.
  await signInConsole(page, "lakeside", FRONT_DESK);
  const harbor = baseUrl(`${slug}.localhost`);
  await page.goto(`${harbor}/console/?practice=${slug}`);
  await expect(page.getByRole("heading", { level: 1, name: "Sign in to the Portico console" })).toBeVisible();
  await expect(page.getByText("Lakeside Family Medicine")).toHaveCount(0);
  await expect(page.getByText("Frankie Desk")).toHaveCount(0);
  const staffToken = (
    await api<{ signIn: { session: { accessToken: string } } }>(
      request,
      "lakeside",
      `mutation($e: String!, $p: String!, $c: String) { signIn(input: { email: $e, password: $p, totpCode: $c }) { session { accessToken } } }`,
      { e: FRONT_DESK, p: PASSWORD, c: await freshCode(FRONT_DESK) },
    )
  ).signIn.session.accessToken;
  await expect(api(request, slug, `{ patients(first: 5) { nodes { id } } }`, {}, staffToken)).rejects.toThrow(/UNAUTHENTICATED|FORBIDDEN/);
});

test("an operator suspends a practice with a reason, its staff see the banner, and it is reactivated", async ({ browser, request }, testInfo) => {
  // Lakeside's figures for the platform chart, computed now rather than by the nightly job.
  const adminToken = (
    await api<{ signIn: { session: { accessToken: string } } }>(
      request,
      "lakeside",
      `mutation($e: String!, $p: String!, $c: String) { signIn(input: { email: $e, password: $p, totpCode: $c }) { session { accessToken } } }`,
      { e: ADMIN, p: PASSWORD, c: await freshCode(ADMIN) },
    )
  ).signIn.session.accessToken;
  const today = new Date().toISOString().slice(0, 10);
  const monthAgo = new Date(Date.now() - 60 * 86_400_000).toISOString().slice(0, 10);
  await api(request, "lakeside", `mutation($f: NaiveDate!, $t: NaiveDate!) { recomputeAdoption(from: $f, to: $t) { days } }`, { f: monthAgo, t: today }, adminToken);

  // Two people, two browsers: separate contexts keep their cookies apart.
  const operator = await (await browser.newContext()).newPage();
  await signInConsole(operator, "platform", OPERATOR);
  await expect(operator.getByRole("heading", { level: 1, name: "Practices" })).toBeVisible();
  await expectAccessible(operator, testInfo, "practices");
  await operator.getByLabel("Find a practice").fill("Lakeside");
  // Adoption at a glance: Lakeside's latest month (computed above) is in its row.
  await expect(operator.getByRole("row", { name: /Lakeside Family Medicine/ })).toContainText(/\d+%/);
  await screenshot(operator, "08-operator-practices");
  await operator.getByRole("link", { name: "Lakeside Family Medicine" }).click();
  await expect(operator.getByRole("heading", { level: 1, name: "Lakeside Family Medicine" })).toBeVisible();
  await operator.getByRole("button", { name: /Suspend/ }).click();
  await expect(operator.getByRole("alert")).toContainText("Say why");
  await operator.getByLabel("Reason").fill("Unpaid invoices since October");
  await operator.getByRole("button", { name: /Suspend/ }).click();
  await expect(operator.getByRole("status").filter({ hasText: "is suspended" })).toBeVisible();
  await operator.getByRole("button", { name: "Verify the audit chain" }).click();
  await expect(operator.getByText(/Intact: all \d+ events chain correctly/)).toBeVisible();
  await expectAccessible(operator, testInfo, "practice");

  const staff = await (await browser.newContext()).newPage();
  await signInConsole(staff, "lakeside", FRONT_DESK);
  await expect(staff.getByRole("alert").filter({ hasText: "This practice is suspended" })).toContainText("Unpaid invoices since October");
  await expect(staff.getByRole("heading", { level: 1, name: "Inbox" })).toBeVisible();
  await screenshot(staff, "09-staff-suspended-banner");
  await expectAccessible(staff, testInfo, "suspended-banner");

  await operator.getByRole("button", { name: /Reactivate/ }).click();
  await expect(operator.getByRole("status").filter({ hasText: "is reactivated" })).toBeVisible();
  await staff.reload();
  await expect(staff.getByRole("navigation", { name: "Console" })).toBeVisible();
  await expect(staff.getByText("This practice is suspended")).toHaveCount(0);
  await operator.getByRole("link", { name: "Adoption" }).click();
  await expect(operator.getByRole("heading", { level: 1, name: "Adoption across the platform" })).toBeVisible();
  await expect(operator.locator("figure.chart").first()).toBeVisible();
  await expectAccessible(operator, testInfo, "platform-adoption");
});
