import fc from "fast-check";
import { type Context, Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../context.js";
import { problemResponse, toHttpError } from "../problem.js";
import { isLoopbackClient } from "./client.js";
import { rateLimit } from "./rate-limit.js";
import { type ProblemBody, testApp } from "./test-app.js";
import { TokenBuckets } from "./token-buckets.js";

function limitedApp(opts: { capacity: number; refillPerSecond: number; clock: { t: number }; exempt?: (c: Context) => boolean }) {
  const app = testApp();
  app.use(
    "*",
    rateLimit({
      capacity: opts.capacity,
      refillPerSecond: opts.refillPerSecond,
      keyOf: (c) => c.req.header("x-key"),
      exempt: opts.exempt,
      now: () => opts.clock.t,
    }),
  );
  app.get("/", (c) => c.json({ ok: true }));
  app.get("/boom", () => {
    throw new Error("boom");
  });
  return app;
}

describe("rateLimit", () => {
  it("allows a burst of capacity, then answers 429 problem+json with Retry-After and RateLimit headers", async () => {
    const clock = { t: 0 };
    const app = limitedApp({ capacity: 3, refillPerSecond: 0.5, clock });
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await app.request("/", { headers: { "x-key": "k1" } });
      expect(res.status).toBe(200);
      expect(res.headers.get("ratelimit-limit")).toBe("3");
      remaining.push(res.headers.get("ratelimit-remaining"));
    }
    expect(remaining).toEqual(["2", "1", "0"]);
    const res = await app.request("/", { headers: { "x-key": "k1" } });
    expect(res.status).toBe(429);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    // One token every 2 s.
    expect(res.headers.get("retry-after")).toBe("2");
    expect(res.headers.get("ratelimit-limit")).toBe("3");
    expect(res.headers.get("ratelimit-remaining")).toBe("0");
    const body = (await res.json()) as ProblemBody;
    expect(body).toMatchObject({ status: 429, code: "rate_limited", requestId: "req-test" });
  });

  it("rounds Retry-After up to whole seconds, at least 1", async () => {
    const clock = { t: 0 };
    const app = limitedApp({ capacity: 1, refillPerSecond: 0.4, clock }); // 2.5 s per token
    await app.request("/", { headers: { "x-key": "k" } });
    clock.t = 1000; // 1.5 s still to go
    expect((await app.request("/", { headers: { "x-key": "k" } })).headers.get("retry-after")).toBe("2");
    const fast = limitedApp({ capacity: 1, refillPerSecond: 100, clock: { t: 0 } });
    await fast.request("/", { headers: { "x-key": "k" } });
    expect((await fast.request("/", { headers: { "x-key": "k" } })).headers.get("retry-after")).toBe("1");
  });

  it("refills over time and keeps keys apart", async () => {
    const clock = { t: 0 };
    const app = limitedApp({ capacity: 1, refillPerSecond: 1, clock });
    expect((await app.request("/", { headers: { "x-key": "a" } })).status).toBe(200);
    expect((await app.request("/", { headers: { "x-key": "a" } })).status).toBe(429);
    expect((await app.request("/", { headers: { "x-key": "b" } })).status).toBe(200);
    clock.t = 999;
    expect((await app.request("/", { headers: { "x-key": "a" } })).status).toBe(429);
    clock.t = 1000;
    expect((await app.request("/", { headers: { "x-key": "a" } })).status).toBe(200);
  });

  it("skips requests with no key and exempt requests", async () => {
    const clock = { t: 0 };
    const app = limitedApp({ capacity: 1, refillPerSecond: 1, clock, exempt: (c) => c.req.header("x-exempt") === "1" });
    for (let i = 0; i < 5; i++) expect((await app.request("/")).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await app.request("/", { headers: { "x-key": "a", "x-exempt": "1" } })).status).toBe(200);
    expect((await app.request("/", { headers: { "x-key": "a" } })).status).toBe(200);
    expect((await app.request("/", { headers: { "x-key": "a" } })).status).toBe(429);
  });

  it("counts a request whose handler fails, and still labels its problem response", async () => {
    const app = limitedApp({ capacity: 2, refillPerSecond: 1, clock: { t: 0 } });
    const res = await app.request("/boom", { headers: { "x-key": "a" } });
    expect(res.status).toBe(500);
    expect(res.headers.get("ratelimit-remaining")).toBe("1");
  });

  it("keys by a typed variable set by an earlier middleware (the actor)", async () => {
    // Stands in for AppEnv's actor (Actor.keyId is null when auth is off).
    type Env = { Variables: { actor: { keyId: string | null } } };
    const app = new Hono<Env>();
    app.onError((err, c) => problemResponse(c as unknown as Context<AppEnv>, toHttpError(err)));
    app.use("*", async (c, next) => {
      c.set("actor", { keyId: c.req.header("authorization") ?? null });
      await next();
    });
    app.use("*", rateLimit<Env>({ capacity: 1, refillPerSecond: 1, keyOf: (c) => c.get("actor").keyId ?? undefined, exempt: isLoopbackClient, now: () => 0 }));
    app.get("/", (c) => c.text("ok"));
    expect((await app.request("/", { headers: { authorization: "k1" } })).status).toBe(200);
    expect((await app.request("/", { headers: { authorization: "k1" } })).status).toBe(429);
    expect((await app.request("/", { headers: { authorization: "k2" } })).status).toBe(200);
    // No key (auth off): not limited here.
    expect((await app.request("/")).status).toBe(200);
    expect((await app.request("/")).status).toBe(200);
  });

  it("rejects nonsense options at construction", () => {
    expect(() => rateLimit({ capacity: 0, refillPerSecond: 1, keyOf: () => "k" })).toThrow(RangeError);
    expect(() => rateLimit({ capacity: 1.5, refillPerSecond: 1, keyOf: () => "k" })).toThrow(RangeError);
    expect(() => rateLimit({ capacity: 1, refillPerSecond: 0, keyOf: () => "k" })).toThrow(RangeError);
  });
});

describe("TokenBuckets", () => {
  it("property: in any window a key is allowed at most capacity + refill × elapsed", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.double({ min: 0.01, max: 200, noNaN: true }),
        fc.array(fc.record({ dt: fc.integer({ min: 0, max: 3000 }), key: fc.constantFrom("a", "b", "c") }), { maxLength: 300 }),
        (capacity, refillPerSecond, events) => {
          const buckets = new TokenBuckets({ capacity, refillPerSecond });
          let t = 0;
          const allowed: Record<string, number[]> = { a: [], b: [], c: [] };
          for (const e of events) {
            t += e.dt;
            if (buckets.take(e.key, t) >= 0) allowed[e.key]!.push(t);
          }
          for (const times of Object.values(allowed)) {
            for (let i = 0; i < times.length; i++) {
              for (let j = i; j < times.length; j++) {
                const elapsedS = (times[j]! - times[i]!) / 1000;
                expect(j - i + 1).toBeLessThanOrEqual(capacity + refillPerSecond * elapsedS + 1e-9 * (j - i + 1));
              }
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("property: a key that waited long enough is never refused, and remaining counts down exactly", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.double({ min: 0.01, max: 100, noNaN: true }), (capacity, refill) => {
        const buckets = new TokenBuckets({ capacity, refillPerSecond: refill });
        const seen: number[] = [];
        for (let i = 0; i < capacity; i++) seen.push(buckets.take("k", 0));
        expect(seen).toEqual(Array.from({ length: capacity }, (_, i) => capacity - 1 - i));
        expect(buckets.take("k", 0)).toBe(-1);
        const wait = buckets.msUntilToken("k", 0);
        expect(wait).toBeGreaterThan(0);
        expect(buckets.take("k", Math.ceil(wait))).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it("a clock stepping back neither refills nor drains", () => {
    const buckets = new TokenBuckets({ capacity: 2, refillPerSecond: 1 });
    expect(buckets.take("k", 10_000)).toBe(1);
    expect(buckets.take("k", 5_000)).toBe(0);
    expect(buckets.take("k", 5_000)).toBe(-1);
    expect(buckets.take("k", 11_000)).toBe(0);
  });

  it("stays within maxKeys under a flood of new keys", () => {
    const buckets = new TokenBuckets({ capacity: 2, refillPerSecond: 1, maxKeys: 100 });
    for (let i = 0; i < 10_000; i++) buckets.take(`flood-${i}`, i);
    expect(buckets.size).toBeLessThanOrEqual(100);
    // The newest keys survive with their state.
    expect(buckets.take("flood-9999", 9999)).toBe(0);
    expect(buckets.take("flood-9999", 9999)).toBe(-1);
  });

  it("drops idle (refilled) buckets first when full", () => {
    const buckets = new TokenBuckets({ capacity: 2, refillPerSecond: 1, maxKeys: 100 });
    for (let i = 0; i < 99; i++) buckets.take(`idle-${i}`, 0);
    buckets.take("busy", 9_000);
    buckets.take("busy", 9_000);
    buckets.take("new", 10_000); // idle-* are full again by now; busy is not
    expect(buckets.size).toBe(2);
    expect(buckets.take("busy", 10_000)).toBe(0);
  });
});
