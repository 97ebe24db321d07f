// The health record: a patient reads their results (the flag in words, the range and what it
// means), a test's history as a chart and a table, asks for a refill that the practice
// approves, shows the emergency card, prints a summary and downloads the record as FHIR;
// every page checked with axe in English and Spanish, at 360 px and at 1280 px.
import { readFileSync } from "node:fs";
import { expect, test, type Page, type TestInfo } from "@playwright/test";
import { ADMIN, FRONT_DESK, PASSWORD, PATIENT, api, expectAccessible, freshCode, patientToken, portalUrl, screenshot, signInPortal } from "./support";

const PHONE = { width: 360, height: 780 };
const DESKTOP = { width: 1280, height: 860 };

async function noSidewaysScroll(page: Page): Promise<void> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

/** Opens a records page from the address bar and checks its heading, axe and a screenshot. */
async function visit(page: Page, testInfo: TestInfo, path: string, heading: string | RegExp, name: string, ready?: () => Promise<void>): Promise<void> {
  await page.goto(portalUrl(path));
  await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: /Loading|Cargando/ })).toHaveCount(0);
  await ready?.();
  await noSidewaysScroll(page);
  await expectAccessible(page, testInfo, name);
  await screenshot(page, name);
}

test("a patient finds a high result in words, opens its history as a chart and a table, in English and Spanish", async ({ browser }, testInfo) => {
  test.setTimeout(240_000);
  const context = await browser.newContext({ viewport: PHONE, locale: "en-US" });
  const page = await context.newPage();
  await signInPortal(page, PATIENT, PASSWORD, "/records");
  await expect(page.getByRole("heading", { level: 1, name: "Your health record" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Download my record" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Print a summary" })).toBeVisible();
  await noSidewaysScroll(page);
  await expectAccessible(page, testInfo, "records-index-360-en");
  await screenshot(page, "records-index-360-en");

  // Results, newest first: the flagged one says "High" in words, the range and what it means.
  await page.getByRole("link", { name: "Test results" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Test results" })).toBeVisible();
  const high = page.getByRole("article").filter({ has: page.locator(".flag", { hasText: /^High$/ }) }).first();
  await expect(high).toContainText("LDL cholesterol");
  await expect(high).toContainText("162 mg/dL");
  await expect(high).toContainText("Usual range: 100 mg/dL or lower");
  await expect(high).toContainText("Your result is above the usual range. Your care team will tell you if you need to do anything.");
  const normal = page.getByRole("article").filter({ hasText: "Glucose" }).first();
  await expect(normal).toContainText("Normal");
  await expect(normal).toContainText("Usual range: 70–99 mg/dL");
  await noSidewaysScroll(page);
  await expectAccessible(page, testInfo, "records-results-360-en");
  await screenshot(page, "records-results-360-en");

  // Its history: a chart with the usual range shaded and a table with every value.
  await high.getByRole("link", { name: /See all your LDL cholesterol/ }).click();
  await expect(page.getByRole("heading", { level: 1, name: "LDL cholesterol (direct)" })).toBeVisible();
  const figure = page.getByRole("figure", { name: "Your LDL cholesterol (direct) over time" });
  await expect(figure.locator("svg.recharts-surface")).toBeVisible();
  // Each point carries its value once drawn.
  await expect(figure.locator(".recharts-label-list").first()).toContainText("162");
  await expect(figure.getByRole("img")).toHaveAttribute("aria-label", /3 results from .* The latest is 96 mg\/dL/);
  const table = page.getByRole("table", { name: /Every LDL cholesterol \(direct\) result/ });
  const rows = table.locator("tbody tr");
  await expect(rows).toHaveCount(3);
  await expect(rows.nth(0)).toContainText("96 mg/dL");
  await expect(rows.nth(0)).toContainText("Normal");
  await expect(rows.nth(1)).toContainText("162 mg/dL");
  await expect(rows.nth(1)).toContainText("High");
  await expect(rows.nth(2)).toContainText("138 mg/dL");
  await expect(rows.nth(2)).toContainText("High");
  await noSidewaysScroll(page);
  await expectAccessible(page, testInfo, "records-trend-360-en");
  await screenshot(page, "records-trend-360-en");

  // Spanish: the same chart and table, the flag in Spanish words.
  await page.getByLabel("Language").selectOption("es");
  await expect(page.getByRole("figure", { name: "Su LDL cholesterol (direct) a lo largo del tiempo" })).toBeVisible();
  await expect(page.getByRole("table", { name: /Todos sus resultados de LDL/ })).toBeVisible();
  await expect(page.getByRole("table").locator("tbody tr").nth(1)).toContainText("Alto");
  await expectAccessible(page, testInfo, "records-trend-360-es");
  await screenshot(page, "records-trend-360-es");
  await page.getByRole("link", { name: "Todos los resultados" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Resultados de análisis" })).toBeVisible();
  const alto = page.getByRole("article").filter({ has: page.locator(".flag", { hasText: /^Alto$/ }) }).first();
  await expect(alto).toContainText("Rango normal: 100 mg/dL o menos");
  await expect(alto).toContainText("Su resultado está por encima del rango normal.");
  await expectAccessible(page, testInfo, "records-results-360-es");
  await screenshot(page, "records-results-360-es");

  // Every other records page, in Spanish on the phone.
  await visit(page, testInfo, "/records", "Su expediente médico", "records-index-360-es");
  await visit(page, testInfo, "/records/reports", "Informes de análisis", "records-reports-360-es");
  await expect(page.getByText("Lo que anotó su equipo de atención").first()).toBeVisible();
  await visit(page, testInfo, "/records/visits", "Notas de sus citas", "records-visits-360-es");
  await visit(page, testInfo, "/records/medications", "Medicinas", "records-medications-360-es");
  await expect(page.getByRole("link", { name: "Pedir un resurtido" }).first()).toBeVisible();
  await visit(page, testInfo, "/records/allergies", "Alergias", "records-allergies-360-es");
  await expect(page.getByText("Penicillin")).toBeVisible();
  await visit(page, testInfo, "/records/problems", "Problemas de salud", "records-problems-360-es");
  await visit(page, testInfo, "/records/immunizations", "Vacunas", "records-vaccines-360-es");
  await visit(page, testInfo, "/records/emergency", "Tarjeta de emergencia", "records-emergency-360-es");
  await visit(page, testInfo, "/records/summary", "Su resumen de salud", "records-summary-360-es");
  await visit(page, testInfo, "/refills", "Solicitudes de resurtido", "records-refills-360-es");

  // And in English, on a desktop screen.
  await page.getByLabel("Idioma").selectOption("en");
  await page.setViewportSize(DESKTOP);
  await visit(page, testInfo, "/records", "Your health record", "records-index-1280-en");
  await visit(page, testInfo, "/records/results", "Test results", "records-results-1280-en");
  await visit(page, testInfo, "/records/results/history#18262-6", "LDL cholesterol (direct)", "records-trend-1280-en", async () => {
    await expect(page.getByRole("figure", { name: "Your LDL cholesterol (direct) over time" }).locator(".recharts-label-list").first()).toContainText("96");
  });
  await visit(page, testInfo, "/records/reports", "Test reports", "records-reports-1280-en");
  await visit(page, testInfo, "/records/visits", "Visit notes", "records-visits-1280-en");
  await expect(page.getByText("Started atorvastatin 20 mg nightly.")).toBeVisible();
  await visit(page, testInfo, "/records/medications", "Medicines", "records-medications-1280-en");
  await visit(page, testInfo, "/records/allergies", "Allergies", "records-allergies-1280-en");
  await expect(page.getByText("Moderate")).toBeVisible();
  await visit(page, testInfo, "/records/problems", "Health problems", "records-problems-1280-en");
  await expect(page.getByText("Hyperlipidemia")).toBeVisible();
  await visit(page, testInfo, "/records/immunizations", "Vaccines", "records-vaccines-1280-en");
  await expect(page.getByText("Tdap")).toBeVisible();
  await visit(page, testInfo, "/refills", "Refill requests", "records-refills-1280-en");
  await context.close();
});

test("a patient asks for a refill, the practice approves it, and the refills page says so", async ({ browser, request }, testInfo) => {
  test.setTimeout(180_000);
  const context = await browser.newContext({ viewport: DESKTOP, locale: "en-US" });
  const page = await context.newPage();
  await signInPortal(page, PATIENT, PASSWORD, "/records/medications");
  await expect(page.getByRole("heading", { level: 1, name: "Medicines" })).toBeVisible();
  const card = page.getByRole("article").filter({ hasText: "Lisinopril" });
  await expect(card).toContainText("1 tablet by mouth daily");
  await card.getByRole("link", { name: "Request a refill" }).click();

  await expect(page.getByRole("heading", { level: 1, name: "Request a refill" })).toBeVisible();
  await expect(page.getByRole("heading", { name: /Lisinopril/ })).toBeVisible();
  await expectAccessible(page, testInfo, "records-refill-form-1280-en");
  // No pharmacy (the box starts with the patient's usual one, when another journey set it):
  // the summary at the top says what is missing and links to the field.
  await page.getByLabel("Pharmacy").fill("");
  await page.getByLabel("Note for your care team (optional)").fill("Running out on Friday.");
  await page.getByRole("button", { name: "Send request" }).click();
  const summary = page.getByRole("alert").filter({ hasText: "There is a problem" });
  await expect(summary).toContainText("Enter the pharmacy to send it to.");
  await expect(summary.getByRole("link", { name: "Enter the pharmacy to send it to." })).toHaveAttribute("href", "#pharmacy");
  // What was typed is still there.
  await expect(page.getByLabel("Note for your care team (optional)")).toHaveValue("Running out on Friday.");
  await expectAccessible(page, testInfo, "records-refill-form-error-1280-en");
  await screenshot(page, "records-refill-form-error-1280-en");
  await page.getByLabel("Pharmacy").fill("Elm Street Pharmacy");
  await page.getByRole("button", { name: "Send request" }).click();

  await expect(page.getByRole("heading", { level: 1, name: "Refill requests" })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "We sent your refill request for Lisinopril 10 mg tablet to your care team." })).toBeVisible();
  const request1 = page.getByRole("article").filter({ hasText: "Lisinopril" }).first();
  await expect(request1).toContainText("Waiting for your care team");
  await expect(request1).toContainText("Elm Street Pharmacy");
  await expect(request1).toContainText("Running out on Friday.");
  await expectAccessible(page, testInfo, "records-refills-waiting-1280-en");
  await screenshot(page, "records-refills-waiting-1280-en");
  // The medicines page shows the request waiting instead of a second button.
  await page.goto(portalUrl("/records/medications"));
  await expect(page.getByRole("article").filter({ hasText: "Lisinopril" })).toContainText("Refill requested. Waiting for your care team.");

  // The practice admin approves it through the API.
  const token = await patientToken(request);
  const me = await api<{ me: { charts: { patient: { id: string } }[] } }>(request, "lakeside", `{ me { charts { patient { id } } } }`, {}, token);
  const patientId = me.me.charts[0]!.patient.id;
  const pending = await api<{ refillRequests: { id: string; status: string; medication: { name: string } | null }[] }>(
    request,
    "lakeside",
    `query($p: ID!) { refillRequests(patientId: $p) { id status medication { name } } }`,
    { p: patientId },
    token,
  );
  const refill = pending.refillRequests.find((r) => r.medication?.name.startsWith("Lisinopril") && r.status !== "approved")!;
  const adminToken = (
    await api<{ signIn: { session: { accessToken: string } } }>(
      request,
      "lakeside",
      `mutation($e: String!, $p: String!, $c: String) { signIn(input: { email: $e, password: $p, totpCode: $c }) { session { accessToken } } }`,
      { e: ADMIN, p: PASSWORD, c: await freshCode(ADMIN) },
    )
  ).signIn.session.accessToken;
  const decided = await api<{ decideRefill: { refillRequest: { status: string } | null; userErrors: { code: string }[] } }>(
    request,
    "lakeside",
    `mutation($i: DecideRefillInput!) { decideRefill(input: $i) { refillRequest { status } userErrors { code } } }`,
    { i: { id: refill.id, decision: "APPROVE", quantity: 30, refills: 2 } },
    adminToken,
  );
  expect(decided.decideRefill.userErrors).toEqual([]);
  expect(decided.decideRefill.refillRequest?.status).toBe("approved");

  // A second request, for a medicine the practice wants to see Avery about first.
  const meds = await api<{ patient: { medications: { nodes: { id: string; name: string }[] } } }>(
    request,
    "lakeside",
    `query($p: ID!) { patient(id: $p) { medications(first: 10) { nodes { id name } } } }`,
    { p: patientId },
    token,
  );
  const atorvastatin = meds.patient.medications.nodes.find((m) => m.name.startsWith("Atorvastatin"))!;
  const second = await api<{ requestRefill: { refillRequest: { id: string } | null; userErrors: { code: string }[] } }>(
    request,
    "lakeside",
    `mutation($i: RequestRefillInput!) { requestRefill(input: $i) { refillRequest { id } userErrors { code } } }`,
    { i: { medicationId: atorvastatin.id, pharmacy: "Elm Street Pharmacy" } },
    token,
  );
  expect(second.requestRefill.userErrors).toEqual([]);
  await api(
    request,
    "lakeside",
    `mutation($i: DecideRefillInput!) { decideRefill(input: $i) { refillRequest { status } userErrors { code } } }`,
    { i: { id: second.requestRefill.refillRequest!.id, decision: "NEEDS_APPOINTMENT", reason: "It is time for your cholesterol check." } },
    adminToken,
  );

  // Avery reloads the refills page (where the email links) and sees the decision.
  await page.goto(portalUrl("/refills"));
  const approved = page.getByRole("article").filter({ hasText: "Lisinopril" }).first();
  await expect(approved).toContainText("Approved");
  await expect(approved).toContainText(/Amount approved\s*30/);
  await expect(approved).toContainText(/Refills approved\s*2/);
  await expect(approved).toContainText("Ask Elm Street Pharmacy when it will be ready.");
  await expect(approved).not.toContainText("Waiting for your care team");
  const visitFirst = page.getByRole("article").filter({ hasText: "Atorvastatin" });
  await expect(visitFirst).toContainText("Book a visit first");
  await expect(visitFirst).toContainText("It is time for your cholesterol check.");
  await expect(visitFirst.getByRole("link", { name: "Book a visit" })).toHaveAttribute("href", "/t/lakeside/book");
  await expectAccessible(page, testInfo, "records-refills-approved-1280-en");
  await screenshot(page, "records-refills-approved-1280-en");
  await page.setViewportSize(PHONE);
  await noSidewaysScroll(page);
  await screenshot(page, "records-refills-approved-360-en");
  await page.getByLabel("Language").selectOption("es");
  await expect(page.getByRole("article").filter({ hasText: "Lisinopril" }).first()).toContainText("Aprobado");
  await expectAccessible(page, testInfo, "records-refills-approved-360-es");
  await screenshot(page, "records-refills-approved-360-es");
  await page.getByLabel("Idioma").selectOption("en");
  await expect(page.getByRole("heading", { level: 1, name: "Refill requests" })).toBeVisible();
  await context.close();
});

test("the emergency card and the printed summary leave out the navigation, and the record downloads as a FHIR bundle", async ({ browser }, testInfo) => {
  test.setTimeout(120_000);
  const context = await browser.newContext({ viewport: PHONE, locale: "en-US", acceptDownloads: true });
  const page = await context.newPage();
  await signInPortal(page, PATIENT, PASSWORD, "/records/emergency");
  await expect(page.getByRole("heading", { level: 1, name: "Emergency card" })).toBeVisible();
  const allergies = page.getByRole("region", { name: "Allergies" });
  await expect(allergies).toContainText("Penicillin");
  await expect(allergies).toContainText("Hives");
  await expect(page.getByRole("region", { name: "Medicines taken now" })).toContainText("Atorvastatin 20 mg tablet");
  await expect(page.getByRole("region", { name: "Health problems" })).toContainText("Essential hypertension");
  await expect(page.getByRole("region", { name: "Vaccines" })).toContainText("Tdap");
  const contacts = page.getByRole("region", { name: "Emergency contacts" });
  await expect(contacts).toContainText("Morgan Stone");
  await expect(contacts.getByRole("link", { name: "+1 312 555 0142" })).toHaveAttribute("href", "tel:+13125550142");
  await noSidewaysScroll(page);
  await expectAccessible(page, testInfo, "records-emergency-360-en");
  await screenshot(page, "records-emergency-360-en");
  await page.emulateMedia({ media: "print" });
  await expect(page.getByRole("navigation", { name: "Main" })).toBeHidden();
  await expect(page.getByRole("button", { name: "Print" })).toBeHidden();
  await expect(page.getByText("Penicillin")).toBeVisible();
  await screenshot(page, "records-emergency-print");
  await page.emulateMedia({ media: "screen" });

  // The printable summary: a Print button on screen; in print, no navigation, no button.
  await page.setViewportSize(DESKTOP);
  await page.goto(portalUrl("/records/summary"));
  await expect(page.getByRole("heading", { level: 1, name: "Your health summary" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Print" })).toBeVisible();
  await expect(page.getByRole("region", { name: "Latest test results" })).toContainText("LDL cholesterol (direct)");
  await expect(page.getByRole("region", { name: "Recent visits" })).toContainText("Dr. Priya Natarajan");
  await expectAccessible(page, testInfo, "records-summary-1280-en");
  await screenshot(page, "records-summary-1280-en");
  await page.evaluate(() => {
    (window as unknown as { printed: number }).printed = 0;
    window.print = () => {
      (window as unknown as { printed: number }).printed += 1;
    };
  });
  await page.getByRole("button", { name: "Print" }).click();
  expect(await page.evaluate(() => (window as unknown as { printed: number }).printed)).toBe(1);
  await page.emulateMedia({ media: "print" });
  await expect(page.getByRole("navigation", { name: "Main" })).toBeHidden();
  await expect(page.getByRole("button", { name: "Print" })).toBeHidden();
  await expect(page.getByText("Patient portal by Portico")).toBeHidden();
  await expect(page.getByText("Penicillin")).toBeVisible();
  await screenshot(page, "records-summary-print");
  await page.emulateMedia({ media: "screen" });

  // Download my record: a JSON file, named for the practice and the day (no name in it).
  await page.goto(portalUrl("/records"));
  const downloading = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download my record" }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^lakeside-record-\d{4}-\d{2}-\d{2}\.json$/);
  expect(download.suggestedFilename()).not.toMatch(/avery|stone/i);
  const bundle = JSON.parse(readFileSync(await download.path(), "utf8")) as { resourceType: string; entry: { resource: { resourceType: string } }[] };
  expect(bundle.resourceType).toBe("Bundle");
  expect(bundle.entry.some((e) => e.resource.resourceType === "Patient")).toBe(true);
  await expect(page.getByRole("status").filter({ hasText: /Your record was saved as lakeside-record-/ })).toBeVisible();
  await expectAccessible(page, testInfo, "records-index-downloaded-1280-en");
  await screenshot(page, "records-index-downloaded-1280-en");
  await context.close();
});

test("a caregiver who may only read sees the records but no way to ask for refills", async ({ browser, request }, testInfo) => {
  test.setTimeout(180_000);
  // The front desk registers Rosa and gives her an activation code; she activates her account.
  const deskToken = (
    await api<{ signIn: { session: { accessToken: string } } }>(
      request,
      "lakeside",
      `mutation($e: String!, $p: String!, $c: String) { signIn(input: { email: $e, password: $p, totpCode: $c }) { session { accessToken } } }`,
      { e: FRONT_DESK, p: PASSWORD, c: await freshCode(FRONT_DESK) },
    )
  ).signIn.session.accessToken;
  const email = `rosa.${Date.now()}@example.com`;
  const created = await api<{ createPatient: { patient: { id: string } | null; userErrors: { code: string }[] } }>(
    request,
    "lakeside",
    `mutation($i: CreatePatientInput!) { createPatient(input: $i) { patient { id } userErrors { code } } }`,
    { i: { givenName: "Rosa", familyName: "Delgado", birthDate: "1984-03-09", gender: "female", email } },
    deskToken,
  );
  expect(created.createPatient.userErrors).toEqual([]);
  const issued = await api<{ issueActivationCode: { code: string } }>(
    request,
    "lakeside",
    `mutation($i: IssueActivationCodeInput!) { issueActivationCode(input: $i) { code userErrors { code } } }`,
    { i: { patientId: created.createPatient.patient!.id } },
    deskToken,
  );
  const activated = await api<{ activatePatientAccount: { userErrors: { code: string }[] } }>(
    request,
    "lakeside",
    `mutation($i: ActivatePatientAccountInput!) { activatePatientAccount(input: $i) { session { accessToken } userErrors { code } } }`,
    { i: { code: issued.issueActivationCode.code, birthDate: "1984-03-09", email, password: PASSWORD } },
  );
  expect(activated.activatePatientAccount.userErrors).toEqual([]);

  // Avery lets Rosa read her chart, nothing more.
  const token = await patientToken(request);
  const me = await api<{ me: { charts: { patient: { id: string } }[] } }>(request, "lakeside", `{ me { charts { patient { id } } } }`, {}, token);
  const patientId = me.me.charts[0]!.patient.id;
  const granted = await api<{ grantProxyAccess: { userErrors: { code: string }[] } }>(
    request,
    "lakeside",
    `mutation($i: GrantProxyAccessInput!) { grantProxyAccess(input: $i) { grant { id } userErrors { code } } }`,
    { i: { patientId, granteeEmail: email, scopes: ["READ"] } },
    token,
  );
  expect(granted.grantProxyAccess.userErrors).toEqual([]);
  const meds = await api<{ patient: { medications: { nodes: { id: string; name: string }[] } } }>(
    request,
    "lakeside",
    `query($p: ID!) { patient(id: $p) { medications(first: 10) { nodes { id name } } } }`,
    { p: patientId },
    token,
  );
  const lisinopril = meds.patient.medications.nodes.find((m) => m.name.startsWith("Lisinopril"))!;

  const context = await browser.newContext({ viewport: PHONE, locale: "en-US" });
  const page = await context.newPage();
  await signInPortal(page, email, PASSWORD, "/records");
  await page.getByLabel("Whose records").selectOption({ label: "Avery Stone" });
  await expect(page.getByRole("heading", { level: 1, name: "Avery's health record" })).toBeVisible();
  await page.getByRole("link", { name: "Medicines" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Medicines" })).toBeVisible();
  await expect(page.getByRole("article").filter({ hasText: "Lisinopril" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Request a refill" })).toHaveCount(0);
  await expectAccessible(page, testInfo, "records-proxy-medications-360-en");
  await screenshot(page, "records-proxy-medications-360-en");
  await page.goto(portalUrl(`/records/medications/${encodeURIComponent(lisinopril.id)}/refill`));
  await expect(page.getByRole("heading", { level: 1, name: "Request a refill" })).toBeVisible();
  await expect(page.getByText("You cannot ask for refills for Avery.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Send request" })).toHaveCount(0);
  await expectAccessible(page, testInfo, "records-proxy-refill-refused-360-en");
  await screenshot(page, "records-proxy-refill-refused-360-en");
  await context.close();
});
