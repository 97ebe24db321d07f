// Two practices on two hosts, `{slug}.localhost`: each portal shows its own name, colour and
// title before sign-in, a patient's session from one is refused by the other, and an unknown
// practice's address says so.
import { expect, test } from "@playwright/test";
import { PASSWORD, PATIENT, api, baseUrl, expectAccessible, hostUrl, screenshot } from "./support";

async function brandColour(page: import("@playwright/test").Page): Promise<string> {
  return page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue("--brand").trim());
}

test("each practice's own host shows its own brand, and a token from one is refused by the other", async ({ browser, request }, testInfo) => {
  const slug = "bayview";
  await api(request, "platform", `mutation($i: SignUpPracticeInput!) { signUpPractice(input: $i) { userErrors { code } } }`, {
    i: { practiceName: "Bayview Pediatrics", slug, timeZone: "America/New_York", adminName: "Bayview Admin", adminEmail: "admin@bayview.example", adminPassword: "bayview clinic password" },
  });

  const lakesideContext = await browser.newContext();
  const lakeside = await lakesideContext.newPage();
  await lakeside.goto(hostUrl("lakeside", "/"));
  await expect(lakeside.getByRole("heading", { level: 1, name: "Sign in to Lakeside Family Medicine" })).toBeVisible();
  await expect(lakeside).toHaveTitle("Lakeside Family Medicine");
  await expect(lakeside.getByText("Bayview")).toHaveCount(0);
  const lakesideColour = await brandColour(lakeside);
  await expectAccessible(lakeside, testInfo, "portal-host-lakeside");
  await screenshot(lakeside, "portal-host-lakeside");

  const bayviewContext = await browser.newContext();
  const bayview = await bayviewContext.newPage();
  await bayview.goto(hostUrl(slug, "/messages"));
  await expect(bayview.getByRole("heading", { level: 1, name: "Sign in to Bayview Pediatrics" })).toBeVisible();
  await expect(bayview).toHaveTitle("Bayview Pediatrics");
  await expect(bayview.getByText("Lakeside")).toHaveCount(0);
  expect(await brandColour(bayview)).not.toBe(lakesideColour);
  await expectAccessible(bayview, testInfo, "portal-host-bayview");
  await screenshot(bayview, "portal-host-bayview");

  // Lakeside's patient signs in on Lakeside's host, in the browser, without naming the practice.
  await lakeside.getByLabel("Email address").fill(PATIENT);
  await lakeside.getByLabel("Password").fill(PASSWORD);
  await lakeside.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(lakeside.getByRole("heading", { level: 1, name: /^Hello, Avery/ })).toBeVisible();
  await expect(lakeside).toHaveURL(hostUrl("lakeside", "/"));

  // The same credentials at Bayview's portal are not an account there.
  await bayview.getByLabel("Email address").fill(PATIENT);
  await bayview.getByLabel("Password").fill(PASSWORD);
  await bayview.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(bayview.getByRole("alert")).toContainText("That email, password or code is not right");

  // A token issued at Lakeside's host is refused at Bayview's host. (Node does not resolve
  // `*.localhost`, so the API calls name the host in the header, as a browser does.)
  const port = new URL(baseUrl()).port;
  const at = (host: string) => ({ Host: `${host}.localhost:${port}` });
  const signIn = await request.post(`${baseUrl()}/graphql`, {
    headers: at("lakeside"),
    data: { query: `mutation($e: String!, $p: String!) { signIn(input: { email: $e, password: $p }) { session { accessToken } } }`, variables: { e: PATIENT, p: PASSWORD } },
  });
  const token = ((await signIn.json()) as { data: { signIn: { session: { accessToken: string } } } }).data.signIn.session.accessToken;
  const me = `{ me { displayName } }`;
  const home = await request.post(`${baseUrl()}/graphql`, { headers: { ...at("lakeside"), Authorization: `Bearer ${token}` }, data: { query: me } });
  expect(((await home.json()) as { data?: { me: { displayName: string } } }).data?.me.displayName).toBe("Avery Stone");
  const away = await request.post(`${baseUrl()}/graphql`, { headers: { ...at(slug), Authorization: `Bearer ${token}` }, data: { query: me } });
  const refused = (await away.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
  expect(refused.data ?? null).toBeNull();
  expect(refused.errors?.[0]?.extensions?.code).toMatch(/UNAUTHENTICATED|FORBIDDEN/);

  // An address naming no practice says so, in words.
  const nowhere = await browser.newContext();
  const lost = await nowhere.newPage();
  await lost.goto(`${baseUrl()}/t/no-such-practice/`);
  await expect(lost.getByRole("heading", { level: 1, name: "We cannot find this practice" })).toBeVisible();
  await expectAccessible(lost, testInfo, "portal-no-practice");
  await nowhere.close();
  await lakesideContext.close();
  await bayviewContext.close();
});
