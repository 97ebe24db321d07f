// Patient apps (SMART App Launch), as Lakeside's practice admin: the page explains itself and
// shows the FHIR base and discovery addresses (the discovery answers); a plain-http redirect
// URI refused at its field with nothing saved (checked through the API); a public app "Health
// Diary" registered with a loopback redirect URI (its client ID as the API holds it, copied);
// a confidential app "Clinic Sync" registered, its secret read once and proven at the token
// endpoint (a made-up refresh token is invalid_grant with the right secret, invalid_client
// with a wrong one) and gone after a reload; "Health Diary" turned off after a confirmation,
// its authorize requests then refused as invalid_client. Screenshots: smart-apps-NN-*.
//
// Then a backend service (SMART Backend Services, bulk export): an empty form refused at both
// fields and a key set holding a private key refused at its field, nothing saved (checked
// through the API); "Data warehouse" registered with a P-384 public key made in the test, its
// client ID, token URL and FHIR base URL shown (the client ID as the API holds it, copied),
// listed with its key id and kind; the client ID proven at the token endpoint with an ES384
// assertion signed in the test (a token for system/*.rs; the same assertion again refused),
// an export started with that token; at 1280 and 800 px; then turned off after a
// confirmation, its token requests refused as invalid_client. Screenshots: backend-NN-*.
// (In this file, after the patient apps, because the journeys share one server and the first
// test starts from an empty list.)
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from "node:crypto";
import { expect, test, type APIRequestContext } from "@playwright/test";
import { ADMIN, api, baseUrl, expectAccessible, screenshot, signInConsole } from "./support";

interface SmartApp {
  id: string;
  name: string;
  clientId: string;
  redirectUris: string[];
  confidential: boolean;
  backendService: boolean;
  keyIds: string[];
  disabledAt: string | null;
  createdAt: string;
}

/** The practice's apps as the API holds them, with the console's own session. */
async function smartApps(request: APIRequestContext, token: string): Promise<SmartApp[]> {
  const data = await api<{ smartApps: SmartApp[] }>(
    request,
    "lakeside",
    "{ smartApps { id name clientId redirectUris confidential backendService keyIds disabledAt createdAt } }",
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

/** A JWT assertion for the token endpoint, signed with ES384 as a backend service signs it. */
function assertion(clientId: string, audience: string, kid: string, privateKey: KeyObject): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const now = Math.floor(Date.now() / 1000);
  const data = `${part({ alg: "ES384", typ: "JWT", kid })}.${part({ iss: clientId, sub: clientId, aud: audience, exp: now + 240, jti: randomUUID() })}`;
  const signature = sign("sha384", Buffer.from(data), { key: privateKey, dsaEncoding: "ieee-p1363" }).toString("base64url");
  return `${data}.${signature}`;
}

/** The token endpoint's answer to a backend service's signed assertion. */
async function serviceToken(request: APIRequestContext, tokenUrl: string, signed: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await request.post(tokenUrl, {
    form: {
      grant_type: "client_credentials",
      scope: "system/*.rs",
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: signed,
    },
  });
  return { status: response.status(), body: (await response.json()) as Record<string, unknown> };
}

test("a practice admin registers a backend service with its public key set and turns it off", async ({ page, context, request }, testInfo) => {
  test.setTimeout(120_000);
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseUrl() });
  await signInConsole(page, "lakeside", ADMIN);
  const seen = page.waitForRequest(async (r) => new URL(r.url()).pathname === "/graphql" && (await r.allHeaders()).authorization?.startsWith("Bearer ") === true);
  await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Patient apps", exact: true }).click();
  const token = (await (await seen).allHeaders()).authorization!.slice("Bearer ".length);
  await expect(page.getByRole("heading", { level: 1, name: "Patient apps" })).toBeVisible();
  await expect(page.locator(".skeleton")).toHaveCount(0);
  const before = await smartApps(request, token);
  expect(before.filter((a) => a.backendService)).toEqual([]);

  // What a backend service is, said beside its form.
  const form = page.getByRole("form", { name: "Add a backend service" });
  await expect(form).toContainText("exports the whole practice's data in bulk");
  await expect(form).toContainText("Restricted charts are left out");
  await expect(form).toContainText("every chart it exports is in the audit log");
  const name = form.getByLabel("Name", { exact: true });
  const keys = form.getByLabel("Public key set", { exact: true });

  // Nothing typed: both fields said in the summary and at the fields, nothing sent.
  await form.getByRole("button", { name: "Add backend service" }).click();
  const summary = form.locator(".error-summary");
  await expect(summary.getByRole("link", { name: /^Name: Enter the service's name/ })).toBeVisible();
  await expect(summary.getByRole("link", { name: /^Public key set: Paste the service's public key set/ })).toBeVisible();
  await expect(name).toHaveAttribute("aria-invalid", "true");
  await expect(keys).toHaveAttribute("aria-invalid", "true");
  await summary.getByRole("link", { name: /^Public key set/ }).click();
  await expect(keys).toBeFocused();

  // The developer's key pair, made here: the private key stays in the test, as in the service.
  const kid = "warehouse-2026";
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-384" });
  const publicJwk = { ...publicKey.export({ format: "jwk" }), kid };
  const privateJwk = { ...privateKey.export({ format: "jwk" }), kid };

  // A key set holding the private key: refused at its field by the API, what was typed kept.
  await name.fill("Data warehouse");
  const wrong = JSON.stringify({ keys: [privateJwk] }, null, 2);
  await keys.fill(wrong);
  await form.getByRole("button", { name: "Add backend service" }).click();
  await expect(summary.getByRole("link", { name: /^Public key set: This key set holds a private key\./ })).toBeVisible();
  await expect(summary.getByRole("link", { name: /^Name/ })).toHaveCount(0);
  await expect(form.locator("#field-jwks-error")).toContainText("Ask the developer for the public keys only");
  await expect(keys).toHaveAttribute("aria-invalid", "true");
  await expect(name).toHaveAttribute("aria-invalid", "false");
  await expect(keys).toHaveValue(wrong);
  await expect(name).toHaveValue("Data warehouse");
  expect(await smartApps(request, token)).toEqual(before);
  await screenshot(page, "backend-01-refused");
  await expectAccessible(page, testInfo, "backend-refused");

  // The public key set: registered, its client ID and the addresses for the developer shown.
  await keys.fill(JSON.stringify({ keys: [publicJwk] }, null, 2));
  await form.getByRole("button", { name: "Add backend service" }).click();
  const panel = page.getByRole("region", { name: "Data warehouse is registered" });
  await expect(panel).toBeVisible();
  await expect(panel.getByRole("heading", { name: "Data warehouse is registered" })).toBeFocused();
  await expect(panel).toContainText("private key, which never leaves the service; Portico keeps only the public keys");
  const tokenUrl = `${baseUrl()}/t/lakeside/oauth/token`;
  const fhirBase = `${baseUrl()}/t/lakeside/fhir/r4`;
  const [clientId, shownTokenUrl, shownFhirBase] = (await panel.locator(".copy-value code").allTextContents()).map((t) => t.trim());
  expect(clientId).toMatch(/^svc_/);
  expect(shownTokenUrl).toBe(tokenUrl);
  expect(shownFhirBase).toBe(fhirBase);
  await expect(panel).not.toContainText("Client secret");
  const services = (await smartApps(request, token)).filter((a) => a.backendService);
  expect(services).toHaveLength(1);
  expect(services[0]).toMatchObject({ name: "Data warehouse", clientId, keyIds: [kid], redirectUris: [], confidential: true, disabledAt: null });
  await panel.getByRole("button", { name: "Copy client ID" }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(clientId);
  await panel.getByRole("button", { name: "Copy token URL" }).click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(tokenUrl);

  // Listed with its kind and key id instead of redirect URIs; the form is empty again.
  const row = page.getByRole("row", { name: /Data warehouse/ });
  await expect(row).toContainText("Backend service (bulk export)");
  await expect(row).toContainText("Key ID");
  await expect(row).toContainText(kid);
  await expect(row).toContainText(clientId!);
  await expect(row).toContainText("On");
  await expect(name).toHaveValue("");
  await expect(keys).toHaveValue("");
  await expect(form.locator(".error-summary")).toHaveCount(0);
  await screenshot(page, "backend-02-registered");
  await expectAccessible(page, testInfo, "backend-registered");

  // The client ID works: an ES384 assertion signed with the private key gets a token, once.
  const signed = assertion(clientId!, tokenUrl, kid, privateKey);
  const granted = await serviceToken(request, tokenUrl, signed);
  expect(granted.status).toBe(200);
  expect(granted.body.access_token).toEqual(expect.any(String));
  expect(String(granted.body.scope)).toContain("system/");
  expect(await serviceToken(request, tokenUrl, signed)).toMatchObject({ status: 401, body: { error: "invalid_client" } });
  // And it starts an export of the practice's data.
  const kickOff = await request.get(`${fhirBase}/$export`, {
    headers: { Authorization: `Bearer ${String(granted.body.access_token)}`, Prefer: "respond-async", Accept: "application/fhir+json" },
  });
  expect(kickOff.status()).toBe(202);
  expect(kickOff.headers()["content-location"]).toContain("/$export-status/");

  // A narrower window: the panel, the list and the form still read well.
  await page.setViewportSize({ width: 800, height: 860 });
  await screenshot(page, "backend-03-registered-800");
  await expectAccessible(page, testInfo, "backend-registered-800");
  await page.setViewportSize({ width: 1280, height: 860 });

  // Turned off after a confirmation that says what stops; its token requests refused.
  await panel.getByRole("button", { name: "Hide" }).click();
  await expect(panel).toHaveCount(0);
  await row.getByRole("button", { name: "Turn off Data warehouse" }).click();
  const confirm = page.getByRole("alertdialog", { name: "Turn off Data warehouse?" });
  await expect(confirm).toContainText("its token requests, tokens and exports are refused from now on");
  await expect(confirm.getByRole("button", { name: "Cancel" })).toBeFocused();
  await screenshot(page, "backend-04-confirm");
  await confirm.getByRole("button", { name: "Turn off service" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Data warehouse is turned off." })).toBeVisible();
  await expect(page.getByRole("row", { name: /Data warehouse/ })).toContainText("Turned off");
  expect((await smartApps(request, token)).find((a) => a.backendService)?.disabledAt).toBeTruthy();
  expect(await serviceToken(request, tokenUrl, assertion(clientId!, tokenUrl, kid, privateKey))).toMatchObject({
    status: 401,
    body: { error: "invalid_client" },
  });
  await screenshot(page, "backend-05-turned-off");
  await expectAccessible(page, testInfo, "backend-turned-off");
});
