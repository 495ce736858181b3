import type { Features, PredictionOutput } from "@cairn/core";
import type { SdkErrorEvent } from "../run/reporter.js";

/** `monitor.logPrediction()`: one prediction of the monitored model version. */
export interface PredictionInput {
  /** A UUIDv7 of your own (e.g. the request id); generated when omitted. */
  id?: string;
  /** The model's input: a flat object of scalars (null = missing). Copied when logged: the object may be reused or changed afterwards. */
  features: Features;
  /** A class, a value, or a flat object of scalars. */
  output: PredictionOutput;
  /** Score of the positive class or a confidence. */
  score?: number;
  latencyMs?: number;
  /** Milliseconds since the epoch; the id's time when omitted. */
  timestamp?: number;
}

/** Ground truth: a class, a value or a flag. */
export type Label = number | string | boolean;

/** Options of `client.monitor()` (and, without `model`/`version`, of `model.monitor()`). */
export interface MonitorOptions {
  /** Default: the client's project, else `CAIRN_PROJECT`. */
  project?: string;
  /** Registered model name. */
  model: string;
  /** The version that makes these predictions. */
  version: number;
  /** Called (once per kind of problem) for dropped rows and server rejections; never throws into serving code. */
  onError?: (event: SdkErrorEvent) => void;
  /** Send buffered rows at least this often (ms). Default 1,000. */
  flushIntervalMs?: number;
  /** Rows per request. Default 5,000 (bodies are also kept under 8 MB). */
  maxBatchRows?: number;
  /** Rows held in memory (queued or being retried) before the rest goes to the spool, or, without a spool, new rows are dropped (and counted). Default 100,000. */
  maxBufferedRows?: number;
  /** How long a request is retried before the server counts as away and rows go to the spool (ms). Default 15,000. */
  retryWindowMs?: number;
  /** Parallel requests. Default 2. */
  concurrency?: number;
  /** How long `close()` and the exit hooks may take before spooling what is left (ms). Default 10,000. */
  flushDeadlineMs?: number;
  /** Node only: where rows wait while the server is away (`npx cairn sync` uploads them). Default `CAIRN_SPOOL_DIR`, else `~/.cairn/spool`; `false`: no spool. */
  spoolDir?: string | false;
}

/** Counters of a monitor since it was created (predictions and labels together, in rows). */
export interface MonitorStats {
  /** Rows accepted by logPrediction/logLabel. */
  logged: number;
  /** Rows acknowledged by the server. */
  sent: number;
  /** Rows written to the disk spool (they may have been uploaded since). */
  spooled: number;
  /** Rows dropped: invalid, refused by the server (4xx), or over `maxBufferedRows` without a spool. */
  dropped: number;
  /** Request retries. */
  retries: number;
  /** Calls of a wrapped function that threw (nothing is logged for them). */
  errors: number;
}

/** Options of `monitor.wrap()`. */
export interface WrapOptions<A extends unknown[], R> {
  /** The features of a call; default: its first argument. */
  features?: (...args: A) => Features;
  /** What to log as the output; default: the result itself. */
  output?: (result: Awaited<R>, ...args: A) => PredictionOutput;
  /** A score to log from the result. */
  score?: (result: Awaited<R>, ...args: A) => number | undefined;
  /** Your own prediction id for a call (a UUIDv7); generated when omitted. */
  id?: (...args: A) => string | undefined;
  /** Told the id of each logged prediction (to hand back to the caller for labels later). */
  onLogged?: (id: string, result: Awaited<R>, ...args: A) => void;
}
