/**
 * Per-key token buckets in one Map. Kept apart from the middleware so the arithmetic can be
 * property-tested without HTTP, and so a pre-auth (per address) and a post-auth (per key)
 * limiter can each own one.
 */

type Bucket = { tokens: number; at: number };

// Floating point: refilling for exactly the advertised wait can land a hair under 1 token
// (1 / 0.0999…  → 10, 10 × 0.0999… → 0.999…), and a client that obeyed Retry-After would be
// refused again. A billionth of a token is the price of never doing that.
const ONE = 1 - 1e-9;

export type TokenBucketsOptions = {
  /** Burst size: the most requests a key can make at once after being idle. */
  capacity: number;
  /** Sustained rate: tokens added per second, up to `capacity`. */
  refillPerSecond: number;
  /**
   * Keys remembered at most. Past this, full (idle) buckets are dropped first, then the
   * oldest-created ones: forgetting a bucket only hands that key a fresh burst, while an
   * unbounded Map would let anyone who can mint keys (addresses, say) exhaust memory.
   */
  maxKeys?: number;
};

export class TokenBuckets {
  readonly capacity: number;
  readonly maxKeys: number;
  readonly #perMs: number;
  readonly #buckets = new Map<string, Bucket>();

  constructor({ capacity, refillPerSecond, maxKeys = 10_000 }: TokenBucketsOptions) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be an integer >= 1, got ${capacity}`);
    if (!Number.isFinite(refillPerSecond) || refillPerSecond <= 0) throw new RangeError(`refillPerSecond must be > 0, got ${refillPerSecond}`);
    if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new RangeError(`maxKeys must be an integer >= 1, got ${maxKeys}`);
    this.capacity = capacity;
    this.maxKeys = maxKeys;
    this.#perMs = refillPerSecond / 1000;
  }

  get size(): number {
    return this.#buckets.size;
  }

  /**
   * Takes one token from `key`'s bucket at time `now` (ms, monotonic). Returns the whole tokens
   * left after taking it, or -1 when the bucket is empty (nothing taken). A number rather than a
   * result object so the hot path allocates nothing for a key it already knows.
   */
  take(key: string, now: number): number {
    const b = this.#buckets.get(key);
    if (b === undefined) {
      if (this.#buckets.size >= this.maxKeys) this.#evict(now);
      this.#buckets.set(key, { tokens: this.capacity - 1, at: now });
      return this.capacity - 1;
    }
    this.#refill(b, now);
    if (b.tokens < ONE) return -1;
    b.tokens = Math.max(0, b.tokens - 1);
    return Math.floor(b.tokens + 1e-9);
  }

  /** Milliseconds until `key` has a whole token again (0 if it has one now). */
  msUntilToken(key: string, now: number): number {
    const b = this.#buckets.get(key);
    if (b === undefined) return 0;
    this.#refill(b, now);
    return b.tokens >= ONE ? 0 : (ONE - b.tokens) / this.#perMs;
  }

  #refill(b: Bucket, now: number): void {
    // A clock that steps back (an injected wall clock) must not drain the bucket.
    const elapsed = now - b.at;
    if (elapsed > 0) {
      b.tokens = Math.min(this.capacity, b.tokens + elapsed * this.#perMs);
      b.at = now;
    }
  }

  /**
   * Makes room down to 90% of maxKeys, so a full sweep (O(n)) happens at most once per
   * maxKeys/10 new keys: O(1) amortised per request even while someone floods new keys.
   */
  #evict(now: number): void {
    const target = Math.floor(this.maxKeys * 0.9);
    const fullAfterMs = this.capacity / this.#perMs;
    // A bucket idle long enough to be full again is indistinguishable from no bucket: free to drop.
    for (const [key, b] of this.#buckets) {
      if (now - b.at >= fullAfterMs) this.#buckets.delete(key);
    }
    // Still crowded: drop in creation order (Map iteration order).
    for (const key of this.#buckets.keys()) {
      if (this.#buckets.size <= target) break;
      this.#buckets.delete(key);
    }
  }
}
