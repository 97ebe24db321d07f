// The practice admin's EHR page, in the browser as the demo admin: no EHR is connected (axe,
// screenshot ehr-01), and a plain http:// address is refused at its field with the reason in
// words, what was typed kept, the choice to send home readings to the EHR included (axe,
// screenshot ehr-02).
import { expect, test } from "@playwright/test";
import { ADMIN, expectAccessible, screenshot, signInConsole } from "./support";

test("a practice admin sees no EHR connected and an http:// address refused", async ({ page }, testInfo) => {
  test.setTimeout(90_000);
  await signInConsole(page, "lakeside", ADMIN);

  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "EHR", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "EHR" })).toBeVisible();
  await expect(page.locator(".skeleton")).toHaveCount(0);
  await expect(page.getByText("No EHR is connected.")).toBeVisible();
  await expect(page.getByRole("heading", { name: "Connect your EHR" })).toBeVisible();
  await expectAccessible(page, testInfo, "ehr-not-connected");
  await screenshot(page, "ehr-01-not-connected");

  const url = page.getByLabel("FHIR base URL");
  await url.fill("http://fhir.example.org/r4");
  await page.getByLabel("Client id").fill("portico-demo");
  await page.getByLabel("Private key").fill("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----");
  // Home readings stay in Portico unless the practice chooses to send them.
  const readings = page.getByRole("checkbox", { name: "Send home readings to the EHR" });
  await expect(readings).not.toBeChecked();
  await readings.check();
  await page.getByRole("button", { name: "Connect the EHR" }).dblclick();
  const summary = page.locator(".error-summary");
  await expect(summary).toContainText("There is a problem");
  await expect(summary.getByRole("link", { name: /FHIR base URL: .*https:\/\// })).toBeVisible();
  await expect(url).toHaveAttribute("aria-invalid", "true");
  await expect(url).toHaveValue("http://fhir.example.org/r4");
  await expect(readings).toBeChecked();
  await expect(page.locator("#field-baseUrl-error")).toContainText("https://");
  await expectAccessible(page, testInfo, "ehr-insecure-url");
  await screenshot(page, "ehr-02-insecure-url");
  // Nothing was stored.
  await page.reload();
  await expect(page.getByText("No EHR is connected.")).toBeVisible();
});
