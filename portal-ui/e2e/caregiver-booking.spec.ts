// A caregiver with booking shared books a visit for the patient: they switch to the
// patient's chart, book through the same questions, and the visit is on the patient's list
// (and the patient sees it too), never on the caregiver's own.
import { expect, test, type APIRequestContext } from "@playwright/test";
import { PASSWORD, api, expectAccessible, newPatientAccount, patientToken, portalUrl, screenshot } from "./support";

/** A second portal account at the practice, registered by the front desk and activated. */
function caregiverAccount(request: APIRequestContext): Promise<string> {
  return newPatientAccount(request, { givenName: "Morgan", familyName: "Hale", birthDate: "1975-09-30", gender: "female" });
}

test("a caregiver with booking shared books a visit for the patient, on the patient's chart", async ({ browser, request }, testInfo) => {
  test.setTimeout(120_000);
  const email = await caregiverAccount(request);
  const avery = await patientToken(request);
  const charts = await api<{ me: { charts: { relationship: string; patient: { id: string } }[] } }>(request, "lakeside", `{ me { charts { relationship patient { id } } } }`, {}, avery);
  const averyId = charts.me.charts.find((c) => c.relationship === "self")!.patient.id;
  await api(request, "lakeside", `mutation($i: GrantProxyAccessInput!) { grantProxyAccess(input: $i) { grant { id } userErrors { code } } }`, {
    i: { patientId: averyId, granteeEmail: email, scopes: ["READ", "BOOK"] },
  }, avery);
  const before = await api<{ appointments: { id: string }[] }>(request, "lakeside", `query($p: ID!) { appointments(patientId: $p) { id } }`, { p: averyId }, avery);

  const context = await browser.newContext({ viewport: { width: 360, height: 780 }, locale: "en-US" });
  const page = await context.newPage();
  await page.goto(portalUrl("/"));
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Hello, Morgan" })).toBeVisible();

  await page.getByLabel("Whose records").selectOption({ label: "Avery Stone" });
  await expect(page.getByRole("heading", { level: 1, name: "Avery's portal" })).toBeVisible();
  await page.getByRole("link", { name: "Book a visit" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "What type of visit do you need?" })).toBeVisible();
  await page.getByLabel("Video visit").check();
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByLabel("First available").check();
  await page.getByRole("button", { name: "Continue" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "What day suits you?" })).toBeVisible();
  await page.getByRole("list", { name: "Days with free times" }).getByRole("link").last().click();
  await page.locator(".booking-times a").first().click();
  await expect(page.getByRole("heading", { level: 1, name: "Check your answers" })).toBeVisible();
  await expectAccessible(page, testInfo, "caregiver-booking-check");
  await page.getByRole("button", { name: "Book this visit" }).click();
  await expect(page.getByTestId("visit-done")).toHaveText(/^Your visit is booked for /);
  await screenshot(page, "caregiver-booked-360");

  // The visit is Avery's: one more on her chart, as she sees it through the API.
  const after = await api<{ appointments: { id: string; bookedVia: string }[] }>(request, "lakeside", `query($p: ID!) { appointments(patientId: $p) { id bookedVia } }`, { p: averyId }, avery);
  expect(after.appointments.length).toBe(before.appointments.length + 1);
  const added = after.appointments.find((a) => !before.appointments.some((b) => b.id === a.id))!;
  expect(added.bookedVia).toBe("portal");
  // And not the caregiver's own: their chart still has no visits.
  await page.getByLabel("Whose records").selectOption({ label: "Me (Morgan)" });
  await page.goto(portalUrl("/visits"));
  await expect(page.getByRole("heading", { level: 1, name: "Your visits" })).toBeVisible();
  await expect(page.locator(".booking-visit-link")).toHaveCount(0);
  await context.close();
});
