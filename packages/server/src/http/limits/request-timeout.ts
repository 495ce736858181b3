import type { Context, MiddlewareHandler } from "hono";
import { UnavailableError } from "../errors.js";

export type RequestTimeoutOptions = {
  /** Longest a handler may take to produce its response. */
  ms: number;
  /**
   * Requests given no deadline: uploads whose duration follows their size and the client's
   * bandwidth (artifacts). Streamed responses (exports) need no exemption: the clock stops
   * once the handler returns the Response, not when its body finishes.
   */
  exempt?: (c: Context) => boolean;
};

export type TimeoutEnv = { Variables: { timeoutSignal: AbortSignal } };

/**
 * Answers 503 `unavailable` (with Retry-After) when a handler overruns, so a stuck query holds
 * a client for a bounded time. JavaScript cannot stop a running handler; it gets an AbortSignal
 * (`timeoutSignal(c)`) to stop its own work (cancel a query, end a loop) when the deadline passes.
 *
 * Not hono/timeout: its exception must be an HTTPException, which our onError maps by status
 * alone (503 → `internal`), and it offers the handler no signal.
 */
export function requestTimeout({ ms, exempt }: RequestTimeoutOptions): MiddlewareHandler<TimeoutEnv> {
  if (!Number.isFinite(ms) || ms <= 0) throw new RangeError(`ms must be > 0, got ${ms}`);
  const limit = ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
  return async function requestTimeoutMiddleware(c, next) {
    if (exempt?.(c)) return next();
    const controller = new AbortController();
    c.set("timeoutSignal", controller.signal);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new UnavailableError(`the request took longer than ${limit} and was abandoned`);
        controller.abort(err);
        reject(err);
      }, ms);
    });
    try {
      // next() never rejects (Hono's compose turns a handler's throw into c.res via onError),
      // so whichever settles first decides the response.
      await Promise.race([next(), deadline]);
    } finally {
      clearTimeout(timer);
    }
  };
}

/** The deadline signal set by requestTimeout, if it runs for this request. */
export function timeoutSignal(c: Context): AbortSignal | undefined {
  return (c as Context<TimeoutEnv>).get("timeoutSignal");
}
