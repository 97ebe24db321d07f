// Apps reading a record (SMART App Launch, standalone patient launch): a practice admin
// registers a public app; the app (a small local server here) sends the patient to the
// authorize endpoint; the patient signs in, sees the consent page and allows it; the app is
// sent back a code, exchanges it with its PKCE verifier and reads the Patient through the
// FHIR API. A second request is refused ("Don't allow"); an answered request's page says it
// has expired; a caregiver chooses whose record; the patient removes the app on the security
// page and its token stops working at once. Then a browser app built on SMART's own client
// library (fhirclient) does the whole launch by itself and reads the chart.
import { createHash, randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { ADMIN, PASSWORD, PATIENT, api, baseUrl, expectAccessible, newPatientAccount, patientToken, portalUrl, screenshot, staffToken } from "./support";

/** The app: remembers the query of each visit to /callback and answers a small page. */
function appServer(): Promise<{ server: Server; port: number; callbacks: URLSearchParams[] }> {
  const callbacks: URLSearchParams[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname === "/callback") callbacks.push(url.searchParams);
    res.setHeader("Content-Type", "text/html; charset=utf-8");
    res.end(`<!doctype html><html lang="en"><title>Health Diary</title><main><h1>Health Diary</h1><p>Back in the app.</p></main></html>`);
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok({ server, port: (server.address() as AddressInfo).port, callbacks })));
}

/** PKCE (RFC 7636): a random verifier and its S256 challenge. */
function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

const FHIR_BASE = () => `${baseUrl()}/t/lakeside/fhir/r4`;
const SCOPE = "launch/patient patient/*.rs offline_access";

function authorizeUrl(clientId: string, redirectUri: string, challenge: string, state: string): string {
  const q = new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: redirectUri,
    scope: SCOPE,
    state,
    aud: FHIR_BASE(),
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  return `${baseUrl()}/t/lakeside/oauth/authorize?${q.toString()}`;
}

/** A second portal account (registered by the front desk) that Avery shares their record with. */
async function caregiverOfAvery(request: APIRequestContext): Promise<{ email: string; averyId: string }> {
  const email = await newPatientAccount(request, { givenName: "Jordan", familyName: "Reyes", birthDate: "1970-04-12", gender: "male" });
  const avery = await patientToken(request);
  const me = await api<{ me: { charts: { relationship: string; patient: { id: string } }[] } }>(request, "lakeside", `{ me { charts { relationship patient { id } } } }`, {}, avery);
  const averyId = me.me.charts.find((c) => c.relationship === "self")!.patient.id;
  await api(
    request,
    "lakeside",
    `mutation($i: GrantProxyAccessInput!) { grantProxyAccess(input: $i) { grant { id } userErrors { code } } }`,
    { i: { patientId: averyId, granteeEmail: email, scopes: ["READ"] } },
    avery,
  );
  return { email, averyId };
}

async function signInHere(page: Page, email: string): Promise<void> {
  await expect(page.getByRole("heading", { level: 1, name: "Sign in to Lakeside Family Medicine" })).toBeVisible();
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

/** Where the browser arrived at the app: the callback's query. */
async function arrivedAtApp(page: Page, port: number): Promise<URLSearchParams> {
  await page.waitForURL(`http://127.0.0.1:${port}/callback?**`);
  await expect(page.getByRole("heading", { name: "Health Diary" })).toBeVisible();
  return new URL(page.url()).searchParams;
}

async function exchange(request: APIRequestContext, form: Record<string, string>) {
  const response = await request.post(`${baseUrl()}/t/lakeside/oauth/token`, { form });
  return { status: response.status(), body: (await response.json()) as Record<string, string> };
}

test("a patient connects an app to their record, refuses another request, and removes the app", async ({ browser, request }, testInfo) => {
  test.setTimeout(180_000);
  const app = await appServer();
  try {
    const redirectUri = `http://127.0.0.1:${app.port}/callback`;
    const admin = await staffToken(request, ADMIN);
    const registered = await api<{ registerSmartApp: { app: { clientId: string }; clientSecret: string | null; userErrors: { code: string }[] } }>(
      request,
      "lakeside",
      `mutation($i: RegisterSmartAppInput!) { registerSmartApp(input: $i) { app { clientId } clientSecret userErrors { code } } }`,
      { i: { name: "Health Diary", redirectUris: [redirectUri], confidential: false } },
      admin,
    );
    expect(registered.registerSmartApp.userErrors).toEqual([]);
    expect(registered.registerSmartApp.clientSecret).toBeNull();
    const clientId = registered.registerSmartApp.app.clientId;

    // Discovery names the endpoints the app uses.
    const discovery = await request.get(`${FHIR_BASE()}/.well-known/smart-configuration`);
    expect(discovery.status()).toBe(200);
    const config = (await discovery.json()) as { authorization_endpoint: string; token_endpoint: string };
    expect(config.authorization_endpoint).toBe(`${baseUrl()}/t/lakeside/oauth/authorize`);
    expect(config.token_endpoint).toBe(`${baseUrl()}/t/lakeside/oauth/token`);

    // The app sends the patient to the authorize endpoint; they are asked to sign in first,
    // then come back to the consent page.
    const context = await browser.newContext({ locale: "en-US", viewport: { width: 360, height: 780 } });
    const page = await context.newPage();
    const first = pkce();
    await page.goto(authorizeUrl(clientId, redirectUri, first.challenge, "abc"));
    await expect(page).toHaveURL(/\/t\/lakeside\/sign-in\?next=%2Fconnect%2F/);
    await signInHere(page, PATIENT);
    await expect(page).toHaveURL(/\/t\/lakeside\/connect\/[A-Za-z0-9_-]+$/);
    const consentUrl = page.url();
    await expect(page.getByRole("heading", { level: 1, name: "Health Diary wants to read your health record" })).toBeVisible();
    await expect(page.getByText(`After you answer, you will be sent back to 127.0.0.1:${app.port}.`)).toBeVisible();
    await expect(page.getByText("It will read your record.")).toBeVisible();
    await expect(page.getByRole("radio")).toHaveCount(0);
    const scopes = page.getByRole("group", { name: "What it can do" });
    await expect(scopes.getByRole("checkbox")).toHaveCount(3);
    await expect(scopes.getByRole("checkbox", { name: "Your whole record" })).toBeChecked();
    await expect(scopes.getByRole("checkbox", { name: "Know which record you chose" })).toBeChecked();
    await expect(scopes.getByRole("checkbox", { name: "Keep access when you are not using the app, until you remove it" })).toBeChecked();
    await expect(page.getByText("The app can only read your record. It can never change anything in it.")).toBeVisible();
    await expect(page.getByText("You can remove the app at any time on the Sign-in and security page.")).toBeVisible();
    // The consent page is the only thing to do: no navigation away.
    await expect(page.getByRole("navigation", { name: "Main" })).toHaveCount(0);
    await expectAccessible(page, testInfo, "portal-connect");
    await screenshot(page, "portal-connect");

    await page.getByRole("button", { name: "Allow", exact: true }).click();
    const back = await arrivedAtApp(page, app.port);
    expect(back.get("state")).toBe("abc");
    const code = back.get("code");
    expect(code).toBeTruthy();
    expect(app.callbacks.at(-1)?.get("code")).toBe(code);

    // The app exchanges the code (once) with its verifier and reads the chart.
    const issued = await exchange(request, {
      grant_type: "authorization_code",
      code: code!,
      redirect_uri: redirectUri,
      client_id: clientId,
      code_verifier: first.verifier,
    });
    expect(issued.status).toBe(200);
    expect(issued.body.token_type).toBe("Bearer");
    expect(issued.body.access_token).toBeTruthy();
    expect(issued.body.refresh_token).toBeTruthy();
    expect(issued.body.scope).toBe("patient/*.rs launch/patient offline_access");
    const patient = issued.body.patient!;
    expect(patient).toMatch(/^[0-9a-f-]{36}$/);
    const bearer = { Authorization: `Bearer ${issued.body.access_token}` };
    const read = await request.get(`${FHIR_BASE()}/Patient/${patient}`, { headers: bearer });
    expect(read.status()).toBe(200);
    const resource = (await read.json()) as { resourceType: string; id: string };
    expect(resource.resourceType).toBe("Patient");
    expect(resource.id).toBe(patient);

    // The answered request's page cannot be used again.
    await page.goto(consentUrl);
    await expect(page.getByRole("heading", { level: 1, name: "This request has expired" })).toBeVisible();
    await expect(page.getByText("This request has expired or was already answered. Go back to the app and start again.")).toBeVisible();
    await expectAccessible(page, testInfo, "portal-connect-expired");
    await screenshot(page, "portal-connect-expired");
    // A request that never was: said so, not an error.
    await page.goto(portalUrl(`/connect/${Buffer.from(`SmartAuthorizationRequest:${randomUUID()}`).toString("base64url")}`));
    await expect(page.getByRole("heading", { level: 1, name: "We cannot find this request" })).toBeVisible();

    // A second request: nothing ticked is refused at the list; then the patient refuses.
    const second = pkce();
    await page.goto(authorizeUrl(clientId, redirectUri, second.challenge, "def"));
    await expect(page.getByRole("heading", { level: 1, name: "Health Diary wants to read your health record" })).toBeVisible();
    await scopes.getByRole("checkbox", { name: "Your whole record" }).uncheck();
    await page.getByRole("button", { name: "Allow", exact: true }).click();
    const summary = page.getByRole("alert").filter({ hasText: "There is a problem" });
    await expect(summary).toContainText("Choose at least one kind of record, or don't allow the app.");
    await expect(summary).toBeFocused();
    await expect(scopes.locator(".error-message")).toHaveText("Choose at least one kind of record, or don't allow the app.");
    await summary.getByRole("link").click();
    await expect(scopes.getByRole("checkbox", { name: "Your whole record" })).toBeFocused();
    await expectAccessible(page, testInfo, "portal-connect-error");
    await screenshot(page, "portal-connect-error");
    // In Spanish too.
    await page.getByLabel("Language").selectOption("es");
    await expect(page.getByRole("heading", { level: 1, name: "Health Diary quiere leer su expediente médico" })).toBeVisible();
    await expect(page.getByRole("checkbox", { name: "Todo su expediente" })).not.toBeChecked();
    await expect(page.locator(".error-message")).toHaveText("Elija por lo menos un tipo de información, o no permita la aplicación.");
    await expectAccessible(page, testInfo, "portal-connect-es");
    await screenshot(page, "portal-connect-es");
    await page.getByLabel("Idioma").selectOption("en");
    await page.getByRole("button", { name: "Don't allow" }).click();
    const refused = await arrivedAtApp(page, app.port);
    expect(refused.get("error")).toBe("access_denied");
    expect(refused.get("state")).toBe("def");
    expect(refused.get("code")).toBeNull();

    // A caregiver chooses whose record: their own, or the one Avery shares with them.
    const { email: caregiver, averyId } = await caregiverOfAvery(request);
    const theirs = await (await browser.newContext({ locale: "en-US" })).newPage();
    const third = pkce();
    await theirs.goto(authorizeUrl(clientId, redirectUri, third.challenge, "ghi"));
    await signInHere(theirs, caregiver);
    await expect(theirs.getByRole("heading", { level: 1, name: "Health Diary wants to read your health record" })).toBeVisible();
    const whose = theirs.getByRole("group", { name: "Whose record can it read?" });
    await expect(whose.getByRole("radio")).toHaveCount(2);
    await expect(whose.getByRole("radio", { name: "You", exact: true })).toBeChecked();
    await expect(whose.getByRole("radio", { name: /^Avery Stone/ })).not.toBeChecked();
    await expectAccessible(theirs, testInfo, "portal-connect-caregiver");
    await screenshot(theirs, "portal-connect-caregiver");
    await whose.getByRole("radio", { name: /^Avery Stone/ }).check();
    await theirs.getByRole("button", { name: "Allow", exact: true }).click();
    const caregiverCode = (await arrivedAtApp(theirs, app.port)).get("code")!;
    const forAvery = await exchange(request, {
      grant_type: "authorization_code",
      code: caregiverCode,
      redirect_uri: redirectUri,
      client_id: clientId,
      code_verifier: third.verifier,
    });
    expect(forAvery.status).toBe(200);
    // The chart chosen is Avery's: the global id `Patient:<uuid>`'s uuid.
    expect(`Patient:${forAvery.body.patient}`).toBe(Buffer.from(averyId, "base64url").toString());
    const averyRead = await request.get(`${FHIR_BASE()}/Patient/${forAvery.body.patient}`, { headers: { Authorization: `Bearer ${forAvery.body.access_token}` } });
    expect(averyRead.status()).toBe(200);
    // A code sent twice is refused, and what it gave stops working (it may have been stolen).
    const twice = await exchange(request, { grant_type: "authorization_code", code: caregiverCode, redirect_uri: redirectUri, client_id: clientId, code_verifier: third.verifier });
    expect(twice.body.error).toBe("invalid_grant");
    const afterTwice = await request.get(`${FHIR_BASE()}/Patient/${forAvery.body.patient}`, { headers: { Authorization: `Bearer ${forAvery.body.access_token}` } });
    expect(afterTwice.status()).toBe(401);
    await theirs.context().close();

    // The security page lists the app; removing it stops its token at once.
    await page.goto(portalUrl("/profile/security"));
    const apps = page.locator("section").filter({ has: page.getByRole("heading", { name: "Connected apps" }) });
    await expect(apps.getByRole("listitem").filter({ hasText: "Health Diary" })).toHaveCount(1);
    const item = apps.getByRole("listitem").filter({ hasText: "Health Diary" });
    await expect(item).toContainText("Reads your record");
    await expect(item).toContainText("Your whole record");
    await expect(item).toContainText("Keeps access when you're away");
    await expect(item).toContainText("Connected");
    await apps.scrollIntoViewIfNeeded();
    await expectAccessible(page, testInfo, "portal-security-apps");
    await screenshot(page, "portal-security-apps");
    await apps.getByRole("button", { name: "Remove Health Diary" }).click();
    await expect(apps.getByRole("group")).toContainText("Remove Health Diary? It will stop reading your record at once.");
    await apps.getByRole("button", { name: "Yes, remove it" }).click();
    await expect(apps.getByRole("status")).toHaveText("Health Diary is removed. It can no longer read your record.");
    await expect(apps.getByText("No apps are connected to your record.")).toBeVisible();
    await expect(apps.getByRole("heading", { name: "Connected apps" })).toBeFocused();
    await expectAccessible(page, testInfo, "portal-security-apps-removed");
    await screenshot(page, "portal-security-apps-removed");

    const after = await request.get(`${FHIR_BASE()}/Patient/${patient}`, { headers: bearer });
    expect(after.status()).toBe(401);
    const refreshed = await exchange(request, { grant_type: "refresh_token", refresh_token: issued.body.refresh_token!, client_id: clientId });
    expect(refreshed.body.error).toBe("invalid_grant");

    // The record's access log says who let an app in (Avery, and their caregiver) and who removed one.
    await page.goto(portalUrl("/profile/access-log"));
    await expect(page.getByText("Removed an app from your record").first()).toBeVisible();
    await expect(page.getByText("Let an app read your record")).toHaveCount(2);
    // The app's own reads are under its name.
    await expect(page.getByText("Health Diary", { exact: true }).first()).toBeVisible();
    await context.close();
  } finally {
    app.server.close();
  }
});

/** A browser app built on fhirclient: `/` starts the launch, `/callback` finishes it and
 * shows the patient's name and their observations (as JSON, for the test). */
function fhirclientApp(): Promise<{ server: Server; port: number; settings: { clientId: string; iss: string } }> {
  const library = readFileSync(new URL("../../node_modules/fhirclient/build/fhir-client.js", import.meta.url));
  const settings = { clientId: "", iss: "" };
  const page = (title: string, script: string) =>
    `<!doctype html><html lang="en"><head><title>${title}</title><script src="/fhir-client.js"></script></head>` +
    `<body><main><h1>Step Counter</h1><p id="status">Connecting…</p><pre id="result"></pre></main><script>${script}</script></body></html>`;
  const fail = `(e) => { document.getElementById("status").textContent = "Failed: " + e.message; }`;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname === "/fhir-client.js") {
      res.setHeader("Content-Type", "text/javascript");
      res.end(library);
      return;
    }
    res.setHeader("Content-Type", "text/html; charset=utf-8");
    const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
    if (url.pathname === "/callback") {
      res.end(
        page(
          "Step Counter",
          `FHIR.oauth2.ready().then(async (client) => {
             const patient = await client.request("Patient/" + client.patient.id);
             const observations = await client.request("Observation?patient=" + client.patient.id, { flat: true });
             const name = patient.name[0];
             document.getElementById("result").textContent = JSON.stringify({
               patient: client.patient.id,
               scope: client.state.tokenResponse.scope,
               refresh: Boolean(client.state.tokenResponse.refresh_token),
               observations: observations.map((o) => ({ resourceType: o.resourceType, subject: o.subject && o.subject.reference })),
             });
             document.getElementById("status").textContent = "Connected to the record of " + name.given[0] + " " + name.family;
           }).catch(${fail});`,
        ),
      );
      return;
    }
    res.end(
      page(
        "Step Counter",
        `FHIR.oauth2.authorize(${JSON.stringify({ ...settings, redirectUri, scope: SCOPE, pkceMode: "required" })}).catch(${fail});`,
      ),
    );
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok({ server, port: (server.address() as AddressInfo).port, settings })));
}

test("an app built on fhirclient launches from its own page and reads the patient's record", async ({ browser, request }, testInfo) => {
  test.setTimeout(120_000);
  const app = await fhirclientApp();
  try {
    const admin = await staffToken(request, ADMIN);
    const registered = await api<{ registerSmartApp: { app: { clientId: string }; userErrors: { code: string }[] } }>(
      request,
      "lakeside",
      `mutation($i: RegisterSmartAppInput!) { registerSmartApp(input: $i) { app { clientId } userErrors { code } } }`,
      { i: { name: "Step Counter", redirectUris: [`http://127.0.0.1:${app.port}/callback`], confidential: false } },
      admin,
    );
    expect(registered.registerSmartApp.userErrors).toEqual([]);
    app.settings.clientId = registered.registerSmartApp.app.clientId;
    app.settings.iss = FHIR_BASE();

    const page = await (await browser.newContext({ locale: "en-US" })).newPage();
    await page.goto(`http://127.0.0.1:${app.port}/`);
    await signInHere(page, PATIENT);
    await expect(page.getByRole("heading", { level: 1, name: "Step Counter wants to read your health record" })).toBeVisible();
    await expectAccessible(page, testInfo, "portal-connect-fhirclient");
    await page.getByRole("button", { name: "Allow", exact: true }).click();
    await page.waitForURL(`http://127.0.0.1:${app.port}/callback?**`);
    await expect(page.locator("#status")).toHaveText("Connected to the record of Avery Stone");
    const result = JSON.parse((await page.locator("#result").textContent()) ?? "{}") as {
      patient: string;
      scope: string;
      refresh: boolean;
      observations: { resourceType: string; subject?: string }[];
    };
    expect(result.scope).toBe("patient/*.rs launch/patient offline_access");
    expect(result.refresh).toBe(true);
    expect(result.observations.length).toBeGreaterThan(0);
    for (const o of result.observations) expect(o).toEqual({ resourceType: "Observation", subject: `Patient/${result.patient}` });

    // Left as found: the patient's list of apps is empty again.
    const avery = await patientToken(request);
    const listed = await api<{ connectedApps: { id: string; appName: string }[] }>(request, "lakeside", `{ connectedApps { id appName } }`, {}, avery);
    expect(listed.connectedApps.map((a) => a.appName)).toEqual(["Step Counter"]);
    await api(request, "lakeside", `mutation($id: ID!) { removeConnectedApp(id: $id) { connectedApp { id } } }`, { id: listed.connectedApps[0]!.id }, avery);
    await page.context().close();
  } finally {
    app.server.close();
  }
});
