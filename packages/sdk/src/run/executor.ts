import { type CairnHttpError, CairnNetworkError } from "../client/errors.js";
import { type RawResponse, type Transport, errorFromResponse, seg } from "../client/http.js";
import { type BackoffOptions, DEFAULT_BACKOFF, backoffDelay, isRetryableStatus } from "./backoff.js";
import { batchToJson } from "./batch.js";
import type { Op } from "./ops.js";
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
  for (let attempt = 0; ; attempt++) {
    let error: Error;
    let retryAfter: number | undefined;
    try {
      const res = await request(o, op, signal);
      if (res.status < 300) return { kind: "ok" };
      // Creating a project that exists is what `init` expects on every run but the first.
      if (op.type === "project" && res.status === 409) return { kind: "ok" };
      const err = errorFromResponse(res);
      if (!isRetryableStatus(res.status)) return { kind: "rejected", error: err };
      error = err;
      retryAfter = err.retryAfterMs;
    } catch (err) {
      error = err instanceof Error ? err : new CairnNetworkError(String(err));
    }
    if (signal.aborted) return { kind: "unreachable", error };
    const now = Date.now();
    if (firstFailure === 0) firstFailure = now;
    if (now - firstFailure >= o.retryWindowMs) return { kind: "unreachable", error };
    o.onRetry?.(error);
    const wait = Math.min(backoffDelay(attempt, o.backoff ?? DEFAULT_BACKOFF, retryAfter), o.retryWindowMs - (now - firstFailure));
    await sleep(Math.max(wait, 0), signal);
    if (signal.aborted) return { kind: "unreachable", error };
  }
}
