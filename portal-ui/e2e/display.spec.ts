// How the portal adapts to the person: at 200% zoom (a 1280 px window zoomed to 200% lays
// out 640 CSS pixels wide) nothing scrolls sideways and nothing is cut off; with reduced
// motion asked for, nothing animates.
import { expect, test, type Page } from "@playwright/test";
import { PASSWORD, PATIENT, expectAccessible, portalUrl, screenshot, signInPortal } from "./support";

async function fitsWidth(page: Page): Promise<void> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

test("at 200% zoom the main pages reflow into one column with nothing cut off", async ({ browser }, testInfo) => {
  const context = await browser.newContext({ viewport: { width: 640, height: 430 }, deviceScaleFactor: 2, locale: "en-US" });
  const page = await context.newPage();
  await signInPortal(page, PATIENT, PASSWORD);
  for (const [path, heading] of [
    ["/", /^Hello, /],
    ["/book", "What type of visit do you need?"],
    ["/records/results", "Test results"],
    ["/messages", "Messages"],
    ["/profile", "Your profile"],
  ] as const) {
    await page.goto(portalUrl(path));
    await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
    await fitsWidth(page);
    // Every navigation link is reachable on screen, none clipped off the edge.
    for (const link of await page.getByRole("navigation", { name: "Main" }).getByRole("link").all()) {
      const box = await link.boundingBox();
      expect(box && box.x >= 0 && box.x + box.width <= 640).toBeTruthy();
    }
  }
  await expectAccessible(page, testInfo, "portal-zoom-200");
  await screenshot(page, "portal-zoom-200-profile");
  await context.close();
});

test("with reduced motion asked for, loading placeholders do not shimmer", async ({ browser }) => {
  for (const [reducedMotion, expected] of [
    ["reduce", "none"],
    ["no-preference", "shimmer"],
  ] as const) {
    const context = await browser.newContext({ reducedMotion });
    const page = await context.newPage();
    await page.goto(portalUrl("/sign-in"));
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    // A loading placeholder as every page draws one, measured as the browser styles it.
    const animation = await page.evaluate(() => {
      const line = document.createElement("div");
      line.className = "skeleton-line";
      document.body.appendChild(line);
      const name = getComputedStyle(line).animationName;
      line.remove();
      return name;
    });
    expect(animation).toBe(expected);
    await context.close();
  }
});
