// The education library, as the demo practice's admin: the demo's resources are listed with
// their codes; a resource with a bad LOINC code is refused with the field named and nothing
// added; corrected, it is added and listed. axe on the page; education-NN screenshots.
import { expect, test } from "@playwright/test";
import { ADMIN, expectAccessible, screenshot, signInConsole } from "./support";

test("the practice admin adds a resource to the education library", async ({ page }, testInfo) => {
  await page.setViewportSize({ width: 1280, height: 900 });
  await signInConsole(page, "lakeside", ADMIN);
  await page.getByRole("navigation").getByRole("link", { name: "Education" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Education" })).toBeVisible();
  const table = page.getByRole("table", { name: "Education resources" });
  await expect(table.getByRole("row", { name: /Understanding high blood pressure/ })).toContainText("ICD-10 I10");
  await screenshot(page, "education-01-library");
  await expectAccessible(page, testInfo, "education-page");

  const title = `Your A1c result ${Date.now()}`;
  const form = page.getByRole("form", { name: "Add a resource" });
  await form.getByLabel("Title").fill(title);
  await form.getByLabel("Summary").fill("What the A1c test measures and the goal for most adults.");
  await form.getByLabel("Address").fill("https://medlineplus.gov/lab-tests/hemoglobin-a1c-hba1c-test/");
  await form.getByLabel("Codes").fill("loinc 4548-5");
  await form.getByRole("button", { name: "Add resource" }).click();
  // The check digit is wrong: refused, the field named, nothing added.
  const summary = page.getByRole("alert");
  await expect(summary).toContainText("Codes");
  await expect(summary).toContainText("Code 1 is not a LOINC code");
  await expect(table.getByRole("row", { name: new RegExp(title) })).toHaveCount(0);
  await screenshot(page, "education-02-refused");

  await form.getByLabel("Codes").fill("loinc 4548-4");
  await form.getByRole("button", { name: "Add resource" }).click();
  await expect(page.getByRole("status").filter({ hasText: `${title} is added to the library.` })).toBeVisible();
  await expect(table.getByRole("row", { name: new RegExp(title) })).toContainText("LOINC 4548-4");
  await screenshot(page, "education-03-added");
  await expectAccessible(page, testInfo, "education-page-added");
});
