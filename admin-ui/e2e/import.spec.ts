// Importing patients from a CSV file: the front desk uploads a file with a bad row, reads the
// problem by line and field, fixes the file, imports it, sees the result and finds a new
// patient in the list. axe on every state, import-NN screenshots.
import { expect, test } from "@playwright/test";
import { expectAccessible, FRONT_DESK, screenshot, signInConsole } from "./support";

// Names of their own each run: the same file again would be the earlier import.
const run = Date.now()
  .toString(36)
  .replace(/[0-9]/g, (d) => "abcdefghij".charAt(Number(d)));
const family = `Importson${run}`;

function csv(secondBirthDate: string): { name: string; mimeType: string; buffer: Buffer } {
  const text = [
    "Given name,Family name,Date of birth,Sex,MRN,Email,Mobile,Language",
    `Rosa,${family},1984-05-17,F,IMP-${run}-1,rosa@example.org,555-010-3000,Spanish`,
    `Tomas,${family},${secondBirthDate},M,IMP-${run}-2,,,en`,
  ].join("\r\n");
  return { name: "patients.csv", mimeType: "text/csv", buffer: Buffer.from(`\ufeff${text}\r\n`, "utf8") };
}

test("the front desk imports patients from a file, fixing a bad row first", async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  await signInConsole(page, "lakeside", FRONT_DESK);
  await page.getByRole("link", { name: "Patients", exact: true }).click();
  await page.getByRole("link", { name: "Import patients from a file" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Import patients" })).toBeVisible();
  await screenshot(page, "import-01-choose");
  await expectAccessible(page, testInfo, "import-choose");

  // A date of birth in the future: the row is named, and nothing can be imported.
  await page.getByLabel("CSV file of patients").setInputFiles(csv("2999-01-01"));
  await page.getByRole("button", { name: "Check the file" }).click();
  const problems = page.getByRole("table", { name: "Problems by row" });
  await expect(problems.getByRole("row", { name: /3 Date of birth Error Line 3: the date of birth is in the future/ })).toBeVisible();
  await expect(page.getByText("Fix the rows with errors in your file")).toBeVisible();
  await expect(page.getByRole("button", { name: /^Import/ })).toHaveCount(0);
  await screenshot(page, "import-02-problem");
  await expectAccessible(page, testInfo, "import-problem");

  // The fixed file has no problem; importing it shows the result.
  await page.getByRole("button", { name: "Choose another file" }).click();
  await page.getByLabel("CSV file of patients").setInputFiles(csv("1979-11-02"));
  await page.getByRole("button", { name: "Check the file" }).click();
  await expect(page.getByRole("button", { name: "Import 2 patients" })).toBeEnabled();
  await expect(problems).toHaveCount(0);
  await screenshot(page, "import-03-ready");
  await expectAccessible(page, testInfo, "import-ready");
  await page.getByRole("button", { name: "Import 2 patients" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "2 patients imported" })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByText("2 new charts created")).toBeVisible();
  await screenshot(page, "import-04-done");
  await expectAccessible(page, testInfo, "import-done");

  // The new patients are in the list.
  await page.getByRole("link", { name: "Go to the patients list" }).click();
  await page.getByLabel("Find a patient").fill(family);
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page.getByRole("link", { name: `${family}, Rosa` })).toBeVisible();
  await expect(page.getByRole("link", { name: `${family}, Tomas` })).toBeVisible();
  await screenshot(page, "import-05-in-the-list");
});
