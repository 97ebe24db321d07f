// Permissions and recalls, in the browser as the demo admin: both pages with axe and a
// screenshot (perms-NN-*), a permission granted to staff and then taken away (each saved, and
// still so after a reload), a recall rule created, an invalid one refused with its field named,
// and the rule deleted after confirming.
import { expect, test, type Page } from "@playwright/test";
import { ADMIN, expectAccessible, screenshot, signInConsole } from "./support";

test.describe.configure({ mode: "serial" });

async function open(page: Page, nav: string, heading: string) {
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: nav, exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
  await expect(page.locator(".skeleton")).toHaveCount(0);
}

test("a practice admin changes staff permissions and manages recall rules", async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  await signInConsole(page, "lakeside", ADMIN);

  await open(page, "Permissions", "Permissions");
  await expectAccessible(page, testInfo, "perms-permissions");
  await screenshot(page, "perms-01-permissions");
  // A permission staff do not have by default is granted, saved, and still granted after a reload.
  const box = page.getByLabel("Staff may read the audit log", { exact: true });
  await expect(box).not.toBeChecked();
  await box.check();
  await page.getByRole("button", { name: "Save permissions" }).dblclick();
  await expect(page.getByRole("status").filter({ hasText: "take effect at once, on every instance" })).toBeVisible();
  await screenshot(page, "perms-02-permission-granted");
  await page.reload();
  await expect(page.getByLabel("Staff may read the audit log", { exact: true })).toBeChecked();
  // And taken away again.
  await page.getByLabel("Staff may read the audit log", { exact: true }).uncheck();
  await page.getByRole("button", { name: "Save permissions" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Saved Staff's permissions" })).toBeVisible();
  await page.reload();
  await expect(page.getByLabel("Staff may read the audit log", { exact: true })).not.toBeChecked();

  await open(page, "Recalls", "Recalls");
  await expectAccessible(page, testInfo, "perms-recalls");
  await screenshot(page, "perms-03-recalls");
  // An invalid rule is refused, its field named in the summary, and what was typed kept.
  await page.getByLabel("Rule name").fill("Travel vaccines review");
  await page.getByLabel("Visit to book").selectOption({ index: 1 });
  await page.getByLabel("Every (months)").fill("200");
  await page.getByRole("button", { name: "Add rule" }).click();
  const summary = page.locator(".error-summary");
  await expect(summary.getByRole("link", { name: /Every \(months\): .*1 to 120/ })).toBeVisible();
  await expect(page.getByLabel("Every (months)")).toHaveValue("200");
  await expect(page.getByLabel("Every (months)")).toHaveAttribute("aria-invalid", "true");
  await screenshot(page, "perms-04-recall-refused");
  await expectAccessible(page, testInfo, "perms-recall-refused");
  // Corrected, it is created once however often the button is pressed.
  await page.getByLabel("Every (months)").fill("24");
  await page.getByLabel("From age").fill("18");
  await page.getByRole("button", { name: "Add rule" }).dblclick();
  await expect(page.getByRole("status").filter({ hasText: "Travel vaccines review is created" })).toBeVisible();
  await expect(page.getByRole("row", { name: /Travel vaccines review/ })).toHaveCount(1);
  await expect(page.getByRole("row", { name: /Travel vaccines review/ })).toContainText("24 months");
  await screenshot(page, "perms-05-recall-created");

  // Deleted after confirming in a dialog.
  await page.getByRole("button", { name: "Delete Travel vaccines review" }).click();
  const dialog = page.getByRole("alertdialog", { name: "Delete Travel vaccines review?" });
  await expect(dialog).toBeVisible();
  await expectAccessible(page, testInfo, "perms-recall-delete");
  await screenshot(page, "perms-06-recall-delete");
  await dialog.getByRole("button", { name: "Delete rule" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Travel vaccines review is deleted" })).toBeVisible();
  await expect(page.getByRole("row", { name: /Travel vaccines review/ })).toHaveCount(0);
  await screenshot(page, "perms-07-recall-deleted");
});
