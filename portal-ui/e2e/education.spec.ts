// "Learn more": Avery Stone sees her practice's resources beside the records they are about —
// her high blood pressure (an article, opened in the portal and read safely), her LDL result
// and her statin (links that open in a new tab); in Spanish the blood-pressure article is the
// Spanish one and the cholesterol link, written only in English, stays. axe at 360 px;
// education-NN screenshots.
import { expect, test } from "@playwright/test";
import { PASSWORD, PATIENT, expectAccessible, portalUrl, screenshot, signInPortal } from "./support";

test("a patient sees Learn more beside a matching problem, result and medicine, in her language", async ({ browser }, testInfo) => {
  test.setTimeout(120_000);
  const context = await browser.newContext({ viewport: { width: 360, height: 780 }, locale: "en-US" });
  const page = await context.newPage();
  await signInPortal(page, PATIENT, PASSWORD, "/records/problems");
  await expect(page.getByRole("heading", { level: 1, name: "Health problems" })).toBeVisible();
  const hypertension = page.getByRole("listitem").filter({ hasText: "Essential hypertension" });
  await expect(hypertension.locator(".learn-more")).toContainText("Learn more");
  await expect(hypertension.getByRole("link", { name: "Understanding high blood pressure" })).toBeVisible();
  await screenshot(page, "education-01-problems");
  await expectAccessible(page, testInfo, "education-problems-360-en");

  await page.goto(portalUrl("/records/results"));
  const ldl = page.getByRole("article").filter({ hasText: "LDL cholesterol" }).first();
  const cholesterol = ldl.getByRole("link", { name: /Your cholesterol numbers/ });
  await expect(cholesterol).toHaveAttribute("target", "_blank");
  await expect(cholesterol).toHaveAttribute("rel", "noopener noreferrer");
  await expect(cholesterol).toHaveAttribute("href", /^https:\/\/medlineplus\.gov\//);
  await screenshot(page, "education-02-results");

  await page.goto(portalUrl("/records/medications"));
  const statin = page.getByRole("article").filter({ hasText: "Atorvastatin" });
  await expect(statin.getByRole("link", { name: /Taking a statin/ })).toBeVisible();

  // The article opens in the portal, its Markdown shown as headings, a list and bold text.
  await page.goto(portalUrl("/records/problems"));
  await page.getByRole("link", { name: "Understanding high blood pressure" }).first().click();
  await expect(page.getByRole("heading", { level: 1, name: "Understanding high blood pressure" })).toBeVisible();
  await expect(page.getByRole("heading", { level: 2, name: "What helps" })).toBeVisible();
  await expect(page.getByRole("listitem").filter({ hasText: "Cut down on salt" })).toBeVisible();
  await expect(page.locator("strong", { hasText: "30 minutes" })).toBeVisible();
  await expectAccessible(page, testInfo, "education-article-360-en");
  await screenshot(page, "education-03-article");

  // Spanish: the Spanish article, and the English-only link as the fallback.
  await page.goto(portalUrl("/records/problems"));
  await page.getByLabel("Language").selectOption("es");
  const hipertension = page.getByRole("listitem").filter({ hasText: "Essential hypertension" });
  await expect(hipertension.locator(".learn-more")).toContainText("Más información");
  await expect(hipertension.getByRole("link", { name: "Cómo entender la presión arterial alta" })).toBeVisible();
  await screenshot(page, "education-04-problems-es");
  await expectAccessible(page, testInfo, "education-problems-360-es");
  await page.goto(portalUrl("/records/results"));
  await expect(page.getByRole("article").filter({ hasText: "LDL cholesterol" }).first().getByRole("link", { name: /Your cholesterol numbers/ })).toBeVisible();
  // Back to English: the choice is kept on Avery's account, and later journeys read English.
  await page.getByLabel("Idioma").selectOption("en");
  await expect(page.getByRole("heading", { level: 1, name: "Test results" })).toBeVisible();
  await context.close();
});
