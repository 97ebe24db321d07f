// Webhooks, as Lakeside's practice admin, against a small receiver on 127.0.0.1: a private
// address refused at its field with nothing saved; an endpoint added for "Appointment
// booked" and its secret read once; a booking made through the API arriving signed (checked
// the Standard Webhooks way); the delivery log showing it delivered, then a failure (500)
// and its replay delivered; the secret rotated, the events changed, the endpoint turned off
// (a replay refused in words) and on, and deleted after a confirmation. Screenshots:
// webhooks-NN-*.
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test, type APIRequestContext } from "@playwright/test";
import { ADMIN, api, expectAccessible, patientToken, screenshot, signInConsole } from "./support";

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  answered: number;
}

/** A receiver that keeps every request and answers with the status it is told to. */
function receiver(): Promise<{ server: Server; port: number; got: Received[]; answer: { status: number } }> {
  const got: Received[] = [];
  const answer = { status: 204 };
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      got.push({ headers: req.headers, body, answered: answer.status });
      res.statusCode = answer.status;
      res.end();
    });
  });
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok({ server, port: (server.address() as AddressInfo).port, got, answer })));
}

/** The Standard Webhooks check: HMAC-SHA256 of `id.timestamp.body` under the secret's key. */
function signedWith(secret: string, message: Received): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const id = String(message.headers["webhook-id"]);
  const timestamp = String(message.headers["webhook-timestamp"]);
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${message.body}`).digest();
  return String(message.headers["webhook-signature"])
    .split(" ")
    .some((s) => {
      const [version, sig] = s.split(",");
      const given = Buffer.from(sig ?? "", "base64");
      return version === "v1" && given.length === expected.length && timingSafeEqual(given, expected);
    });
}

/** The demo patient books the first time any online visit type offers in the next weeks. */
async function bookAsPatient(request: APIRequestContext): Promise<void> {
  const token = await patientToken(request);
  const me = await api<{ me: { charts: { relationship: string; patient: { id: string } }[] } }>(
    request,
    "lakeside",
    "{ me { charts { relationship patient { id } } } }",
    {},
    token,
  );
  const patientId = me.me.charts.find((c) => c.relationship === "self")!.patient.id;
  const types = await api<{ appointmentTypes: { id: string; bookableOnline: boolean }[] }>(request, "lakeside", "{ appointmentTypes { id bookableOnline } }", {}, token);
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  for (const type of types.appointmentTypes.filter((t) => t.bookableOnline)) {
    const slots = await api<{ availableSlots: { start: string; provider: { id: string } | null; location: { id: string } | null }[] }>(
      request,
      "lakeside",
      `query($t: ID!, $f: Date!, $to: Date!) { availableSlots(appointmentTypeId: $t, from: $f, to: $to) { start provider { id } location { id } } }`,
      { t: type.id, f: day(1), to: day(21) },
      token,
    );
    for (const slot of slots.availableSlots.slice(-5)) {
      const booked = await api<{ bookAppointment: { appointment: { id: string } | null; userErrors: { code: string }[] } }>(
        request,
        "lakeside",
        `mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { appointment { id } userErrors { code } } }`,
        { input: { patientId, appointmentTypeId: type.id, providerId: slot.provider!.id, locationId: slot.location!.id, start: slot.start } },
        token,
      );
      if (booked.bookAppointment.appointment) return;
    }
  }
  throw new Error("the demo patient could book no visit");
}

test("a practice admin adds a webhook, sees deliveries, replays a failure, rotates, changes, turns off and on, and deletes", async ({ page, request }, testInfo) => {
  test.setTimeout(180_000);
  const hook = await receiver();
  const address = `http://127.0.0.1:${hook.port}/hooks`;
  try {
    await signInConsole(page, "lakeside", ADMIN);
    await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Webhooks", exact: true }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Webhooks" })).toBeVisible();
    await expect(page.getByText("No webhook endpoints yet.")).toBeVisible();
    await expectAccessible(page, testInfo, "webhooks-list-empty");

    // A private network's address is refused at its field; what was typed stays; nothing is saved.
    const url = page.getByLabel("Address", { exact: true });
    await url.fill("https://10.0.0.1/x");
    await page.getByLabel("Description (optional)").fill("Front desk board");
    await page.getByRole("checkbox", { name: /Appointment booked/ }).check();
    await page.getByRole("button", { name: "Add endpoint" }).click();
    const summary = page.locator(".error-summary");
    await expect(summary.getByRole("link", { name: /Address: Enter an address that starts with https:\/\// })).toBeVisible();
    await expect(url).toHaveAttribute("aria-invalid", "true");
    await expect(url).toHaveValue("https://10.0.0.1/x");
    await expect(page.getByLabel("Description (optional)")).toHaveValue("Front desk board");
    await expect(page.getByRole("checkbox", { name: /Appointment booked/ })).toBeChecked();
    await expect(page.getByText("No webhook endpoints yet.")).toBeVisible();
    await screenshot(page, "webhooks-02-add-error");
    await expectAccessible(page, testInfo, "webhooks-add-error");

    // Added: the secret shown once.
    await url.fill(address);
    await page.getByRole("button", { name: "Add endpoint" }).dblclick();
    const panel = page.getByRole("region", { name: `Signing secret for ${address}` });
    await expect(panel).toContainText("it will not be shown again");
    await expect(panel).toContainText("webhook-signature");
    const secret = (await panel.locator("code.secret").textContent())!.trim();
    expect(secret).toMatch(/^whsec_/);
    const row = page.getByRole("row", { name: new RegExp(address) });
    await expect(row).toHaveCount(1);
    await expect(row).toContainText("Appointment booked");
    await expect(row).toContainText("On");
    await screenshot(page, "webhooks-03-secret-shown");
    await expectAccessible(page, testInfo, "webhooks-secret-shown");

    // A booking arrives, signed.
    await bookAsPatient(request);
    await expect.poll(() => hook.got.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
    const first = hook.got[0]!;
    expect(first.headers["webhook-id"]).toBeTruthy();
    expect((JSON.parse(first.body) as { type: string }).type).toBe("appointment.booked");
    expect(signedWith(secret, first)).toBe(true);

    // The log shows it delivered.
    await page.getByRole("button", { name: "I have saved it, hide it" }).click();
    await screenshot(page, "webhooks-01-list");
    await row.getByRole("link", { name: address }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Webhook endpoint" })).toBeVisible();
    const log = page.locator("table.webhook-deliveries");
    await expect(log.locator("tr.delivery").first()).toContainText("Delivered");
    await expect(log.locator("tr.delivery").first()).toContainText("Status 204");
    await expect(log.locator("tr.delivery").first()).toContainText("Appointment booked");

    // A failure: the receiver answers 500.
    hook.answer.status = 500;
    await bookAsPatient(request);
    await expect.poll(() => hook.got.filter((g) => g.answered === 500).length, { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
    await page.getByRole("button", { name: "Refresh the log" }).click();
    const failed = log.locator("tr.delivery").first();
    await expect(failed).toContainText("Status 500");
    await expect(failed).toContainText("Pending");
    await expect(failed).toContainText("Next try");
    await failed.getByRole("button", { name: /Show tries/ }).click();
    await expect(log.locator("table.attempts").first()).toContainText("Status 500 (receiver error)");
    await screenshot(page, "webhooks-04-delivery-log");
    await expectAccessible(page, testInfo, "webhooks-delivery-log");

    // Back to 200, the failure replayed and delivered.
    hook.answer.status = 200;
    const before = hook.got.length;
    await failed.getByRole("button", { name: /^Replay Appointment booked/ }).click();
    await expect(page.getByRole("status").filter({ hasText: "is being sent again now" })).toBeVisible();
    const replay = log.locator("tr.delivery", { hasText: "A replay" }).first();
    await expect(replay).toContainText("Delivered");
    await expect(replay).toContainText("Status 200");
    expect(hook.got.length).toBeGreaterThan(before);
    const resent = hook.got.slice(before).find((g) => g.answered === 200)!;
    expect(resent.headers["webhook-id"]).toBe(hook.got.find((g) => g.answered === 500)!.headers["webhook-id"]);
    await screenshot(page, "webhooks-05-replayed");

    // The secret rotated after a confirmation: the new one shown once, the old one's end named.
    await page.getByRole("button", { name: "Rotate secret" }).click();
    const rotate = page.getByRole("alertdialog", { name: "Rotate the signing secret?" });
    await expect(rotate).toBeVisible();
    await rotate.getByRole("button", { name: "Rotate secret" }).click();
    const fresh = page.getByRole("region", { name: "The new signing secret" });
    await expect(fresh).toContainText("Messages carry signatures from both secrets until");
    const newSecret = (await fresh.locator("code.secret").textContent())!.trim();
    expect(newSecret).toMatch(/^whsec_/);
    expect(newSecret).not.toBe(secret);
    await screenshot(page, "webhooks-06-rotated");
    await expectAccessible(page, testInfo, "webhooks-rotated");
    await fresh.getByRole("button", { name: "I have saved it, hide it" }).click();

    // Changed: one more event, saved with what was there kept.
    await page.getByRole("button", { name: "Change address or events" }).click();
    const change = page.getByRole("form", { name: "Change the endpoint" });
    await expect(change.getByLabel("Address", { exact: true })).toHaveValue(address);
    await change.getByRole("checkbox", { name: /Appointment cancelled/ }).check();
    await change.getByRole("button", { name: "Save changes" }).click();
    await expect(page.getByRole("status").filter({ hasText: "Saved." })).toBeVisible();
    await expect(page.locator(".webhook-facts")).toContainText("Appointment booked, Appointment cancelled");

    // Off: a replay is refused in words. Then on again.
    await page.getByRole("button", { name: "Turn off" }).click();
    await expect(page.getByRole("status").filter({ hasText: "The endpoint is off" })).toBeVisible();
    await expect(page.locator(".webhook-url-line")).toContainText("Off");
    await page.getByRole("button", { name: "Replay failures" }).click();
    await expect(page.locator(".error-summary")).toContainText("Turn the endpoint on first");
    await page.getByRole("button", { name: "Turn on" }).click();
    await expect(page.getByRole("status").filter({ hasText: "The endpoint is on" })).toBeVisible();
    await page.getByRole("button", { name: "Replay failures" }).click();
    await expect(page.getByRole("status").filter({ hasText: /being sent again|No failed delivery/ })).toBeVisible();

    // Deleted after a confirmation.
    await page.getByRole("button", { name: "Delete", exact: true }).click();
    const remove = page.getByRole("alertdialog", { name: `Delete ${address}?` });
    await expect(remove).toBeVisible();
    await remove.getByRole("button", { name: "Delete endpoint" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Webhooks" })).toBeVisible();
    await expect(page.getByRole("status").filter({ hasText: "is deleted" })).toBeVisible();
    await expect(page.getByText("No webhook endpoints yet.")).toBeVisible();
  } finally {
    hook.server.close();
  }
});
