import { describe, expect, it } from "vitest";
import { Transport } from "../src/client/http.js";
import { ConflictError, ServerError, ValidationError } from "../src/client/errors.js";
import { requestTimeoutMs, sendOp } from "../src/run/executor.js";
import { batchFromPoints } from "../src/run/batch.js";
import type { Op } from "../src/run/ops.js";

// Unit tests of the retry policy only: a scripted fetch stands in for the network so each
// status sequence is exact. Behaviour against the real server is covered by test/e2e.
function scripted(responses: Array<Response | Error>) {
  const calls: string[] = [];
  const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = input instanceof Request ? input : new Request(input, init);
    calls.push(`${req.method} ${new URL(req.url).pathname}`);
    const next = responses.shift();
    if (!next) throw new Error("no more responses");
    if (next instanceof Error) throw next;
    return next;
  }) as typeof fetch;
  return { transport: new Transport({ url: "http://cairn.test", fetch: fetchFn }), calls };
}

const problem = (status: number, code: string, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ type: "about:blank", title: code, status, code }), {
    status,
    headers: { "content-type": "application/problem+json", ...headers },
  });
const ok = () => new Response(JSON.stringify({ accepted: 1, written: 1, duplicates: 0 }), { status: 200, headers: { "content-type": "application/json" } });
const metrics: Op = { type: "metrics", batch: batchFromPoints([["loss", 1, 0, 0]]) };
const signal = () => new AbortController().signal;

describe("sendOp retry policy", () => {
  it("retries 503 (honouring Retry-After) and 429, then succeeds", async () => {
    const { transport, calls } = scripted([problem(503, "unavailable", { "retry-after": "0" }), problem(429, "rate_limited"), ok()]);
    const retried: Error[] = [];
    const t0 = Date.now();
    const out = await sendOp({ transport, runId: "r", retryWindowMs: 5_000, backoff: { baseMs: 1, capMs: 5 }, onRetry: (e) => retried.push(e) }, metrics, signal());
    expect(out).toEqual({ kind: "ok" });
    expect(calls).toEqual(["POST /api/v1/runs/r/metrics", "POST /api/v1/runs/r/metrics", "POST /api/v1/runs/r/metrics"]);
    expect(retried[0]).toBeInstanceOf(ServerError);
    expect(Date.now() - t0).toBeLessThan(3_000);
  });

  it("does not retry a 4xx: the error is returned for reporting", async () => {
    const { transport, calls } = scripted([problem(422, "validation_failed")]);
    const out = await sendOp({ transport, runId: "r", retryWindowMs: 5_000 }, metrics, signal());
    expect(out.kind).toBe("rejected");
    expect(out.kind === "rejected" && out.error).toBeInstanceOf(ValidationError);
    expect(calls).toHaveLength(1);
  });

  it("treats 409 on project create as success, and on params as a rejection", async () => {
    const a = scripted([problem(409, "conflict")]);
    expect(await sendOp({ transport: a.transport, runId: "r", retryWindowMs: 0 }, { type: "project", name: "p" }, signal())).toEqual({ kind: "ok" });
    const b = scripted([problem(409, "conflict")]);
    const out = await sendOp({ transport: b.transport, runId: "r", retryWindowMs: 0 }, { type: "params", params: { lr: 1 } }, signal());
    expect(out.kind === "rejected" && out.error).toBeInstanceOf(ConflictError);
  });

  it("gives up as unreachable once failures outlast the retry window", async () => {
    const { transport, calls } = scripted(Array.from({ length: 1000 }, () => new TypeError("fetch failed")));
    const t0 = Date.now();
    const out = await sendOp({ transport, runId: "r", retryWindowMs: 300, backoff: { baseMs: 10, capMs: 50 } }, metrics, signal());
    expect(out.kind).toBe("unreachable");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(calls.length).toBeGreaterThan(2);
  });

  it("gives a lost answer one timeout, proportional to the batch, then retries at once", async () => {
    // A response lost on a live connection never comes: the first attempt hangs until its
    // own timeout, the retry goes out without a backoff wait and succeeds.
    let calls = 0;
    const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const req = input instanceof Request ? input : new Request(input, init);
      if (++calls > 1) return ok();
      return new Promise<Response>((_, reject) => req.signal.addEventListener("abort", () => reject(req.signal.reason), { once: true }));
    }) as typeof fetch;
    const transport = new Transport({ url: "http://cairn.test", fetch: fetchFn });
    const t0 = Date.now();
    const out = await sendOp({ transport, runId: "r", retryWindowMs: 60_000, backoff: { baseMs: 5_000, capMs: 5_000 }, timeoutMs: () => 200 }, metrics, signal());
    expect(out).toEqual({ kind: "ok" });
    expect(calls).toBe(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(200);
    expect(Date.now() - t0).toBeLessThan(2_000); // no 0–5 s backoff after the timeout
    expect(requestTimeoutMs(metrics)).toBe(10_002);
    expect(requestTimeoutMs({ type: "metrics", batch: batchFromPoints(Array.from({ length: 10_000 }, (_, i) => ["k", 1, i, 0] as const)) })).toBe(30_000);
    expect(requestTimeoutMs({ type: "project", name: "p" })).toBe(10_000);
  });

  it("counts the retry window from the start of the first failed attempt", async () => {
    // A black hole: every attempt times out. The window (300 ms) is over when the first
    // 400 ms attempt ends, so the op is handed back after one attempt, not one more.
    let calls = 0;
    const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const req = input instanceof Request ? input : new Request(input, init);
      calls++;
      return new Promise<Response>((_, reject) => req.signal.addEventListener("abort", () => reject(req.signal.reason), { once: true }));
    }) as typeof fetch;
    const transport = new Transport({ url: "http://cairn.test", fetch: fetchFn });
    const out = await sendOp({ transport, runId: "r", retryWindowMs: 300, timeoutMs: () => 400 }, metrics, signal());
    expect(out.kind).toBe("unreachable");
    expect(calls).toBe(1);
  });

  it("stops at once when aborted", async () => {
    const ctrl = new AbortController();
    const { transport } = scripted(Array.from({ length: 1000 }, () => new TypeError("fetch failed")));
    setTimeout(() => ctrl.abort(), 50);
    const t0 = Date.now();
    const out = await sendOp({ transport, runId: "r", retryWindowMs: 60_000, backoff: { baseMs: 1000, capMs: 1000 } }, metrics, ctrl.signal);
    expect(out.kind).toBe("unreachable");
    expect(Date.now() - t0).toBeLessThan(1_000);
  });
});
