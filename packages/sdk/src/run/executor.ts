import { type CairnHttpError, CairnNetworkError } from "../client/errors.js";
import { type RawResponse, type Transport, errorFromResponse, seg } from "../client/http.js";
import { type BackoffOptions, DEFAULT_BACKOFF, backoffDelay, isRetryableStatus } from "./backoff.js";
import { batchToJson } from "./batch.js";
import { type Op, opPoints } from "./ops.js";
import { sleep } from "./timers.js";

export type Outcome =
  | { kind: "ok" }
  /** A 4xx that retrying cannot fix: reported and dropped. */
  | { kind: "rejected"; error: CairnHttpError }
  /** Still failing after the retry window (or aborted): the caller spools the op. */
  | { kind: "unreachable"; error: Error };

export interface ExecutorOptions {
  transport: Transport;
  runId: string;
  /** Give up on an op (and let the caller spool it) after failing for this long. */
  retryWindowMs: number;
  backoff?: BackoffOptions;
  /** Called before each retry (for stats). */
  onRetry?: (error: Error) => void;
  /** Per-attempt timeout of an op (ms); default `requestTimeoutMs(op)`. */
  timeoutMs?: (op: Op) => number;
}

/**
 * How long one attempt of an op may wait for its answer: 10 s plus 2 ms per point (a full
 * 10,000-point batch: 30 s, the transport's old flat timeout). A response lost on a live
 * connection never arrives; with a flat 30 s every small batch that lost its answer held a
 * pipeline slot for 30 s. Proportional, a lost answer to a 100-point batch costs ~10 s on one
 * slot while the other slots keep sending, and a large batch on a slow server still has time.
 */
export function requestTimeoutMs(op: Op): number {
  return 10_000 + 2 * opPoints(op);
}

/** Sends one op over HTTP. */
function request(o: ExecutorOptions, op: Op, signal: AbortSignal): Promise<RawResponse> {
  const run = `/api/v1/runs/${seg(o.runId)}`;
  switch (op.type) {
    case "project":
      return o.transport.raw("POST", "/api/v1/projects", { json: { name: op.name }, signal });
    case "run":
      return o.transport.raw("POST", `/api/v1/projects/${seg(op.project)}/runs`, { json: op.body, signal });
    case "params":
      return o.transport.raw("POST", `${run}/params`, { json: { params: op.params }, signal });
    case "update":
      return o.transport.raw("PATCH", run, { json: op.body, signal });
    case "metrics":
      return o.transport.raw("POST", `${run}/metrics`, { body: batchToJson(op.batch), signal });
    case "predictions":
    case "labels":
      return o.transport.raw("POST", `/api/v1/projects/${seg(op.project)}/${op.type}`, { body: op.body, signal });
  }
}

/**
 * Sends an op until it succeeds, is rejected, or has failed for `retryWindowMs`.
 * Retries network faults, 408, 429 (honouring Retry-After) and 5xx with jittered
 * backoff; a retried metrics batch is safe because the server dedups on (run, key, step).
 */
export async function sendOp(o: ExecutorOptions, op: Op, signal: AbortSignal): Promise<Outcome> {
  let firstFailure = 0;
  // Escalates the backoff only for failures that look like an outage (refused, reset before
  // an answer, 5xx). A timed-out attempt has already waited its timeout: the server took the
  // connection, so the answer was more likely lost than the server gone, and it is retried at
  // once (the next attempt's own timeout bounds it) instead of after a growing wait.
  let attempt = 0;
  const timeoutMs = (o.timeoutMs ?? requestTimeoutMs)(op);
  for (;;) {
    let error: Error;
    let retryAfter: number | undefined;
    // The retry window counts from the start of the first failed attempt: a black-holed
    // request that times out after 30 s has already been failing for 30 s.
    const attemptStarted = Date.now();
    const timeout = AbortSignal.timeout(timeoutMs);
    let timedOut = false;
    try {
      const res = await request(o, op, AbortSignal.any([signal, timeout]));
      if (res.status < 300) return { kind: "ok" };
      // Creating a project that exists is what `init` expects on every run but the first.
      if (op.type === "project" && res.status === 409) return { kind: "ok" };
      const err = errorFromResponse(res);
      if (!isRetryableStatus(res.status)) return { kind: "rejected", error: err };
      error = err;
      retryAfter = err.retryAfterMs;
    } catch (err) {
      error = err instanceof Error ? err : new CairnNetworkError(String(err));
      timedOut = timeout.aborted && !signal.aborted;
    }
    if (signal.aborted) return { kind: "unreachable", error };
    const now = Date.now();
    if (firstFailure === 0) firstFailure = attemptStarted;
    if (now - firstFailure >= o.retryWindowMs) return { kind: "unreachable", error };
    o.onRetry?.(error);
    const wait = timedOut ? 0 : Math.min(backoffDelay(attempt++, o.backoff ?? DEFAULT_BACKOFF, retryAfter), o.retryWindowMs - (now - firstFailure));
    await sleep(Math.max(wait, 0), signal);
    if (signal.aborted) return { kind: "unreachable", error };
  }
}
