// Reading thresholds: the demo admin opens Reading thresholds and sees the demo practice's
// thresholds in plain words with their units; adds a peak flow threshold with the low limit
// above the high one (refused at the field, nothing saved, checked through the API), then a
// valid one (read back through the API), changes it, and removes it after being asked. The
// blood pressure thresholds other journeys rely on are left alone. Then Avery Stone's chart
// shows a peak flow threshold of her own (set and removed through the API). axe on each
// state, thresholds-NN screenshots.
import { expect, test, type APIRequestContext } from "@playwright/test";
import { ADMIN, PASSWORD, api, baseUrl, expectAccessible, freshCode, patientToken, screenshot, signInConsole } from "./support";

interface Threshold {
  kind: string;
  measure: string;
  low: number | null;
  high: number | null;
  instruction: string;
}

async function thresholds(request: APIRequestContext, token: string): Promise<Threshold[]> {
  const data = await api<{ readingThresholds: Threshold[] }>(request, "lakeside", "{ readingThresholds { kind measure low high instruction } }", {}, token);
  return data.readingThresholds;
}

test("the practice admin sees, adds, changes and removes reading thresholds", async ({ page, request }, testInfo) => {
  // Two sign-ins of the admin each wait for a fresh two-step code (up to 30 s apiece), so on
  // a loaded machine the journey needs more than the default.
  test.setTimeout(240_000);
  const token = (
    await api<{ signIn: { session: { accessToken: string } } }>(
      request,
      "lakeside",
      `mutation($e: String!, $p: String!, $c: String) { signIn(input: { email: $e, password: $p, totpCode: $c }) { session { accessToken } } }`,
      { e: ADMIN, p: PASSWORD, c: await freshCode(ADMIN) },
    )
  ).signIn.session.accessToken;
  const peakFlow = async () => (await thresholds(request, token)).filter((t) => t.kind === "PEAK_FLOW");
  expect(await peakFlow()).toEqual([]);

  await signInConsole(page, "lakeside", ADMIN);
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Reading thresholds" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Reading thresholds" })).toBeVisible();
  const table = page.getByRole("table", { name: "The practice’s thresholds" });
  const row = (name: string) => table.getByRole("row").filter({ has: page.getByRole("rowheader", { name }) });
  await expect(row("Blood pressure, systolic (mm Hg)")).toContainText("above 160 or below 90");
  await expect(row("Blood pressure, diastolic (mm Hg)")).toContainText("above 100");
  await expect(row("Blood glucose (mg/dL)")).toContainText("above 300 or below 70");
  await expect(row("Oxygen saturation (%)")).toContainText("below 92");
  await expect(row("Oxygen saturation (%)")).toContainText("Call us today at (555) 010-0199");
  await expectAccessible(page, testInfo, "thresholds-list");
  await screenshot(page, "thresholds-01-list");

  // The low limit above the high one: refused at the high limit, nothing saved.
  const form = page.getByRole("form", { name: "Add a threshold" });
  // The first reading without a threshold is offered, so adding never replaces one unasked.
  await expect(form.getByLabel("Reading")).toHaveValue("WEIGHT:VALUE");
  await form.getByLabel("Reading").selectOption({ label: "Peak flow (L/min)" });
  await form.getByLabel("Low limit (L/min)").fill("300");
  await form.getByLabel("High limit (L/min)").fill("200");
  await form.getByLabel("What the patient should do").fill("Use your reliever inhaler now and call us today.");
  await form.getByRole("button", { name: "Add threshold" }).click();
  const summary = page.getByRole("alert").filter({ hasText: "There is a problem" });
  await expect(summary).toBeFocused();
  await expect(summary.getByRole("link", { name: /High limit/ })).toBeVisible();
  await expect(page.locator("#field-high-error")).toHaveText("Make the high limit more than the low limit.");
  await expect(form.getByLabel("High limit (L/min)")).toHaveAttribute("aria-invalid", "true");
  await expect(form.getByLabel("Low limit (L/min)")).toHaveValue("300");
  expect(await peakFlow()).toEqual([]);
  await expectAccessible(page, testInfo, "thresholds-refused");
  await screenshot(page, "thresholds-02-refused");

  // A valid one: saved, listed and read back through the API.
  await form.getByLabel("Low limit (L/min)").fill("150");
  await form.getByLabel("High limit (L/min)").fill("600");
  await form.getByRole("button", { name: "Add threshold" }).click();
  await expect(page.locator("p.notice[role=status]")).toHaveText("Peak flow is saved: alert above 600 or below 150.");
  await expect(row("Peak flow (L/min)")).toContainText("above 600 or below 150");
  await expect.poll(peakFlow).toEqual([
    { kind: "PEAK_FLOW", measure: "VALUE", low: 150, high: 600, instruction: "Use your reliever inhaler now and call us today." },
  ]);
  await expect(row("Blood pressure, systolic (mm Hg)")).toContainText("above 160 or below 90");

  // Changed: only the high limit goes.
  await row("Peak flow (L/min)").getByRole("button", { name: "Change Peak flow" }).click();
  const change = page.getByRole("form", { name: "Change Peak flow" });
  await expect(change.getByLabel("High limit (L/min)")).toHaveValue("600");
  await change.getByLabel("High limit (L/min)").fill("");
  await change.getByRole("button", { name: "Save changes" }).click();
  await expect(page.locator("p.notice[role=status]")).toHaveText("Peak flow is saved: alert below 150.");
  await expect.poll(async () => (await peakFlow()).map((t) => [t.low, t.high])).toEqual([[150, null]]);
  await screenshot(page, "thresholds-03-saved");

  // Removed after asking.
  await row("Peak flow (L/min)").getByRole("button", { name: "Remove Peak flow" }).click();
  await expect(row("Peak flow (L/min)").getByRole("button", { name: "Keep" })).toBeVisible();
  await expectAccessible(page, testInfo, "thresholds-confirm");
  await row("Peak flow (L/min)").getByRole("button", { name: "Remove Peak flow" }).click();
  await expect(page.locator("p.notice[role=status]")).toHaveText("Peak flow is removed. Readings of it no longer make an alert.");
  await expect(row("Peak flow (L/min)")).toHaveCount(0);
  await expect.poll(peakFlow).toEqual([]);
  expect((await thresholds(request, token)).length).toBe(4);
  await screenshot(page, "thresholds-04-removed");

  // A patient's own threshold, read only on the chart.
  const me = await api<{ me: { charts: { relationship: string; patient: { id: string } }[] } }>(
    request,
    "lakeside",
    "{ me { charts { relationship patient { id } } } }",
    {},
    await patientToken(request),
  );
  const avery = me.me.charts.find((c) => c.relationship === "self")!.patient.id;
  const setOwn = (low: number | null) =>
    api<{ setReadingThreshold: { userErrors: { code: string }[] } }>(
      request,
      "lakeside",
      `mutation($input: SetReadingThresholdInput!) { setReadingThreshold(input: $input) { userErrors { code } } }`,
      { input: { patientId: avery, kind: "PEAK_FLOW", measure: "VALUE", low, high: null, instruction: "Use your reliever inhaler and call Dr. Patel's nurse." } },
      token,
    );
  expect((await setOwn(200)).setReadingThreshold.userErrors).toEqual([]);
  await page.goto(`${baseUrl()}/console/patients/${encodeURIComponent(avery)}`);
  await expect(page.getByRole("heading", { level: 1, name: "Avery Stone" })).toBeVisible();
  const own = page.getByRole("region", { name: "Home readings" });
  await expect(own.getByRole("heading", { name: "This patient’s own thresholds" })).toBeVisible();
  await expect(own.getByRole("listitem")).toHaveText("Peak flow (L/min): alert below 200. The patient is told: “Use your reliever inhaler and call Dr. Patel's nurse.”");
  await own.scrollIntoViewIfNeeded();
  await expectAccessible(page, testInfo, "thresholds-chart");
  await screenshot(page, "thresholds-05-chart");
  expect((await setOwn(null)).setReadingThreshold.userErrors).toEqual([]);
  await page.reload();
  await expect(page.getByRole("heading", { level: 1, name: "Avery Stone" })).toBeVisible({ timeout: 30_000 });
  await expect(page.getByText("The practice’s reading thresholds apply: this patient has none of their own.")).toBeVisible();
});
