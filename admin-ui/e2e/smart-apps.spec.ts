// Patient apps (SMART App Launch), as Lakeside's practice admin: the page explains itself and
// shows the FHIR base and discovery addresses (the discovery answers); a plain-http redirect
// URI refused at its field with nothing saved (checked through the API); a public app "Health
// Diary" registered with a loopback redirect URI (its client ID as the API holds it, copied);
// a confidential app "Clinic Sync" registered, its secret read once and proven at the token
// endpoint (a made-up refresh token is invalid_grant with the right secret, invalid_client
// with a wrong one) and gone after a reload; "Health Diary" turned off after a confirmation,
// its authorize requests then refused as invalid_client. Screenshots: smart-apps-NN-*.
import { expect, test, type APIRequestContext } from "@playwright/test";
import { ADMIN, api, baseUrl, expectAccessible, screenshot, signInConsole } from "./support";

interface SmartApp {
  id: string;
  name: string;
  clientId: string;
  redirectUris: string[];
  confidential: boolean;
  disabledAt: string | null;
  createdAt: string;
}

/** The practice's apps as the API holds them, with the console's own session. */
async function smartApps(request: APIRequestContext, token: string): Promise<SmartApp[]> {
  const data = await api<{ smartApps: SmartApp[] }>(
    request,
    "lakeside",
    "{ smartApps { id name clientId redirectUris confidential disabledAt createdAt } }",
    {},
    token,
  );
  return data.smartApps;
}

/** The token endpoint's answer to a refresh with a made-up token, as a confidential client. */
async function refreshAs(request: APIRequestContext, clientId: string, secret: string): Promise<{ status: number; error: string }> {
  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString("base64");
  const response = await request.post(`${baseUrl()}/t/lakeside/oauth/token`, {
    headers: { Authorization: `Basic ${basic}` },
    form: { grant_type: "refresh_token", refresh_token: "nope" },
  });
  return { status: response.status(), error: ((await response.json()) as { error: string }).error };
}

/** The authorize endpoint's answer to an app's request with nothing but its client ID. */
async function authorize(request: APIRequestContext, clientId: string): Promise<{ status: number; error: string }> {
  const response = await request.get(`${baseUrl()}/t/lakeside/oauth/authorize?client_id=${encodeURIComponent(clientId)}`, { maxRedirects: 0 });
  return { status: response.status(), error: ((await response.json()) as { error: string }).error };
}

test("a practice admin registers a public and a confidential patient app and turns one off", async ({ page, context, request }, testInfo) => {
  test.setTimeout(120_000);
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseUrl() });
  await signInConsole(page, "lakeside", ADMIN);
  // The API checks below use the console's own session: its bearer token on the page's request.
  const seen = page.waitForRequest(async (r) => new URL(r.url()).pathname === "/graphql" && (await r.allHeaders()).authorization?.startsWith("Bearer ") === true);
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Patient apps", exact: true }).click();
  const token = (await (await seen).allHeaders()).authorization!.slice("Bearer ".length);
  await expect(page).toHaveURL(/\/console\/settings\/smart-apps$/);
  await expect(page.getByRole("heading", { level: 1, name: "Patient apps" })).toBeVisible();
  await expect(page.locator(".skeleton")).toHaveCount(0);
  await expect(page.getByText("No apps yet.")).toBeVisible();
  await expect(page.getByText("decides on a consent page")).toBeVisible();

  // The addresses for developers, in the /t/{slug} form, and the discovery answers.
  const developer = page.getByRole("region", { name: "For the app's developer" });
  const fhirBase = `${baseUrl()}/t/lakeside/fhir/r4`;
  await expect(developer.locator("code").nth(0)).toHaveText(fhirBase);
  await expect(developer.locator("code").nth(1)).toHaveText(`${fhirBase}/.well-known/smart-configuration`);
  const discovery = await request.get(`${fhirBase}/.well-known/smart-configuration`);
  expect(discovery.status()).toBe(200);
  expect(((await discovery.json()) as { token_endpoint: string }).token_endpoint).toBe(`${baseUrl()}/t/lakeside/oauth/token`);
  await developer.getByRole("button", { name: "Copy FHIR base URL" }).click();
  await expect(developer.getByRole("status").first()).toHaveText("Copied.");
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(fhirBase);
  await expectAccessible(page, testInfo, "smart-apps-empty");
  await screenshot(page, "smart-apps-01-page");

  // Plain http to a host on the internet: refused at its field, what was typed kept, nothing saved.
  const form = page.getByRole("form", { name: "Add an app" });
  const uris = form.getByLabel("Redirect URIs", { exact: true });
  await form.getByLabel("Name", { exact: true }).fill("Health Diary");
  await uris.fill("http://app.example.org/cb");
  await expect(form.getByRole("radio", { name: /^Public app/ })).toBeChecked();
  await form.getByRole("button", { name: "Add app" }).click();
  const summary = page.locator(".error-summary");
  await expect(summary.getByRole("link", { name: /^Redirect URIs: Check the redirect URIs\. .*https:\/\// })).toBeVisible();
  await expect(uris).toHaveAttribute("aria-invalid", "true");
  await expect(uris).toHaveValue("http://app.example.org/cb");
  await expect(form.getByLabel("Name", { exact: true })).toHaveValue("Health Diary");
  await expect(page.getByText("No apps yet.")).toBeVisible();
  expect(await smartApps(request, token)).toEqual([]);
  await screenshot(page, "smart-apps-02-refused");
  await expectAccessible(page, testInfo, "smart-apps-refused");
  // The summary's link takes the keyboard to the box.
  await summary.getByRole("link", { name: /^Redirect URIs/ }).click();
  await expect(uris).toBeFocused();

  // A public app on the developer's own machine: its client ID shown, no secret.
  await uris.fill("http://127.0.0.1:3000/callback");
  await form.getByRole("button", { name: "Add app" }).click();
  const diaryPanel = page.getByRole("region", { name: "Health Diary is registered" });
  await expect(diaryPanel).toBeVisible();
  await expect(diaryPanel).not.toContainText("Client secret");
  const diaryId = (await diaryPanel.locator("code").first().textContent())!.trim();
  const [diary] = (await smartApps(request, token)).filter((a) => a.name === "Health Diary");
  expect(diary).toMatchObject({ clientId: diaryId, redirectUris: ["http://127.0.0.1:3000/callback"], confidential: false, disabledAt: null });
  const diaryRow = page.getByRole("row", { name: /Health Diary/ });
  await expect(diaryRow).toContainText(diaryId);
  await expect(diaryRow).toContainText("http://127.0.0.1:3000/callback");
  await expect(diaryRow).toContainText("Public");
  await expect(diaryRow).toContainText("On");
  await diaryRow.getByRole("button", { name: "Copy client ID of Health Diary" }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(diaryId);
  // The form is empty again, public by default.
  await expect(form.getByLabel("Name", { exact: true })).toHaveValue("");
  await expect(uris).toHaveValue("");
  await screenshot(page, "smart-apps-03-public-registered");
  await expectAccessible(page, testInfo, "smart-apps-public-registered");
  await diaryPanel.getByRole("button", { name: "Hide" }).click();
  await expect(diaryPanel).toHaveCount(0);

  // A confidential app: its secret shown this once.
  await form.getByLabel("Name", { exact: true }).fill("Clinic Sync");
  await uris.fill("https://sync.example.org/oauth/callback");
  await form.getByRole("radio", { name: /^Confidential app/ }).check();
  await form.getByRole("button", { name: "Add app" }).click();
  const syncPanel = page.getByRole("region", { name: "Clinic Sync is registered" });
  await expect(syncPanel).toContainText("It is shown this once");
  const [syncId, secret] = (await syncPanel.locator("code").allTextContents()).map((t) => t.trim());
  expect(secret).toMatch(/^smartsec_/);
  const sync = (await smartApps(request, token)).find((a) => a.name === "Clinic Sync");
  expect(sync).toMatchObject({ clientId: syncId, redirectUris: ["https://sync.example.org/oauth/callback"], confidential: true });
  await syncPanel.getByRole("button", { name: "Copy secret" }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
  await expect(page.getByRole("row", { name: /Clinic Sync/ })).toContainText("Confidential");
  await screenshot(page, "smart-apps-04-secret-shown");
  await expectAccessible(page, testInfo, "smart-apps-secret-shown");

  // The secret works: the client is known (the made-up refresh token is the only fault);
  // a wrong secret is not.
  expect(await refreshAs(request, syncId!, secret!)).toEqual({ status: 400, error: "invalid_grant" });
  expect(await refreshAs(request, syncId!, `${secret}x`)).toEqual({ status: 401, error: "invalid_client" });

  // Hidden, and not shown again after a reload.
  await syncPanel.getByRole("button", { name: "I have saved it, hide it" }).click();
  await expect(syncPanel).toHaveCount(0);
  await page.reload();
  await expect(page.getByRole("row", { name: /Clinic Sync/ })).toBeVisible();
  await expect(page.getByText(secret!)).toHaveCount(0);

  // Before it is turned off, Health Diary is a known client (only the missing redirect URI is wrong).
  expect(await authorize(request, diaryId)).toEqual({ status: 400, error: "invalid_request" });
  await page.getByRole("row", { name: /Health Diary/ }).getByRole("button", { name: "Turn off Health Diary" }).click();
  const confirm = page.getByRole("alertdialog", { name: "Turn off Health Diary?" });
  await expect(confirm).toBeVisible();
  await expect(confirm.getByRole("button", { name: "Cancel" })).toBeFocused();
  await screenshot(page, "smart-apps-05-confirm");
  await confirm.getByRole("button", { name: "Turn off app" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Health Diary is turned off." })).toBeVisible();
  const offRow = page.getByRole("row", { name: /Health Diary/ });
  await expect(offRow).toContainText("Turned off");
  await expect(offRow.getByRole("button", { name: /Turn off/ })).toHaveCount(0);
  await expect(page.getByRole("row", { name: /Clinic Sync/ })).toContainText("On");
  expect((await smartApps(request, token)).find((a) => a.name === "Health Diary")?.disabledAt).toBeTruthy();
  expect(await authorize(request, diaryId)).toEqual({ status: 401, error: "invalid_client" });
  await screenshot(page, "smart-apps-06-turned-off");
  await expectAccessible(page, testInfo, "smart-apps-turned-off");
});
