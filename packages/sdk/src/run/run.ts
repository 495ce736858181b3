import { type Artifact, type DatasetVersion, type ModelVersion, KEY_PATTERN, MAX_KEY_LENGTH, MAX_STEP, Params, TagUpdates } from "@cairn/core";
import type { ArtifactsApi } from "../artifacts/client.js";
import { type LogArtifactOptions, type LogArtifactsOptions, RunArtifacts } from "../artifacts/run-artifacts.js";
import type { TransferOptions } from "../artifacts/types.js";
import { CairnError } from "../client/errors.js";
import type { DatasetsApi } from "../datasets/client.js";
import { RunDatasets } from "../datasets/run-datasets.js";
import type { LogDatasetOptions } from "../datasets/types.js";
import type { ModelsApi, RegisterOptions } from "../models/client.js";
import { MetricBuffer } from "./buffer.js";
import type { Op } from "./ops.js";
import type { Reporter } from "./reporter.js";
import type { RunStats } from "./sender.js";

/** Options of `run.log()`. */
export interface LogOptions {
  /**
   * Integer ≥ 0. When omitted, the call gets (highest step used so far in this run) + 1,
   * or 0 for the first call; every metric in one call shares the step.
   */
  step?: number;
  /** Milliseconds since the epoch; `Date.now()` when omitted. */
  timestamp?: number;
}

/** Final status given to `finish()`. */
export type FinishStatus = "finished" | "failed" | "killed";

/** What a run needs from whatever carries its ops to the server (or nowhere, in benchmarks). */
export interface RunDriver {
  enqueue(op: Op): void;
  /** Sends or spools everything enqueued so far. */
  flush(): Promise<void>;
  /** Flushes, sets the final status and stops background work. */
  finish(status: FinishStatus): Promise<void>;
}

export interface RunInit {
  id: string;
  project: string;
  url: string;
  maxBatchPoints: number;
  reporter: Reporter;
  stats: RunStats;
  driver: RunDriver;
  /** Where artifact uploads go; without it the artifact methods reject. */
  artifacts?: ArtifactsApi;
  /** Where dataset versions go; without it logDataset rejects. */
  datasets?: DatasetsApi;
  /** Where model versions go; without it (offline runs) registerModel rejects. */
  models?: ModelsApi;
  /** How long finish() waits for pending artifact uploads (ms). Default 30,000. */
  flushDeadlineMs?: number;
  /** The params the run is created with. */
  params?: Params;
  /** Param keys fixed by `cairn rerun` (CAIRN_PARAMS): the script's own values for them are ignored. */
  fixedParams?: ReadonlySet<string>;
}

/** Bounded so a script logging a new key every step cannot grow it forever. */
const MAX_CACHED_KEYS = 10_000;

/**
 * A live run, returned by `init()`. Logging calls return at once and never throw for
 * network faults: data is batched and sent in the background, retried, and spooled to
 * disk when the server is away.
 */
export class RunHandle {
  /** The run's id (a client-generated UUIDv7, valid even before the server has seen it). */
  readonly id: string;
  /** Project name. */
  readonly project: string;
  /** Link to the run in the web UI. */
  readonly url: string;

  private readonly buffer: MetricBuffer;
  private readonly reporter: Reporter;
  private readonly counters: RunStats;
  private readonly driver: RunDriver;
  private readonly validKeys = new Set<string>();
  private maxStep = -1;
  private finishing: Promise<void> | undefined;
  private readonly currentParams: Params;
  private readonly fixedParams: ReadonlySet<string>;
  private readonly finishHooks: (() => void)[] = [];
  private readonly uploads: RunArtifacts | undefined;
  private readonly datasets: RunDatasets | undefined;
  private readonly flushDeadlineMs: number;
  private readonly models: ModelsApi | undefined;

  /** @internal Use `init()`. */
  constructor(init: RunInit) {
    this.id = init.id;
    this.project = init.project;
    this.url = `${init.url}/projects/${encodeURIComponent(init.project)}/runs/${init.id}`;
    this.reporter = init.reporter;
    this.counters = init.stats;
    this.driver = init.driver;
    this.currentParams = { ...init.params };
    this.fixedParams = init.fixedParams ?? new Set();
    this.buffer = new MetricBuffer(init.maxBatchPoints);
    this.buffer.onSeal = (batch) => this.driver.enqueue({ type: "metrics", batch });
    this.flushDeadlineMs = init.flushDeadlineMs ?? 30_000;
    this.models = init.models;
    if (init.artifacts) this.uploads = new RunArtifacts(this.id, init.artifacts, this.reporter, () => this.flush());
    if (init.datasets) {
      // Uploads go straight to RunArtifacts: finish() waits for datasets, which may still be uploading.
      const logArtifact = (localPath: string, path: string) =>
        this.uploads ? this.uploads.logArtifact(localPath, { path }) : Promise.reject(new CairnError("upload: this run has no server to upload to"));
      this.datasets = new RunDatasets({ runId: this.id, project: this.project, api: init.datasets, reporter: this.reporter, flushRun: () => this.driver.flush(), logArtifact });
    }
  }

  /**
   * Records metric values at one step. Synchronous and cheap (no I/O, no allocation per
   * point). NaN and ±Infinity are kept. Invalid keys and non-number values are dropped
   * with one warning per key (console.warn and `onError`).
   *
   * @example run.log({ loss: 0.31, "val/acc": 0.92 }, { step: epoch })
   */
  log(metrics: Readonly<Record<string, number>>, opts?: LogOptions): void {
    if (this.finishing) return this.misuse("log() after finish()");
    let step: number;
    if (opts !== undefined && opts.step !== undefined) {
      step = opts.step;
      if (!Number.isInteger(step) || step < 0 || step > MAX_STEP) {
        this.dropCall(metrics, `invalid step ${String(step)} (must be an integer >= 0)`, "step");
        return;
      }
    } else step = this.maxStep + 1;
    let ts: number;
    if (opts !== undefined && opts.timestamp !== undefined) {
      ts = Math.floor(opts.timestamp);
      if (!(ts >= 0 && ts <= 8.64e15)) {
        this.dropCall(metrics, `invalid timestamp ${String(opts.timestamp)} (milliseconds since the epoch)`, "timestamp");
        return;
      }
    } else ts = Date.now();
    if (this.push(metrics, step, ts) > 0 && step > this.maxStep) this.maxStep = step;
  }

  /** @internal Logs at an explicit step without moving the automatic step (system metrics). */
  logAside(metrics: Readonly<Record<string, number>>, step: number): void {
    if (!this.finishing) this.push(metrics, step, Date.now());
  }

  private push(metrics: Readonly<Record<string, number>>, step: number, ts: number): number {
    let n = 0;
    for (const key in metrics) {
      const value = metrics[key];
      if (typeof value !== "number") {
        this.dropPoint(key, `value of "${key}" is ${typeof value}, not a number`, "value");
        continue;
      }
      if (!this.validKeys.has(key) && !this.admitKey(key)) continue;
      this.buffer.push(key, value, step, ts);
      n++;
    }
    this.counters.logged += n;
    return n;
  }

  /**
   * The run's params: those given to `init()` (under `cairn rerun`, the recorded run's
   * params with the `--set` overrides) and those logged since. Read the values your script
   * uses from here, so a rerun can change them.
   *
   * @example const lr = Number(run.params.lr ?? 0.01);
   */
  get params(): Readonly<Params> {
    return { ...this.currentParams };
  }

  /** Logs params (immutable: a key logged again must have the same value). Invalid params are reported, not thrown. */
  logParams(params: Params): void {
    if (this.finishing) return this.misuse("logParams() after finish()");
    const parsed = Params.safeParse(params);
    if (!parsed.success) return this.reporter.report(`params:${parsed.error.message}`, { error: new CairnError(`invalid params: ${parsed.error.message}`), op: "logParams()" });
    // Under `cairn rerun` the recorded values (and --set overrides) were sent at creation and win.
    const fresh: Params = {};
    for (const [k, v] of Object.entries(parsed.data)) if (!this.fixedParams.has(k)) fresh[k] = v;
    Object.assign(this.currentParams, fresh);
    if (Object.keys(fresh).length > 0) this.driver.enqueue({ type: "params", params: fresh });
  }

  /** Sets tags (a string sets, null removes). Applied in call order. */
  setTags(tags: Record<string, string | null>): void {
    if (this.finishing) return this.misuse("setTags() after finish()");
    const parsed = TagUpdates.safeParse(tags);
    if (!parsed.success) return this.reporter.report(`tags:${parsed.error.message}`, { error: new CairnError(`invalid tags: ${parsed.error.message}`), op: "setTags()" });
    this.driver.enqueue({ type: "update", body: { tags: parsed.data } });
  }

  /** Replaces the run's notes (Markdown). */
  setNotes(notes: string): void {
    if (this.finishing) return this.misuse("setNotes() after finish()");
    this.driver.enqueue({ type: "update", body: { notes: String(notes) } });
  }

  /**
   * Uploads a file as an artifact of this run (path: `opts.path`, default the file's name).
   * Streams from disk; content the server already has is not sent again. Not awaited, a
   * failure is reported (console.warn + `onError`) and `finish()` waits for the upload;
   * awaited, a permanent failure rejects with the typed error. Node only.
   *
   * @example await run.logArtifact("model.onnx", { path: "models/model.onnx" })
   */
  logArtifact(localPath: string, opts?: LogArtifactOptions): Promise<Artifact> {
    return this.artifactCall("logArtifact()", (u) => u.logArtifact(localPath, opts));
  }

  /** Uploads every file below `dir` (recursively, under `opts.prefix`), except what `opts.ignore` matches. */
  logArtifacts(dir: string, opts?: LogArtifactsOptions): Promise<Artifact[]> {
    return this.artifactCall("logArtifacts()", (u) => u.logArtifacts(dir, opts));
  }

  /** Stores `value` as pretty-printed JSON at artifact `path`. */
  logJSON(path: string, value: unknown, opts?: TransferOptions & { overwrite?: boolean }): Promise<Artifact> {
    return this.artifactCall("logJSON()", (u) => u.logJSON(path, value, opts));
  }

  /** Stores `text` (UTF-8) at artifact `path`. */
  logText(path: string, text: string, opts?: TransferOptions & { mediaType?: string; overwrite?: boolean }): Promise<Artifact> {
    return this.artifactCall("logText()", (u) => u.logText(path, text, opts));
  }

  /**
   * Records a dataset this run reads, as a version of dataset `name` in the project: the
   * digest, row count, schema and profile are computed locally (files are streamed, so
   * they may be larger than memory) and only those are sent, unless `upload: true` also
   * stores the data as an artifact. The same data gives the same version. Rejects with a
   * clear error for bad input (a ragged CSV names its line); `finish()` waits for it. Node only.
   *
   * @example await run.logDataset({ name: "census", data: "data/train.csv", role: "train" })
   */
  logDataset(opts: LogDatasetOptions): Promise<DatasetVersion> {
    return this.datasetCall("logDataset()", opts, "input");
  }

  /** Like `logDataset`, for data this run produces (role default `output`). */
  logOutputDataset(opts: LogDatasetOptions): Promise<DatasetVersion> {
    return this.datasetCall("logOutputDataset()", opts, "output");
  }

  /**
   * Registers a version of model `name` in this run's project from one of this run's
   * artifacts (a file, or a folder: every file below it). Waits first for the run's pending
   * uploads and datasets and sends its buffered metrics, so the version's files, training
   * datasets and metrics snapshot (the defaults) are what the script logged. Rejects with
   * the typed error (unlike the logging calls): a model that was not registered must not
   * go unnoticed.
   *
   * @example
   * await run.logArtifact("model.json", { path: "model/model.json" });
   * const v = await run.registerModel("churn", "model/model.json", { framework: "tfjs" });
   */
  async registerModel(name: string, artifactPath: string, opts: Omit<RegisterOptions, "name" | "runId" | "artifactPath" | "project"> = {}): Promise<ModelVersion> {
    if (!this.models) throw new CairnError("registerModel(): this run has no server to register models with (an offline run: upload it with `cairn sync`, then use client.models.register)");
    // No deadline: registering before a large upload has finished would freeze a partial folder.
    const forever = 2 ** 31 - 1;
    await this.datasets?.settle(forever);
    await this.uploads?.settle(forever);
    await this.flush();
    return this.models.register({ ...opts, name, runId: this.id, artifactPath, project: this.project });
  }

  /**
   * Resolves once everything logged so far is acknowledged by the server or safely in
   * the disk spool. Never rejects.
   */
  async flush(): Promise<void> {
    this.buffer.seal();
    await this.driver.flush();
  }

  /**
   * Flushes everything, then sets the final status (default `finished`). Resolves even
   * when the server is down (within `flushDeadlineMs`): what could not be sent is left in
   * the spool, to upload with `npx cairn sync`. Calling it again returns the same promise.
   */
  finish(opts: { status?: FinishStatus } = {}): Promise<void> {
    if (!this.finishing) {
      for (const hook of this.finishHooks.splice(0)) hook();
      this.buffer.seal();
      const uploads = this.uploads;
      const status = opts.status ?? "finished";
      const datasets = this.datasets ? this.datasets.settle(this.flushDeadlineMs) : Promise.resolve();
      this.finishing = datasets.then(() => (uploads ? uploads.settle(this.flushDeadlineMs).then(() => this.driver.finish(status)) : this.driver.finish(status)));
    }
    return this.finishing;
  }

  /** Counters since `init()`: points logged, sent, spooled, dropped, and request retries. */
  stats(): RunStats {
    return { ...this.counters };
  }

  /** @internal Runs `hook` when finish() starts (stops the system sampler). */
  onFinish(hook: () => void): void {
    this.finishHooks.push(hook);
  }

  /** @internal Seals the partial batch (flush timer and exit hooks). */
  sealBuffer(): void {
    this.buffer.seal();
  }

  /** @internal True once finish() has started. */
  get finished(): boolean {
    return this.finishing !== undefined;
  }

  private admitKey(key: string): boolean {
    if (key.length === 0 || key.length > MAX_KEY_LENGTH || !KEY_PATTERN.test(key)) {
      this.dropPoint(key, `invalid metric key "${key.slice(0, 80)}" (1..${MAX_KEY_LENGTH} characters: letters, digits, spaces and _ - . / :)`, "key");
      return false;
    }
    if (this.validKeys.size >= MAX_CACHED_KEYS) this.validKeys.clear();
    this.validKeys.add(key);
    return true;
  }

  private dropPoint(key: string, message: string, what: string): void {
    this.counters.dropped++;
    this.reporter.report(`${what}:${key}`, { error: new CairnError(message), op: "log()", key, points: 1 });
  }

  private dropCall(metrics: Readonly<Record<string, number>>, message: string, what: string): void {
    const points = Object.keys(metrics).length;
    this.counters.dropped += points;
    this.reporter.report(`${what}:${message}`, { error: new CairnError(message), op: "log()", points });
  }

  private datasetCall(what: string, opts: LogDatasetOptions, direction: "input" | "output"): Promise<DatasetVersion> {
    if (this.finishing || !this.datasets) {
      const error = new CairnError(this.finishing ? `${what} after finish() is ignored` : `${what}: this run has no server to send datasets to`);
      this.reporter.report(`misuse:${what}`, { error, op: what });
      const rejected = Promise.reject(error);
      rejected.catch(() => {}); // reported above; must not become an unhandled rejection when not awaited
      return rejected;
    }
    return this.datasets.log(opts, direction);
  }

  private artifactCall<T>(what: string, call: (u: RunArtifacts) => Promise<T>): Promise<T> {
    if (this.finishing || !this.uploads) {
      const error = new CairnError(this.finishing ? `${what} after finish() is ignored` : `${what}: this run has no server to upload to`);
      this.reporter.report(`misuse:${what}`, { error, op: what });
      const rejected = Promise.reject(error);
      rejected.catch(() => {}); // reported above; must not become an unhandled rejection when not awaited
      return rejected;
    }
    return call(this.uploads);
  }

  private misuse(what: string): void {
    this.reporter.report(`misuse:${what}`, { error: new CairnError(`${what} is ignored`), op: what });
  }
}
