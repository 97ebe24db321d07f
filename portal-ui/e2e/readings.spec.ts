// Home readings: the demo patient records a blood pressure, sees it in the chart and the table
// marked "You recorded", then records one above the demo practice's threshold and is shown
// the practice's instruction; checked with axe at 360 px, and the words in Spanish.
import { expect, test, type Page } from "@playwright/test";
import { PASSWORD, PATIENT, expectAccessible, screenshot, signInPortal } from "./support";

const PHONE = { width: 360, height: 780 };

async function noSidewaysScroll(page: Page): Promise<void> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

async function recordPressure(page: Page, systolic: string, diastolic: string): Promise<void> {
  await page.getByLabel("Top number (systolic)").fill(systolic);
  await page.getByLabel("Bottom number (diastolic)").fill(diastolic);
  await page.getByRole("button", { name: "Save reading" }).click();
}

test("a patient records a blood pressure, sees it charted as theirs, and is told what to do when it is high", async ({ browser }, testInfo) => {
  test.setTimeout(180_000);
  // Reduced motion: the chart is drawn at once, so the screenshots show its lines, not a
  // frame of their animation.
  const context = await browser.newContext({ viewport: PHONE, locale: "en-US", reducedMotion: "reduce" });
  const page = await context.newPage();
  await signInPortal(page, PATIENT, PASSWORD, "/records");
  await page.getByRole("link", { name: "Home readings" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Home readings" })).toBeVisible();
  await expect(page.getByLabel("What did you measure?")).toHaveValue("BLOOD_PRESSURE");
  await expectAccessible(page, testInfo, "readings-empty-360-en");
  await screenshot(page, "readings-empty-360-en");

  // A number that cannot be a blood pressure is refused, with the field named.
  await recordPressure(page, "120", "130");
  await expect(page.getByText("This number does not look right. Check it and enter it again.").first()).toBeVisible();

  // An ordinary reading: saved, drawn in the chart, and listed as "You recorded".
  await recordPressure(page, "128", "82");
  await expect(page.getByRole("status").filter({ hasText: "Your reading is saved." })).toBeVisible();
  const figure = page.getByRole("figure", { name: /Blood pressure over time/ });
  await expect(figure.locator("svg.recharts-surface")).toBeVisible();
  const rows = page.getByRole("table", { name: /Every blood pressure reading/ }).locator("tbody tr");
  await expect(rows.first()).toContainText("128/82 mmHg");
  await expect(rows.first()).toContainText("You recorded");
  await noSidewaysScroll(page);
  await expectAccessible(page, testInfo, "readings-recorded-360-en");
  await screenshot(page, "readings-recorded-360-en");

  // Above the practice's threshold (160): the practice's instruction, at once and in the table.
  await recordPressure(page, "182", "96");
  const alert = page.getByRole("alert").filter({ hasText: "outside the range your care team set" });
  await expect(alert).toBeVisible();
  await expect(alert).toContainText("your care team has been told");
  await expect(alert).toContainText("Call us today at (555) 010-0199");
  await expect(rows.first()).toContainText("182/96 mmHg");
  await expect(rows.first()).toContainText("Outside your range. Your practice said: Call us today");
  await noSidewaysScroll(page);
  await expectAccessible(page, testInfo, "readings-beyond-360-en");
  await screenshot(page, "readings-beyond-360-en");

  // Spanish: the same page in Spanish words.
  await page.getByLabel("Language").selectOption("es");
  await expect(page.getByRole("heading", { level: 1, name: "Mediciones en casa" })).toBeVisible();
  await expect(page.getByRole("table").locator("tbody tr").first()).toContainText("Usted lo anotó");
  await expectAccessible(page, testInfo, "readings-360-es");
  await screenshot(page, "readings-360-es");
  // Back to English: the choice is kept on Avery's account, and the journeys after this one
  // read the portal in English.
  await page.getByLabel("Idioma").selectOption("en");
  await expect(page.getByRole("heading", { level: 1, name: "Home readings" })).toBeVisible();
  await context.close();
});
