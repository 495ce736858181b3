import type { Context, Env, MiddlewareHandler } from "hono";
import { HttpError } from "../errors.js";
import { TokenBuckets } from "./token-buckets.js";

export type RateLimitOptions<E extends Env = Env> = {
  /** Burst size per key. */
  capacity: number;
  /** Sustained requests per second per key. */
  refillPerSecond: number;
  /** Which bucket a request draws from; `undefined` means "not limited here" (e.g. no actor yet). */
  keyOf: (c: Context<E>) => string | undefined;
  /** Requests that skip the limit entirely (e.g. loopback clients, see `isLoopbackClient`). */
  exempt?: (c: Context<E>) => boolean;
  /** Monotonic clock in milliseconds; injectable for tests. */
  now?: () => number;
  /** Keys remembered at most (see TokenBuckets). */
  maxKeys?: number;
};

/**
 * Per-key token bucket. Over the limit it throws a 429 problem with `Retry-After`, so clients
 * back off for exactly as long as it takes to earn one request back.
 * `RateLimit-Limit`/`RateLimit-Remaining` (IETF draft names) let well-behaved clients pace
 * themselves before hitting the wall. Generic in the app's Env so `keyOf` can read typed
 * variables such as `c.get("actor")`.
 */
export function rateLimit<E extends Env = Env>(options: RateLimitOptions<E>): MiddlewareHandler<E> {
  const { keyOf, exempt, now = () => performance.now() } = options;
  const buckets = new TokenBuckets(options);
  // Built once: the header values for the limit never change.
  const limit = String(buckets.capacity);

  return async function rateLimitMiddleware(c, next) {
    if (exempt?.(c)) return next();
    const key = keyOf(c);
    if (key === undefined) return next();
    const t = now();
    const remaining = buckets.take(key, t);
    if (remaining < 0) {
      const retryAfter = Math.max(1, Math.ceil(buckets.msUntilToken(key, t) / 1000));
      // Headers ride on the error: the problem response is built fresh by onError, so
      // anything set on `c` before throwing would be lost.
      throw new HttpError(429, "rate_limited", `too many requests; retry in ${retryAfter} s`, undefined, {
        "retry-after": String(retryAfter),
        "ratelimit-limit": limit,
        "ratelimit-remaining": "0",
      });
    }
    await next();
    c.res.headers.set("ratelimit-limit", limit);
    c.res.headers.set("ratelimit-remaining", String(remaining));
  };
}
