import { CreateRun, ProjectName, isUuidV7, uuidv7, type Params } from "@cairn/core";
import { ArtifactsApi } from "../artifacts/client.js";
import { DatasetsApi } from "../datasets/client.js";
import { ModelsApi } from "../models/client.js";
import { CairnError } from "../client/errors.js";
import { Transport } from "../client/http.js";
import { isNode, readEnv, stripSlash } from "../config.js";
import { type CaptureOptions, DIFF_ARTIFACT, mergeParams, parseRerunEnv } from "../reproducibility/options.js";
import type { RunSpool } from "../spool/types.js";
import { type ExitHooks, LiveDriver } from "./driver.js";
import { Reporter, type SdkErrorEvent } from "./reporter.js";
import { RunHandle } from "./run.js";
import { type RunStats, Sender } from "./sender.js";

/** Options of `init()`. Defaults come from `CAIRN_*` environment variables where noted. */
export interface InitOptions {
  /** Project name; created when missing. Default `CAIRN_PROJECT`. */
  project?: string;
  /** Run name (shown in the UI). */
  name?: string;
  /** Initial params (immutable once set). */
  params?: Params;
  tags?: Record<string, string>;
  notes?: string;
  /** Client-chosen run id (a UUIDv7); resuming with the same id is idempotent. Generated when omitted. */
  id?: string;
  /** Parent run id (for sweeps and nested runs). */
  parent?: string;
  /** Server URL. Default `CAIRN_URL`, else `http://127.0.0.1:8642`. */
  url?: string;
  /** Default `CAIRN_API_KEY`. */
  apiKey?: string;
  /** `offline` writes only to the spool (upload later with `npx cairn sync`). Default `online`. */
  mode?: "online" | "offline";
  /** Node only. Default `CAIRN_SPOOL_DIR`, else `~/.cairn/spool`. */
  spoolDir?: string;
  /** Called (once per kind of problem) for dropped data and server rejections; never throws into your code. */
  onError?: (event: SdkErrorEvent) => void;
  /** Send buffered points at least this often (ms). Default 1000. */
  flushIntervalMs?: number;
  /** Points per request, at most 10,000 (the default). */
  maxBatchPoints?: number;
  /** Parallel metric requests. Default 4. */
  concurrency?: number;
  /** How long `finish()` and the exit hooks may take before spooling what is left (ms). Default 30,000. */
  flushDeadlineMs?: number;
  /** Default 30,000 ms; 0 disables heartbeats. */
  heartbeatIntervalMs?: number;
  /** Points held in memory before spilling to the spool. Default 1,000,000. */
  maxBufferedPoints?: number;
  /**
   * Cap of the run's disk spool in bytes. Default 1 GiB (a 10-minute outage at 10,000 points/s
   * takes ~300 MB). Past it, new points are dropped, never silently: a warning, `onError`,
   * `run.stats().dropped`, and a line at exit.
   */
  maxSpoolBytes?: number;
  /** How long a request is retried before the server counts as away and data goes to the spool (ms). Default 15,000. */
  retryWindowMs?: number;
  /**
   * What to record about the code and the machine (git commit/branch/remote/dirty diff,
   * entry script and argv, Node/OS/CPU/memory, package and lockfile, allowlisted environment
   * variables). On by default in Node; `false` turns all of it off, or opt out per item:
   * `{ git: false, env: false }`. Never throws and never waits longer than `timeoutMs`.
   */
  capture?: boolean | CaptureOptions;
  /** More environment variables to record (names that look like secrets are refused anyway). */
  captureEnv?: string[];
  /** The random seed the script uses: recorded in the run's environment and as param `seed` (unless params set one). */
  seed?: number | string;
  /**
   * Logs `system/*` metrics (CPU, memory, event-loop lag, GPUs via nvidia-smi) every 10 s,
   * or every `intervalMs`. Node only; off by default.
   */
  system?: boolean | { intervalMs?: number };
}

const INIT_WAIT_MS = 5_000;

function positive(name: string, v: number | undefined, dflt: number, allowZero = false): number {
  if (v === undefined) return dflt;
  if (!Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) throw new CairnError(`init: ${name} must be a ${allowZero ? "non-negative" : "positive"} number`);
  return v;
}

/**
 * Starts a run. Creates the project when missing and the run (with a client-generated
 * UUIDv7, so retries are idempotent). Never throws for server or network problems: when
 * the server is unreachable the run starts anyway and its creation is queued (and spooled).
 * Throws only for invalid arguments.
 *
 * @example
 * const run = await init({ project: "mnist", params: { lr: 0.01 } });
 * for (let epoch = 0; epoch < 50; epoch++) run.log({ loss }, { step: epoch });
 * await run.finish();
 */
export async function init(opts: InitOptions = {}): Promise<RunHandle> {
  const env = readEnv();
  const project = opts.project ?? env.project;
  if (project === undefined) throw new CairnError("init: `project` is required (or set CAIRN_PROJECT)");
  const pn = ProjectName.safeParse(project);
  if (!pn.success) throw new CairnError(`init: invalid project name "${project}": ${pn.error.issues[0]?.message ?? "invalid"}`);
  if (opts.id !== undefined && !isUuidV7(opts.id)) throw new CairnError("init: `id` must be a UUIDv7");
  const offline = opts.mode === "offline";
  if (opts.mode !== undefined && opts.mode !== "online" && !offline) throw new CairnError('init: `mode` must be "online" or "offline"');
  if (offline && !isNode()) throw new CairnError("init: offline mode needs the disk spool, which is available in Node only");
  const id = opts.id ?? uuidv7();
  const startedAt = Date.now();
  const seed = opts.seed;
  if (seed !== undefined && !(typeof seed === "string" || (typeof seed === "number" && Number.isFinite(seed)))) throw new CairnError("init: `seed` must be a finite number or a string");
  if (opts.captureEnv !== undefined && !(Array.isArray(opts.captureEnv) && opts.captureEnv.every((n) => typeof n === "string"))) throw new CairnError("init: `captureEnv` must be an array of variable names");
  const systemIntervalMs = opts.system ? positive("system.intervalMs", opts.system === true ? undefined : opts.system.intervalMs, 10_000) : undefined;
  const rerun = parseRerunEnv(env.rerunOf, env.rerunParams);
  const params = mergeParams(opts.params, seed, rerun.params);
  let captured: import("../reproducibility/capture.js").Captured = {};
  if (isNode() && opts.capture !== false) {
    const { captureRun } = await import("../reproducibility/capture.js");
    captured = await captureRun(opts.capture === true ? {} : opts.capture, opts.captureEnv);
  }
  // An offline run cannot upload the diff now; don't point at an artifact that never comes.
  if (offline && captured.source?.diffArtifact) {
    const { diffArtifact: _d, diffTruncated: _t, ...rest } = captured.source;
    captured = { ...captured, source: rest, diff: undefined };
  }
  // Under `cairn rerun` a recorded or --set `seed` param wins over the script's own seed (as all params do).
  const rerunSeed = rerun.params?.seed;
  const effectiveSeed = typeof rerunSeed === "number" || typeof rerunSeed === "string" ? rerunSeed : seed;
  const environment = effectiveSeed === undefined ? captured.environment : { ...captured.environment, seed: effectiveSeed };
  const body = CreateRun.safeParse({
    id,
    name: opts.name,
    parentId: opts.parent,
    tags: opts.tags,
    params,
    notes: opts.notes,
    startedAt,
    source: captured.source,
    environment,
    retrainedFrom: rerun.rerunOf,
  });
  if (!body.success) {
    const issue = body.error.issues[0];
    throw new CairnError(`init: invalid ${issue?.path.join(".") ?? "options"}: ${issue?.message ?? "invalid"}`);
  }
  const maxBatchPoints = positive("maxBatchPoints", opts.maxBatchPoints, 10_000);
  const cfg = {
    flushIntervalMs: positive("flushIntervalMs", opts.flushIntervalMs, 1_000),
    concurrency: Math.floor(positive("concurrency", opts.concurrency, 4)),
    flushDeadlineMs: positive("flushDeadlineMs", opts.flushDeadlineMs, 30_000, true),
    heartbeatIntervalMs: positive("heartbeatIntervalMs", opts.heartbeatIntervalMs, 30_000, true),
    maxBufferedPoints: positive("maxBufferedPoints", opts.maxBufferedPoints, 1_000_000),
    retryWindowMs: positive("retryWindowMs", opts.retryWindowMs, 15_000, true),
  };

  const url = stripSlash(opts.url ?? env.url);
  const apiKey = opts.apiKey ?? env.apiKey;
  const transport = new Transport({ url, apiKey });
  // Background requests (ops, probes, heartbeats) never hold a Node process open: see BackgroundTransport.
  let background = transport;
  let probeTransport = new Transport({ url, apiKey, timeoutMs: 3_000 });
  if (isNode() && url !== "") {
    const { BackgroundTransport } = await import("../node/background-transport.js");
    background = new BackgroundTransport({ url, apiKey });
    probeTransport = new BackgroundTransport({ url, apiKey, timeoutMs: 3_000 });
  }
  const reporter = new Reporter(opts.onError);
  const stats: RunStats = { logged: 0, sent: 0, spooled: 0, dropped: 0, retries: 0 };

  // Node-only parts are loaded lazily so a browser bundle never pulls in node: modules.
  let spool: RunSpool | undefined;
  let exitHooks: ExitHooks | undefined;
  if (isNode()) {
    const spoolDir = opts.spoolDir ?? env.spoolDir;
    if (spoolDir) {
      const fsSpool = await import("../spool/fs-spool.js");
      spool = fsSpool.openRunSpool(spoolDir, { version: 1, url, project, runId: id, createdAt: new Date(startedAt).toISOString() }, { maxBytes: positive("maxSpoolBytes", opts.maxSpoolBytes, 1024 ** 3) });
    }
    exitHooks = await import("../node/exit-hooks.js");
  }
  if (offline && !spool) throw new CairnError("init: offline mode needs a spool directory (spoolDir or CAIRN_SPOOL_DIR)");

  const sender = new Sender({ transport: background, probeTransport, runId: id, spool, offline, reporter, stats, ...cfg });
  const driver = new LiveDriver({ sender, transport: background, runId: id, spool, reporter, offline, exitHooks, ...cfg });
  const artifacts = new ArtifactsApi(transport, { url, apiKey });
  const fixedParams = new Set(Object.keys(rerun.params ?? {}));
  const run = new RunHandle({ id, project, url, maxBatchPoints, reporter, stats, driver, artifacts, datasets: new DatasetsApi(transport), ...(offline ? {} : { models: new ModelsApi(transport, { url, apiKey }, project) }), flushDeadlineMs: cfg.flushDeadlineMs, params: body.data.params ?? {}, fixedParams });
  sender.enqueue({ type: "project", name: project });
  const runSeq = sender.enqueue({ type: "run", project, body: body.data });
  driver.start(run);
  if (!offline) await driver.waitForCreate(runSeq, INIT_WAIT_MS);
  // Only when the server has the run: with the server away an upload would hold finish() and
  // the process for its own retry window. Not awaited: a failure is reported, finish() waits.
  const created = !offline && !sender.isDegraded && !sender.isPending(runSeq);
  if (captured.diff && created) void run.logText(DIFF_ARTIFACT, captured.diff.text, { mediaType: "text/x-diff" });
  if (systemIntervalMs !== undefined && isNode()) {
    const { SystemSampler } = await import("../system/sampler.js");
    const sampler = new SystemSampler((metrics, o) => run.logAside(metrics, o.step), systemIntervalMs);
    run.onFinish(() => sampler.stop());
  }
  return run;
}
