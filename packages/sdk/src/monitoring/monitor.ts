import { isUuidV7, type LabelIn } from "@cairn/core";
import { CairnError } from "../client/errors.js";
import type { ExitHooks, ExitParticipant } from "../run/driver.js";
import type { Op } from "../run/ops.js";
import type { Reporter } from "../run/reporter.js";
import type { Sender } from "../run/sender.js";
import type { RunStats } from "../run/stats.js";
import { keepAlive, sleep, unref } from "../run/timers.js";
import type { RunSpool } from "../spool/types.js";
import { PredictionColumns } from "./columns.js";
import { type EncodedBatch, encodeBodies, labelProblem, MAX_BODY_BYTES, splitEncode } from "./rows.js";
import type { Label, MonitorStats, PredictionInput, WrapOptions } from "./types.js";
import { UuidV7Source } from "./uuid.js";
import { wrapPredict } from "./wrap.js";

/** What a monitor runs on, once the Node-only parts (spool, exit hooks) are loaded. */
export interface MonitorBackend {
  sender: Sender;
  spool: RunSpool | undefined;
  exitHooks: ExitHooks | undefined;
}

export interface MonitorInit {
  id: string;
  project: string;
  model: string;
  version: number;
  reporter: Reporter;
  stats: RunStats;
  maxBatchRows: number;
  flushIntervalMs: number;
  flushDeadlineMs: number;
  maxBufferedRows: number;
  backend: Promise<MonitorBackend>;
}

const schedule: (fn: () => void) => void = typeof setImmediate === "function" ? (fn) => setImmediate(fn) : (fn) => setTimeout(fn, 0);
/** Sealed batches waiting to be encoded; past this many the encoding runs at once (a tight loop that never yields). */
const MAX_SEALED = 4;
/** A batch is sealed once its body would pass this (leaving room for the row that tips it over). */
const SEAL_BYTES = MAX_BODY_BYTES - 1_000_000;
/** Emptied batches kept for reuse (their typed arrays), beyond the one being filled. */
const SPARE_BATCHES = 2;

/**
 * Logs a model version's predictions and labels from serving code. `logPrediction()` only
 * stores a row and returns its id; batches are encoded and sent in the background (retried,
 * spooled to disk while the server is away, flushed on `close()` and at process exit).
 * Nothing here throws into serving code for a network fault.
 */
export class Monitor implements ExitParticipant {
  /** This monitor's own id (names its spool folder). */
  readonly id: string;
  readonly project: string;
  readonly model: string;
  readonly version: number;

  private readonly ids = new UuidV7Source();
  /** The predictions being logged, already in columns. */
  private batch: PredictionColumns;
  private spare: PredictionColumns[] = [];
  private labels: LabelIn[] = [];
  private sealed: Array<{ predictions?: PredictionColumns; labels?: LabelIn[] }> = [];
  private encodeScheduled = false;
  private errors = 0;
  private closing: Promise<void> | undefined;
  private backend: MonitorBackend | undefined;
  /** Ops made before the backend was ready (the first milliseconds), and their rows. */
  private early: Op[] = [];
  private earlyRows = 0;
  /** The backend could not start: rows are dropped (and counted). */
  private failed = false;
  private readonly ready: Promise<void>;
  private readonly timer: ReturnType<typeof setInterval>;

  /** @internal Use `client.monitor()` or `model.monitor()`. */
  constructor(private readonly o: MonitorInit) {
    this.id = o.id;
    this.project = o.project;
    this.model = o.model;
    this.version = o.version;
    this.batch = new PredictionColumns(o.maxBatchRows);
    this.ready = o.backend.then(
      (b) => {
        this.backend = b;
        for (const op of this.early.splice(0)) b.sender.enqueue(op);
        this.earlyRows = 0;
        if (!this.closing) b.exitHooks?.register(this);
      },
      (err: unknown) => {
        this.failed = true;
        this.o.reporter.report("monitor-start", { error: err instanceof Error ? err : new Error(String(err)), op: "start monitor" });
        this.dropEarly();
      },
    );
    this.timer = unref(setInterval(() => this.seal(), o.flushIntervalMs));
  }

  /**
   * Logs one prediction and returns its id (a UUIDv7) at once: keep it to attach a label
   * later. The row is copied into the batch's columns now (the objects passed may be reused
   * afterwards). Never throws; a row the server would refuse is dropped at once and reported
   * through `onError` (once per kind of problem).
   */
  logPrediction(p: PredictionInput): string {
    if (p === null || typeof p !== "object") {
      const id = this.ids.next();
      this.drop(1, "logPrediction() takes an object { features, output, ... }", "input");
      return id;
    }
    const given = p.id;
    if (given !== undefined && !(typeof given === "string" && isUuidV7(given))) {
      this.o.stats.logged++;
      this.drop(1, "prediction dropped: id must be a UUIDv7", "invalid-predictions:id");
      return given;
    }
    if (this.closing) {
      this.drop(1, "logPrediction() after close() is ignored", "closed");
      return given ?? this.ids.next();
    }
    this.o.stats.logged++;
    const b = this.batch;
    let id: string;
    try {
      id = b.add(p, this.ids);
    } catch {
      // A getter of the caller's objects threw: the row is dropped, serving code carries on.
      b.problem = "features or output could not be read";
      id = given ?? this.ids.next();
    }
    if (b.problem !== undefined) {
      const why = b.problem;
      b.problem = undefined;
      this.drop(1, `prediction dropped: ${why}`, `invalid-predictions:${why}`);
      return id;
    }
    if (b.n >= this.o.maxBatchRows || b.bytes >= SEAL_BYTES) this.seal();
    return id;
  }

  /** Logs the ground truth of a prediction (by the id logPrediction returned); batched like predictions. */
  logLabel(predictionId: string, label: Label, timestamp?: number): void {
    if (this.closing) return this.drop(1, "logLabel() after close() is ignored", "closed");
    this.labels.push(timestamp === undefined ? { predictionId, label } : { predictionId, label, timestamp });
    this.o.stats.logged++;
    if (this.labels.length >= this.o.maxBatchRows) this.seal();
  }

  /**
   * Wraps a predict function: the returned function has the same signature (sync or async),
   * times each call and logs its features (the first argument, or `features(...args)`) and
   * output (the result, or `output(result)`), returning the result untouched. A call that
   * throws (or rejects) rethrows to the caller and logs nothing; `stats().errors` counts it.
   */
  wrap<A extends unknown[], R>(predict: (...args: A) => R, opts: WrapOptions<A, R> = {}): (...args: A) => R {
    return wrapPredict(this, predict, opts, () => this.errors++);
  }

  /** Resolves once everything logged so far is acknowledged or safely in the spool (bounded by `flushDeadlineMs`). Never rejects. */
  async flush(): Promise<void> {
    this.seal();
    this.encodeNow();
    await this.ready;
    const b = this.backend;
    if (!b) return;
    const target = b.sender.lastSeq;
    await this.waitUntil(b.sender, () => b.sender.isDurable(target), Date.now() + this.o.flushDeadlineMs);
  }

  /**
   * Flushes and stops: sends what is buffered (or leaves it in the spool for `npx cairn sync`
   * when the server stays away past `flushDeadlineMs`). Calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.closing ??= this.closeUnsafe().catch((err: unknown) => {
      this.o.reporter.report("close", { error: err instanceof Error ? err : new Error(String(err)), op: "monitor.close()" });
    });
    return this.closing;
  }

  /** Counters since the monitor was created. */
  stats(): MonitorStats {
    return { ...this.o.stats, errors: this.errors };
  }

  /** @internal Exit hooks: normal exit or a signal. */
  async exitFlush(): Promise<void> {
    await this.close();
  }

  /** @internal Exit hooks: `process.exit()` or a crash; everything goes to the spool, synchronously. */
  exitSync(): void {
    this.seal();
    this.encodeNow();
    this.closing ??= Promise.resolve();
    clearInterval(this.timer);
    const b = this.backend;
    if (!b) return this.dropEarly();
    if (!b.sender.allSent) b.sender.spillAll();
    this.release(b);
  }

  private dropEarly(): void {
    if (this.earlyRows > 0) this.o.stats.dropped += this.earlyRows;
    this.early = [];
    this.earlyRows = 0;
  }

  private async closeUnsafe(): Promise<void> {
    clearInterval(this.timer);
    this.seal();
    this.encodeNow();
    await this.ready;
    const b = this.backend;
    if (!b) return;
    const s = b.sender;
    // As a run's finish(): ask for a fresh probe, and give up on uploading (leaving the spool)
    // only once a probe made after this point has failed.
    s.kick();
    const probesBefore = s.probesStarted;
    const done = () => s.allSent || (s.isDegraded && b.spool !== undefined && s.lastFailedProbe > probesBefore && s.isDurable(s.lastSeq));
    await this.waitUntil(s, done, Date.now() + this.o.flushDeadlineMs);
    if (!s.allSent) s.spillAll();
    this.release(b);
  }

  private release(b: MonitorBackend): void {
    b.sender.close();
    b.exitHooks?.unregister(this);
    if (!b.spool) return;
    let pending = false;
    try {
      pending = b.spool.hasData();
      b.spool.release();
    } catch (err) {
      this.o.reporter.report("spool-release", { error: err as Error, op: "release spool" });
    }
    if (pending) this.o.reporter.info(`predictions of ${this.model} v${this.version} are in the spool (${b.spool.dir}): run \`npx cairn sync\` to upload`);
  }

  /** Moves the current rows to the encode queue. */
  private seal(): void {
    if (this.batch.n === 0 && this.labels.length === 0) return;
    const batch: { predictions?: PredictionColumns; labels?: LabelIn[] } = {};
    if (this.batch.n > 0) {
      batch.predictions = this.batch;
      this.batch = this.spare.pop() ?? new PredictionColumns(this.o.maxBatchRows);
    }
    if (this.labels.length > 0) {
      batch.labels = this.labels;
      this.labels = [];
    }
    this.sealed.push(batch);
    if (this.sealed.length >= MAX_SEALED) return this.encodeNow();
    if (this.encodeScheduled) return;
    this.encodeScheduled = true;
    // Not in the logPrediction() call that filled the batch: after the serving code's current turn.
    schedule(() => {
      this.encodeScheduled = false;
      this.encodeNow();
    });
  }

  /** Validates and encodes sealed batches into request bodies and hands them to the sender. */
  private encodeNow(): void {
    const sealed = this.sealed;
    if (sealed.length === 0) return;
    this.sealed = [];
    for (const batch of sealed) {
      // Predictions were checked as they were logged; labels are checked here.
      if (batch.predictions) this.enqueuePredictions(batch.predictions);
      if (batch.labels) this.enqueueLabels(batch.labels);
    }
  }

  private enqueuePredictions(b: PredictionColumns): void {
    const { bodies, tooLarge } = splitEncode(b.n, (from, to) => b.encode(this.model, this.version, from, to));
    b.reset();
    if (this.spare.length < SPARE_BATCHES) this.spare.push(b);
    this.enqueueBodies("predictions", bodies, tooLarge.length);
  }

  private enqueueLabels(rows: LabelIn[]): void {
    let valid: LabelIn[] | undefined;
    for (let i = 0; i < rows.length; i++) {
      const why = labelProblem(rows[i]!);
      if (why === undefined) {
        valid?.push(rows[i]!);
        continue;
      }
      // Rare: the good rows are copied only once a bad one shows up.
      valid ??= rows.slice(0, i);
      this.drop(1, `label dropped: ${why}`, `invalid-labels:${why}`);
    }
    const { bodies, tooLarge } = encodeBodies("labels", valid ?? rows);
    this.enqueueBodies("labels", bodies, tooLarge.length);
  }

  private enqueueBodies(type: "predictions" | "labels", bodies: EncodedBatch[], tooLarge: number): void {
    if (tooLarge > 0) this.drop(tooLarge, `${type} row larger than a request body (${MAX_BODY_BYTES / 1_000_000} MB) dropped`, `too-large-${type}`);
    for (const { body, count } of bodies) this.enqueue({ type, project: this.project, body, count });
  }

  private enqueue(op: Op & { count: number }): void {
    if (this.backend) return void this.backend.sender.enqueue(op);
    if (this.failed || this.earlyRows + op.count > this.o.maxBufferedRows) {
      // Still bounded before the sender exists (a tight loop right after creating the monitor).
      return this.drop(op.count, `more than ${this.o.maxBufferedRows} rows before the monitor started: dropping new rows`, "early-cap");
    }
    this.earlyRows += op.count;
    this.early.push(op);
  }

  private drop(rows: number, message: string, kind: string): void {
    this.o.stats.dropped += rows;
    this.o.reporter.report(kind, { error: new CairnError(message), op: `monitor ${this.model} v${this.version}`, points: rows });
  }

  private async waitUntil(s: Sender, pred: () => boolean, deadline: number): Promise<void> {
    if (pred()) return;
    const release = keepAlive();
    try {
      while (!pred()) {
        const left = deadline - Date.now();
        if (left <= 0) return;
        await Promise.race([s.changed(), sleep(Math.min(left, 250))]);
      }
    } finally {
      release();
    }
  }
}
