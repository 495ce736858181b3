import { createHmac } from "node:crypto";
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { type Lookup, type ResolvedAddress, systemLookup, vetWebhookUrl, type WebhookAllowlist } from "./webhook-target.js";

/** The signature header: `sha256=` and the hex HMAC-SHA256 of the raw body under the webhook's secret. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body, "utf8").digest("hex")}`;
}

export type AttemptResult =
  | { outcome: "delivered"; statusCode: number; latencyMs: number }
  /** Worth retrying: a 5xx, 429, 3xx (never followed), timeout or network error. */
  | { outcome: "retry"; statusCode: number | null; latencyMs: number | null; error: string }
  /** Never retried: the target is refused, or it answered 4xx (it will not change its mind). */
  | { outcome: "failed" | "refused"; statusCode: number | null; latencyMs: number | null; error: string };

export interface AttemptInput {
  url: string;
  body: string;
  deliveryId: string;
  secret?: string | undefined;
  allowlist: WebhookAllowlist;
  timeoutMs: number;
  lookup?: Lookup;
}

/**
 * One POST of a delivery. The host is resolved and vetted here, at send time, and the
 * connection goes to the vetted address through a lookup that answers with it: there is
 * no second DNS query a rebinding attacker could answer differently. Redirects are not
 * followed (a 3xx is a failed attempt), and the whole attempt has a deadline.
 */
export async function attemptDelivery(input: AttemptInput): Promise<AttemptResult> {
  const vetting = await vetWebhookUrl(input.url, input.allowlist, input.lookup ?? systemLookup);
  if (!vetting.ok) return { outcome: "refused", statusCode: null, latencyMs: null, error: vetting.reason };
  const target = vetting.addresses[0]!;
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "cairn-webhook/1",
    "x-cairn-delivery": input.deliveryId,
    "content-length": String(Buffer.byteLength(input.body)),
  };
  if (input.secret) headers["x-cairn-signature"] = signBody(input.secret, input.body);
  const started = performance.now();
  try {
    const statusCode = await post(vetting.url, target, headers, input.body, input.timeoutMs);
    const latencyMs = Math.round(performance.now() - started);
    if (statusCode >= 200 && statusCode < 300) return { outcome: "delivered", statusCode, latencyMs };
    if (statusCode >= 300 && statusCode < 400) return { outcome: "retry", statusCode, latencyMs, error: `answered ${statusCode}: redirects are not followed` };
    if (statusCode >= 500 || statusCode === 429 || statusCode === 408) return { outcome: "retry", statusCode, latencyMs, error: `answered ${statusCode}` };
    return { outcome: "failed", statusCode, latencyMs, error: `answered ${statusCode}` };
  } catch (e) {
    return { outcome: "retry", statusCode: null, latencyMs: Math.round(performance.now() - started), error: (e as Error).message.slice(0, 500) };
  }
}

function post(url: URL, target: ResolvedAddress, headers: Record<string, string>, body: string, timeoutMs: number): Promise<number> {
  const pinned: LookupFunction = (_hostname, options, callback) => {
    if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: ResolvedAddress[]) => void)(null, [target]);
    else callback(null, target.address, target.family);
  };
  const client = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      url,
      { method: "POST", headers, lookup: pinned, agent: false, signal: AbortSignal.timeout(timeoutMs) },
      (res) => {
        // Only the status matters: answer at the head, and drain the body (cut off by the deadline) unread.
        res.on("error", () => {});
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("error", (e) => reject(e.name === "AbortError" ? new Error(`no answer within ${timeoutMs} ms`) : e));
    req.end(body);
  });
}
