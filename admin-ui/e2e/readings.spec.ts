// Reading alerts: Avery Stone records a blood pressure above the demo practice's threshold
// (through the API, as the portal does); the front desk finds the alert under Reading alerts
// with what she was told, opens her chart to see the reading marked patient-reported, and
// acknowledges the alert. axe on each page, readings-NN screenshots.
import { expect, test } from "@playwright/test";
import { FRONT_DESK, api, expectAccessible, patientToken, screenshot, signInConsole } from "./support";

test("the front desk sees a home reading beyond the threshold, opens the chart and acknowledges the alert", async ({ page, request }, testInfo) => {
  test.setTimeout(120_000);
  const token = await patientToken(request);
  const me = await api<{ me: { charts: { relationship: string; patient: { id: string } }[] } }>(
    request,
    "lakeside",
    "{ me { charts { relationship patient { id } } } }",
    {},
    token,
  );
  const chart = me.me.charts.find((c) => c.relationship === "self")!.patient.id;
  const recorded = await api<{ recordReading: { beyondThreshold: boolean } }>(
    request,
    "lakeside",
    `mutation($input: RecordReadingInput!) { recordReading(input: $input) { beyondThreshold userErrors { code } } }`,
    { input: { patientId: chart, kind: "BLOOD_PRESSURE", value: 176, diastolic: 94, unit: "mm[Hg]" } },
    token,
  );
  expect(recorded.recordReading.beyondThreshold).toBe(true);

  await signInConsole(page, "lakeside", FRONT_DESK);
  await page.getByRole("link", { name: "Reading alerts" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Reading alerts" })).toBeVisible();
  const card = page.getByRole("listitem").filter({ hasText: "Blood pressure: 176/94 mmHg" });
  await expect(card).toContainText("The patient was told: “Call us today at (555) 010-0199");
  await expectAccessible(page, testInfo, "readings-alerts");
  await screenshot(page, "readings-01-alerts");

  await card.getByRole("link", { name: "Open the chart" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Avery Stone" })).toBeVisible();
  const readings = page.getByRole("table", { name: "Home readings, newest first" });
  await expect(readings.getByRole("row").nth(1)).toContainText("176/94 mmHg");
  await expect(readings.getByRole("row").nth(1)).toContainText("Patient-reported");
  await expect(readings.getByRole("row").nth(1)).toContainText("Beyond: alert open");
  await readings.scrollIntoViewIfNeeded();
  await expectAccessible(page, testInfo, "readings-chart");
  await screenshot(page, "readings-02-chart");

  await page.goBack();
  await expect(page.getByRole("heading", { level: 1, name: "Reading alerts" })).toBeVisible();
  await page.getByRole("listitem").filter({ hasText: "Blood pressure: 176/94 mmHg" }).getByRole("button", { name: "Acknowledge" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Alert acknowledged." })).toBeVisible();
  await expect(page.getByRole("listitem").filter({ hasText: "Blood pressure: 176/94 mmHg" })).toHaveCount(0);
  await screenshot(page, "readings-03-acknowledged");
});
