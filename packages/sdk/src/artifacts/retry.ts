import { CairnHttpError, CairnNetworkError } from "../client/errors.js";
import { backoffDelay, isRetryableStatus } from "../run/backoff.js";

export const DEFAULT_RETRY_WINDOW_MS = 60_000;
/** Transfers back off more gently than metric batches: a restarting server takes seconds. */
const TRANSFER_BACKOFF = { baseMs: 250, capMs: 8_000 };

export function isRetryable(err: unknown): boolean {
  if (err instanceof CairnNetworkError) return true;
  return err instanceof CairnHttpError && isRetryableStatus(err.status);
}

/**
 * Calls `attempt` until it succeeds, a permanent error (4xx other than 408/429) occurs, or
 * the retry window has passed (at least three attempts are made). Waits with full-jitter backoff.
 */
export async function withRetry<T>(attempt: (n: number) => Promise<T>, opts: { retryWindowMs?: number; signal?: AbortSignal | undefined } = {}): Promise<T> {
  const deadline = Date.now() + (opts.retryWindowMs ?? DEFAULT_RETRY_WINDOW_MS);
  for (let n = 0; ; n++) {
    opts.signal?.throwIfAborted();
    try {
      return await attempt(n);
    } catch (err) {
      if (!isRetryable(err) || opts.signal?.aborted) throw err;
      const wait = backoffDelay(n, TRANSFER_BACKOFF, err instanceof CairnHttpError ? err.retryAfterMs : undefined);
      if (n >= 2 && Date.now() + wait > deadline) throw err;
      await sleep(wait, opts.signal);
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener("abort", abort);
      resolve();
    }
    function abort() {
      clearTimeout(t);
      reject(signal?.reason);
    }
    signal?.addEventListener("abort", abort, { once: true });
  });
}
