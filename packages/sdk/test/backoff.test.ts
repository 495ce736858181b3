import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffDelay, isRetryableStatus } from "../src/run/backoff.js";
import { retryAfterMs } from "../src/client/http.js";

describe("backoff", () => {
  it("stays within [0, min(cap, base·2^attempt)) — full jitter", () => {
    fc.assert(
      fc.property(fc.nat(100), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempt, r) => {
        const opts = { baseMs: 100, capMs: 5000 };
        const d = backoffDelay(attempt, opts, undefined, () => r);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(Math.min(5000, 100 * 2 ** attempt));
      }),
    );
  });

  it("waits at least Retry-After, bounded to 60 s", () => {
    expect(backoffDelay(0, { baseMs: 100, capMs: 5000 }, 3000, () => 0)).toBe(3000);
    expect(backoffDelay(0, { baseMs: 100, capMs: 5000 }, 3_600_000, () => 0)).toBe(60_000);
  });

  it("retries network-ish statuses only", () => {
    expect([408, 429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 409, 413, 422].some(isRetryableStatus)).toBe(false);
  });

  it("parses Retry-After as seconds or an HTTP date", () => {
    expect(retryAfterMs(new Headers({ "retry-after": "2" }))).toBe(2000);
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(retryAfterMs(new Headers({ "retry-after": "Thu, 01 Jan 2026 00:00:05 GMT" }), now)).toBe(5000);
    expect(retryAfterMs(new Headers({ "retry-after": "soon" }))).toBeUndefined();
    expect(retryAfterMs(new Headers())).toBeUndefined();
  });
});
