// The chart journeys, in order, on one demo server: the front desk opens Avery Stone's chart
// and reads her results; the admin records a result; a restricted chart asks the front desk for
// a reason (break-glass); the admin reviews that access, finds it in the audit log and
// downloads the CSV. axe on every page state, chart-NN screenshots.
import { readFileSync } from "node:fs";
import { expect, test, type Page } from "@playwright/test";
import { ADMIN, baseUrl, expectAccessible, FRONT_DESK, screenshot, signInConsole } from "./support";

test.describe.configure({ mode: "serial" });

let averyId = "";

async function openAvery(page: Page): Promise<void> {
  await page.getByRole("link", { name: "Patients", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Patients" })).toBeVisible();
  await page.getByLabel("Find a patient").fill("Avery Stone");
  await page.getByRole("button", { name: "Search" }).click();
  await page.getByRole("link", { name: "Stone, Avery" }).click();
}

test("the front desk finds Avery Stone and reads her chart, flags in words", async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  await signInConsole(page, "lakeside", FRONT_DESK);
  await page.getByRole("link", { name: "Patients", exact: true }).click();
  await page.getByLabel("Find a patient").fill("Avery Stone");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByRole("link", { name: "Stone, Avery" })).toBeVisible();
  await screenshot(page, "chart-01-patient-search");
  await expectAccessible(page, testInfo, "chart-patient-search");

  await page.getByRole("link", { name: "Stone, Avery" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Avery Stone" })).toBeVisible();
  // Only the id is in the address, never the name.
  expect(page.url()).toMatch(/\/console\/patients\/[^/]+$/);
  expect(page.url()).not.toMatch(/Avery|Stone/i);
  averyId = decodeURIComponent(page.url().split("/").pop()!);

  const results = page.getByRole("table", { name: "Results, newest first" });
  await expect(results.getByRole("row", { name: /LDL cholesterol/ }).first()).toBeVisible();
  // The flag is a word, not a colour: the demo's LDL is high, its HDL normal.
  await expect(results.getByRole("row", { name: /LDL cholesterol.*High/ }).first()).toBeVisible();
  await expect(results.getByRole("row", { name: /HDL cholesterol.*Normal/ }).first()).toBeVisible();
  await expect(results.getByRole("row", { name: /Glucose/ }).first()).toContainText("70 to 99 mg/dL");
  await expect(page.getByRole("heading", { name: "Medications" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Allergies" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Problems" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Immunizations" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Book a visit for Avery Stone" })).toBeVisible();
  await screenshot(page, "chart-02-chart");
  await expectAccessible(page, testInfo, "chart");

  // Booking from the chart carries the patient (by id) to the booking page.
  await page.getByRole("link", { name: "Book a visit for Avery Stone" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Book a visit" })).toBeVisible();
  expect(page.url()).toContain(`patient=${encodeURIComponent(averyId)}`);
});

test("the admin records a result from the chart, sees it there, and restricts the chart", async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  await signInConsole(page, "lakeside", ADMIN);
  await openAvery(page);
  await expect(page.getByRole("heading", { level: 1, name: "Avery Stone" })).toBeVisible();

  await page.getByRole("button", { name: "Record a result" }).click();
  const form = page.getByRole("form", { name: "Record a result" });
  await expect(form.getByRole("heading", { name: "Record a result" })).toBeFocused();
  await form.getByRole("button", { name: "Record result" }).click();
  await expect(form.getByRole("alert")).toContainText("Test: Enter the test's name");
  await expect(form.getByRole("alert")).toContainText("Value: Enter the result as a number");
  await screenshot(page, "chart-03-record-errors");
  await expectAccessible(page, testInfo, "chart-record-errors");

  await form.getByLabel("Test", { exact: true }).fill("Hemoglobin A1c");
  await form.getByLabel("LOINC code").fill("4548-4");
  await form.getByLabel("Value").fill("6.1");
  await form.getByLabel("Unit (optional)").fill("%");
  await form.getByLabel("Range low (optional)").fill("4");
  await form.getByLabel("Range high (optional)").fill("5.6");
  await form.getByLabel("Flag (optional)").selectOption("H");
  await form.getByRole("button", { name: "Record result" }).dblclick();
  await expect(form.getByRole("status")).toHaveText("Hemoglobin A1c is recorded on the chart.");
  const rows = page.getByRole("table", { name: "Results, newest first" }).getByRole("row", { name: /Hemoglobin A1c/ });
  // The double click recorded one result.
  await expect(rows).toHaveCount(1);
  await expect(rows).toContainText("6.1 %");
  await expect(rows).toContainText("4 to 5.6 %");
  await expect(rows).toContainText("High");
  await page.evaluate(() => window.getSelection()?.removeAllRanges());
  await screenshot(page, "chart-04-result-recorded");
  await expectAccessible(page, testInfo, "chart-result-recorded");

  // The admin restricts the chart (a VIP), with nobody else on its care team.
  const access = page.getByRole("form", { name: "Who may open this chart" });
  await access.getByLabel("Restriction").selectOption({ label: "VIP" });
  await expect(access.getByRole("group", { name: "Care team (optional)" }).getByRole("checkbox", { name: "Frankie Desk" })).not.toBeChecked();
  await access.getByRole("button", { name: "Save" }).dblclick();
  await expect(access.getByRole("status")).toHaveText(/Avery Stone's chart is restricted/);
  await expect(page.getByText("Restricted chart: VIP.")).toBeVisible();
  await screenshot(page, "chart-05-restricted-by-admin");
  await expectAccessible(page, testInfo, "chart-restricted");
});

test("a restricted chart asks the front desk for a reason, then opens", async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  expect(averyId).not.toBe("");
  await signInConsole(page, "lakeside", FRONT_DESK);
  // A restricted chart is left out of the front desk's search (its demographics are what the
  // restriction protects): they reach it by its address, from the schedule or a colleague.
  await page.getByRole("link", { name: "Patients", exact: true }).click();
  await page.getByLabel("Find a patient").fill("Avery Stone");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByText("No patient matches that search.")).toBeVisible();
  await page.goto(`${baseUrl()}/console/patients/${encodeURIComponent(averyId)}`);
  await expect(page.getByRole("heading", { level: 1, name: "This chart is restricted" })).toBeVisible();
  await expect(page.getByText("Your access is recorded.")).toBeVisible();
  await expect(page.getByText("LDL cholesterol")).toHaveCount(0);
  await screenshot(page, "chart-06-break-glass");
  await expectAccessible(page, testInfo, "chart-break-glass");

  await page.getByLabel("Reason").fill("need it");
  await page.getByRole("button", { name: "Open the chart" }).click();
  const summary = page.getByRole("alert");
  await expect(summary).toContainText("Reason: Give a reason of at least 15 characters");
  await expect(page.getByLabel("Reason")).toHaveAttribute("aria-invalid", "true");
  await screenshot(page, "chart-07-break-glass-too-short");
  await expectAccessible(page, testInfo, "chart-break-glass-too-short");

  // Typing after the error keeps the focus in the field (the summary takes it only when it appears).
  await page.getByLabel("Reason").click();
  await page.getByLabel("Reason").press("End");
  await page.getByLabel("Reason").pressSequentially(" now");
  await expect(page.getByLabel("Reason")).toBeFocused();
  await expect(page.getByLabel("Reason")).toHaveValue("need it now");
  await page.getByLabel("Reason").fill("Patient at the front desk asking about her cholesterol results");
  await page.getByRole("button", { name: "Open the chart" }).dblclick();
  await expect(page.getByRole("heading", { level: 1, name: "Avery Stone" })).toBeFocused();
  await expect(page.getByRole("status").filter({ hasText: "The chart is open to you until" })).toContainText("a practice admin will review it");
  await expect(page.getByText("Restricted chart: VIP.")).toBeVisible();
  await expect(page.getByRole("table", { name: "Results, newest first" }).getByRole("row", { name: /LDL cholesterol.*High/ }).first()).toBeVisible();
  await screenshot(page, "chart-08-break-glass-opened");
  await expectAccessible(page, testInfo, "chart-break-glass-opened");
});

test("the admin reviews the break-glass access, finds it in the audit log and downloads the CSV", async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  await signInConsole(page, "lakeside", ADMIN);
  await page.getByRole("link", { name: "Break-glass", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Break-glass review" })).toBeVisible();
  const toReview = page.getByRole("table", { name: "Break-glass accesses to review, newest first" });
  const row = toReview.getByRole("row", { name: /Frankie Desk.*cholesterol results/ });
  await expect(row).toHaveCount(1);
  await screenshot(page, "chart-09-break-glass-review");
  await expectAccessible(page, testInfo, "break-glass-review");
  await row.getByRole("button", { name: /Mark reviewed/ }).click();
  await expect(page.getByRole("status").filter({ hasText: "is marked reviewed" })).toContainText("Frankie Desk's access");
  await expect(page.getByText("Nothing to review.")).toBeVisible();
  await expect(page.getByRole("table", { name: "Reviewed break-glass accesses, newest first" }).getByRole("row", { name: /Frankie Desk/ })).toHaveCount(1);
  await screenshot(page, "chart-10-break-glass-reviewed");
  await expectAccessible(page, testInfo, "break-glass-reviewed");

  await page.getByRole("link", { name: "Audit", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Audit log" })).toBeVisible();
  await page.getByLabel("Person").selectOption({ label: "Frankie Desk" });
  await page.getByLabel("Patient id (optional)").fill(averyId);
  await page.getByRole("button", { name: "Search" }).click();
  const event = page.getByRole("row", { name: /Frankie Desk.*Opened a restricted chart \(break-glass\)/ });
  await expect(event).toHaveCount(1);
  await screenshot(page, "chart-11-audit");
  await expectAccessible(page, testInfo, "audit");

  await page.getByRole("button", { name: "Export as CSV" }).click();
  await expect(page.getByRole("status").filter({ hasText: "ready" })).toBeVisible();
  const link = page.getByRole("link", { name: "Download the CSV" });
  // The file comes from memory (a blob), so no patient detail is ever in an address.
  expect(await link.getAttribute("href")).toMatch(/^blob:/);
  const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
  const text = readFileSync((await download.path())!, "utf8");
  expect(text.split(/\r?\n/)[0]).toBe(
    "seq,occurred_at,actor_kind,actor_id,actor_name,actor_role,action,resource_type,resource_id,patient_id,request_id,client_ip,break_glass_id,hash",
  );
  expect(text).toContain("chart.break_glass");
  await screenshot(page, "chart-12-audit-export");
  await expectAccessible(page, testInfo, "audit-export");

  // A patient id that is not one is refused on its field.
  await page.getByLabel("Patient id (optional)").fill("Avery");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByRole("alert")).toContainText("Patient id: Enter the patient id as it appears in the chart's address");
  await expect(page.getByLabel("Patient id (optional)")).toHaveAttribute("aria-invalid", "true");
  await expectAccessible(page, testInfo, "audit-bad-patient-id");

  await page.getByLabel("Person").selectOption({ label: "Everyone" });
  await page.getByLabel("Patient id (optional)").fill("");
  await page.getByLabel("From").fill("2001-01-01");
  await page.getByLabel("To").fill("2001-01-02");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByText("Nothing was recorded for that search.")).toBeVisible();
  await expectAccessible(page, testInfo, "audit-empty");

  // The admin lifts the restriction: the demo's chart is as the other journeys expect it.
  await openAvery(page);
  const access = page.getByRole("form", { name: "Who may open this chart" });
  await access.getByLabel("Restriction").selectOption({ label: "Not restricted" });
  await access.getByRole("button", { name: "Save" }).click();
  await expect(access.getByRole("status")).toHaveText("Avery Stone's chart is no longer restricted.");
  await expect(page.getByText("Restricted chart: VIP.")).toHaveCount(0);

  await page.getByRole("link", { name: "Deliveries", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Failed deliveries" })).toBeVisible();
  await expect(page.getByText(/No failed deliveries|Send again/).first()).toBeVisible();
  await screenshot(page, "chart-13-deliveries");
  await expectAccessible(page, testInfo, "deliveries");
});
