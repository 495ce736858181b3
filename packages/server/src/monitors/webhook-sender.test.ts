import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../config.js";
import { retryDelayMs } from "./deliveries.service.js";
import { type Receiver, startReceiver, verifySignature } from "./monitors.testutil.js";
import { attemptDelivery, signBody } from "./webhook-sender.js";
import { type Lookup, refusedRange, vetWebhookUrl, WebhookAllowlist } from "./webhook-target.js";

const SECRET = "whsec-0123456789abcdef";
const none = new WebhookAllowlist([]);
const loopbackAllowed = new WebhookAllowlist(["127.0.0.1"]);
const body = JSON.stringify({ type: "alert", n: 1 });

describe("webhook targets: SSRF rules", () => {
  it("refuses loopback, link-local, private and unspecified addresses (v4, v6, v4-mapped v6); passes public ones", () => {
    for (const a of ["127.0.0.1", "127.255.0.9", "169.254.169.254", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "0.0.0.0", "::1", "fe80::1", "fd00::1", "fc00::5", "::ffff:127.0.0.1", "::ffff:169.254.169.254", "::"]) {
      expect(refusedRange(a), a).toBeDefined();
    }
    for (const a of ["8.8.8.8", "93.184.215.14", "172.32.0.1", "172.15.255.255", "192.169.0.1", "2606:4700::1111", "::ffff:8.8.8.8"]) {
      expect(refusedRange(a), a).toBeUndefined();
    }
  });

  it("every address in 10/8, 127/8, 169.254/16, 172.16/12 and 192.168/16 is refused (property)", () => {
    const inRange = fc.oneof(
      fc.tuple(fc.constant(10), fc.nat(255), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(127), fc.nat(255), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(169), fc.constant(254), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(172), fc.integer({ min: 16, max: 31 }), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(192), fc.constant(168), fc.nat(255), fc.nat(255)),
    );
    fc.assert(fc.property(inRange, (parts) => refusedRange(parts.join(".")) !== undefined && refusedRange(`::ffff:${parts.join(".")}`) !== undefined));
  });

  it("CAIRN_WEBHOOK_ALLOWLIST takes host names, addresses and CIDRs; anything else stops the server with the variable named", () => {
    expect(loadConfig({ CAIRN_WEBHOOK_ALLOWLIST: " 127.0.0.1, 10.0.0.0/8,ci.internal ,::1,fd00::/8" }).webhookAllowlist).toEqual(["127.0.0.1", "10.0.0.0/8", "ci.internal", "::1", "fd00::/8"]);
    for (const bad of ["10.0.0.0/33", "a b", "1.2.3.4/x", "host/8", "::1/129"]) expect(() => loadConfig({ CAIRN_WEBHOOK_ALLOWLIST: bad }), bad).toThrow(/CAIRN_WEBHOOK_ALLOWLIST/);
  });

  it("vets every resolved address: one private record refuses the host; the allowlist admits hosts and CIDRs", async () => {
    const dnsOf = (map: Record<string, string[]>): Lookup => async (h) => (map[h] ?? []).map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
    const lookup = dnsOf({ "mixed.test": ["93.184.215.14", "10.0.0.7"], "metadata.test": ["169.254.169.254"], "public.test": ["93.184.215.14"], "v6.test": ["fd12::1"] });
    expect(await vetWebhookUrl("https://public.test/x", none, lookup)).toMatchObject({ ok: true });
    expect(await vetWebhookUrl("https://mixed.test/x", none, lookup)).toMatchObject({ ok: false, reason: expect.stringContaining("10.0.0.7, a private address") });
    expect(await vetWebhookUrl("http://metadata.test/", none, lookup)).toMatchObject({ ok: false, reason: expect.stringContaining("link-local") });
    expect(await vetWebhookUrl("http://v6.test/", new WebhookAllowlist(["fd00::/8"]), lookup)).toMatchObject({ ok: true });
    expect(await vetWebhookUrl("http://metadata.test/", new WebhookAllowlist(["metadata.test"]), lookup)).toMatchObject({ ok: true });
    expect(await vetWebhookUrl("http://10.1.2.3/", new WebhookAllowlist(["10.0.0.0/8"]), lookup)).toMatchObject({ ok: true });
    expect(await vetWebhookUrl("http://11.1.2.3/", new WebhookAllowlist(["10.0.0.0/8"]), lookup)).toMatchObject({ ok: true });
    expect(await vetWebhookUrl("http://192.168.0.1/", new WebhookAllowlist(["10.0.0.0/8"]), lookup)).toMatchObject({ ok: false });
    expect(await vetWebhookUrl("http://[::1]:8080/", new WebhookAllowlist(["::1"]), lookup)).toMatchObject({ ok: true });
    expect(await vetWebhookUrl("http://gone.test/", none, lookup)).toMatchObject({ ok: false, reason: expect.stringContaining("no address") });
    expect(await vetWebhookUrl("file:///etc/passwd", none, lookup)).toMatchObject({ ok: false, reason: expect.stringContaining("http or https") });
    expect(await vetWebhookUrl("http://user:pw@public.test/", none, lookup)).toMatchObject({ ok: false, reason: expect.stringContaining("credentials") });
  });
});

describe("webhook attempts against real receivers", () => {
  const receivers: Receiver[] = [];
  const receiver = async (...args: Parameters<typeof startReceiver>) => {
    const r = await startReceiver(...args);
    receivers.push(r);
    return r;
  };
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });

  it("signs the raw body with HMAC-SHA256 and sends the delivery id", async () => {
    const r = await receiver();
    const result = await attemptDelivery({ url: r.url, body, deliveryId: "d-1", secret: SECRET, allowlist: loopbackAllowed, timeoutMs: 2000 });
    expect(result).toMatchObject({ outcome: "delivered", statusCode: 200 });
    expect(r.received).toHaveLength(1);
    expect(r.received[0]!.body).toBe(body);
    expect(r.received[0]!.headers["x-cairn-signature"]).toBe(signBody(SECRET, body));
    expect(verifySignature(SECRET, r.received[0]!.body, r.received[0]!.headers["x-cairn-signature"] as string)).toBe(true);
    expect(verifySignature(SECRET, `${body} `, r.received[0]!.headers["x-cairn-signature"] as string)).toBe(false);
    expect(r.received[0]!.headers["x-cairn-delivery"]).toBe("d-1");
  });

  it("refuses 127.0.0.1 without the allowlist and never connects", async () => {
    const r = await receiver();
    const result = await attemptDelivery({ url: r.url, body, deliveryId: "d-2", allowlist: none, timeoutMs: 2000 });
    expect(result).toMatchObject({ outcome: "refused", statusCode: null });
    expect(result.outcome !== "delivered" && result.error).toMatch(/127\.0\.0\.1, a loopback address/);
    const viaName = await attemptDelivery({ url: `http://localhost:${r.port}/hook`, body, deliveryId: "d-3", allowlist: none, timeoutMs: 2000 });
    expect(viaName.outcome).toBe("refused");
    expect(r.received).toHaveLength(0);
  });

  it("refuses 169.254.169.254 even with loopback allowlisted", async () => {
    const result = await attemptDelivery({ url: "http://169.254.169.254/latest/meta-data/iam", body, deliveryId: "d-4", allowlist: loopbackAllowed, timeoutMs: 2000 });
    expect(result).toMatchObject({ outcome: "refused" });
  });

  it("connects to the vetted address, not a second lookup: a rebinding answer is never used", async () => {
    const r = await receiver();
    let lookups = 0;
    // First answer: the allowlisted receiver; any later answer would point at the metadata service.
    const rebinding: Lookup = async () => (lookups++ === 0 ? [{ address: "127.0.0.1", family: 4 }] : [{ address: "169.254.169.254", family: 4 }]);
    const result = await attemptDelivery({ url: `http://hooks.test:${r.port}/hook`, body, deliveryId: "d-5", allowlist: loopbackAllowed, timeoutMs: 2000, lookup: rebinding });
    expect(result.outcome).toBe("delivered");
    expect(lookups).toBe(1);
    expect(r.received[0]!.headers.host).toBe(`hooks.test:${r.port}`);
  });

  it("does not follow a redirect (to a private address or anywhere): a 3xx is a failed attempt to retry", async () => {
    const target = await receiver();
    const redirecting = await receiver(() => ({ status: 302, location: target.url }));
    const toMetadata = await receiver(() => ({ status: 307, location: "http://169.254.169.254/latest/meta-data/" }));
    for (const r of [redirecting, toMetadata]) {
      const result = await attemptDelivery({ url: r.url, body, deliveryId: "d-6", allowlist: loopbackAllowed, timeoutMs: 2000 });
      expect(result).toMatchObject({ outcome: "retry", statusCode: r === redirecting ? 302 : 307, error: expect.stringContaining("redirects are not followed") });
    }
    expect(target.received).toHaveLength(0);
  });

  it("gives up an attempt at the deadline; retries 5xx and 429, not other 4xx", async () => {
    const hanging = await receiver(() => ({ status: 200, hang: true }));
    const started = Date.now();
    const result = await attemptDelivery({ url: hanging.url, body, deliveryId: "d-7", allowlist: loopbackAllowed, timeoutMs: 300 });
    expect(result).toMatchObject({ outcome: "retry", error: expect.stringContaining("no answer within 300 ms") });
    expect(Date.now() - started).toBeLessThan(2000);
    for (const [status, outcome] of [[503, "retry"], [429, "retry"], [404, "failed"], [400, "failed"], [204, "delivered"]] as const) {
      const r = await receiver(() => ({ status }));
      expect((await attemptDelivery({ url: r.url, body, deliveryId: "d-8", allowlist: loopbackAllowed, timeoutMs: 2000 })).outcome, String(status)).toBe(outcome);
    }
  });

  it("backs off exponentially, capped at an hour", () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(30_000, n))).toEqual([30_000, 60_000, 120_000, 240_000]);
    fc.assert(fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 100_000 }), (n, base) => retryDelayMs(base, n + 1) >= retryDelayMs(base, n) && retryDelayMs(base, n) <= 3_600_000));
  });
});
