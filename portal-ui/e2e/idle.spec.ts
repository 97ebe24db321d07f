// Automatic log-off: a patient who walks away is warned a minute before the practice's idle
// time ends (30 minutes for patients unless the practice changes it), can stay, and is
// otherwise signed out with a sentence saying why. The page's clock is Playwright's, moved
// forward instead of waited for.
import { expect, test } from "@playwright/test";
import { PASSWORD, PATIENT, expectAccessible, screenshot, signInPortal } from "./support";

test("a patient who walks away is warned, then signed out with the reason", async ({ browser }, testInfo) => {
  const context = await browser.newContext({ viewport: { width: 360, height: 780 }, locale: "en-US" });
  const page = await context.newPage();
  await page.clock.install();
  await signInPortal(page, PATIENT, PASSWORD);
  await expect(page.getByRole("heading", { level: 1, name: /^Hello, / })).toBeVisible();

  // 29 minutes later, nothing touched: the warning, with the time left in words.
  await page.clock.fastForward("29:05");
  const warning = page.getByRole("alertdialog", { name: "Are you still there?" });
  await expect(warning).toBeVisible();
  await expect(warning).toContainText(/we will sign you out in \d+ seconds/);
  await expect(warning.getByRole("button", { name: "Stay signed in" })).toBeFocused();
  await expectAccessible(page, testInfo, "portal-idle-warning");
  await screenshot(page, "portal-idle-warning");

  // Still nothing: signed out, and told why.
  await page.clock.fastForward("01:00");
  await expect(page.getByRole("heading", { level: 1, name: "Sign in to Lakeside Family Medicine" })).toBeVisible();
  await expect(page.getByRole("status")).toHaveText("You were signed out because you were away for a while. Sign in again to continue.");
  await expect(page.getByRole("navigation", { name: "Main" })).toHaveCount(0);
  await context.close();
});
