export interface BackoffOptions {
  /** First retry waits up to this long (ms). */
  baseMs: number;
  /** No single wait is longer than this (ms). */
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 250, capMs: 5_000 };

/**
 * Exponential backoff with full jitter (AWS architecture blog): a uniform wait in
 * [0, min(cap, base·2^attempt)), which spreads retries of many clients out. A server's
 * `Retry-After` is a floor (the server knows best), still bounded by 60 s so a bad
 * header cannot stall a run.
 */
export function backoffDelay(
  attempt: number,
  opts: BackoffOptions = DEFAULT_BACKOFF,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(opts.capMs, opts.baseMs * 2 ** Math.min(attempt, 30));
  const jittered = Math.floor(random() * ceiling);
  return retryAfterMs === undefined ? jittered : Math.max(jittered, Math.min(retryAfterMs, 60_000));
}

/** 408, 429 and 5xx are worth retrying; any other 4xx will fail the same way again. */
export const isRetryableStatus = (status: number): boolean => status === 408 || status === 429 || status >= 500;
