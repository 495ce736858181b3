import type { Transport } from "../client/http.js";
import type { RunSpool } from "../spool/types.js";
import { type BackoffOptions, backoffDelay } from "./backoff.js";
import { type Outcome, sendOp } from "./executor.js";
import { type Op, describeOp, opPoints } from "./ops.js";
import { type Entry, Pipeline } from "./pipeline.js";
import type { Reporter } from "./reporter.js";
import { drainSpool } from "./drain.js";
import { sleep } from "./timers.js";
import type { RunStats } from "./stats.js";

export type { RunStats } from "./stats.js";

export interface SenderOptions {
  transport: Transport;
  /** A short-timeout transport for connectivity probes. */
  probeTransport: Transport;
  runId: string;
  concurrency: number;
  retryWindowMs: number;
  maxBufferedPoints: number;
  backoff?: BackoffOptions;
  /** Node only; undefined in browsers (then ops wait in memory while the server is away). */
  spool: RunSpool | undefined;
  /** Offline mode: never talk to the server. */
  offline: boolean;
  reporter: Reporter;
  stats: RunStats;
}

/**
 * Moves ops from the run to the server. Online, ops go through the pipeline. When the
 * server stays unreachable past the retry window, or memory passes `maxBufferedPoints`,
 * the sender turns "degraded": unfinished ops and every later op go to the spool (or wait
 * in memory without one) while a background loop probes the server and, once it answers,
 * drains the spool in order before going back online. With a spool, every op sent online is
 * first written ahead to its journal and marked done once acknowledged or spooled, so a killed
 * process leaves `cairn sync` whatever was still in flight.
 */
export class Sender {
  private readonly pipeline: Pipeline;
  private seq = 0;
  private degraded: boolean;
  private held: Entry[] = [];
  /** Points of in-memory ops not read back from the spool (for the memory cap). */
  private memPoints = 0;
  private recovering = false;
  private closed = false;
  /** Connectivity probes started so far. */
  probesStarted = 0;
  /** Number (in start order) of the last probe that failed: lets `finish()` wait for a fresh verdict. */
  lastFailedProbe = 0;
  /** Aborted to cut the wait between probes short. */
  private wake = new AbortController();
  private waiters: Array<() => void> = [];
  private capWarned = false;
  /** Ops queued for the journal's next write (see writeAhead). */
  private unjournaled: Entry[] = [];

  constructor(private readonly o: SenderOptions) {
    this.degraded = o.offline;
    this.pipeline = new Pipeline(o.concurrency, {
      send: (op, signal) => this.send(op, signal),
      settled: (e, outcome) => this.settled(e, outcome),
      halted: (entries, error) => this.halted(entries, error),
    });
  }

  /** True while ops go to the spool (or wait in memory) instead of the network. */
  get isDegraded(): boolean {
    return this.degraded;
  }

  /** Queues an op; returns its sequence number. */
  enqueue(op: Op): number {
    const entry: Entry = { seq: ++this.seq, op, fromSpool: false };
    const points = opPoints(op);
    if (this.degraded) {
      if (this.o.spool) this.toSpool([entry]);
      else this.hold(entry);
    } else if (!this.o.spool && points > 0 && this.memPoints + points > this.o.maxBufferedPoints) {
      this.dropOverCap(points); // no spool to spill to (browser): memory stays bounded
    } else {
      this.memPoints += points;
      if (this.o.spool) this.writeAhead(entry);
      this.pipeline.push(entry);
      if (this.memPoints > this.o.maxBufferedPoints && this.o.spool) this.spillQueued();
    }
    this.notify();
    return entry.seq;
  }

  /** Whether the op with this seq is still in memory, unsettled. */
  isPending(seq: number): boolean {
    for (const e of this.pipeline.pending()) if (e.seq === seq && !e.fromSpool) return true;
    return this.held.some((e) => e.seq === seq);
  }

  /** Highest seq handed out so far. */
  get lastSeq(): number {
    return this.seq;
  }

  /** True once nothing logged up to `seq` is only in memory. */
  isDurable(seq: number): boolean {
    for (const e of this.pipeline.pending()) if (!e.fromSpool && e.seq <= seq) return false;
    return !this.held.some((e) => e.seq <= seq);
  }

  /** True when everything is on the server (nothing in memory, nothing spooled or being drained). */
  get allSent(): boolean {
    return !this.degraded && this.pipeline.idle && this.held.length === 0;
  }

  /** Resolves on the next state change (an op settled, a probe result, a mode change). */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Writes everything still in memory to the spool, synchronously (exit path and
   * flush deadline). Without a spool, the ops are lost and counted as dropped.
   */
  spillAll(): void {
    const entries = [...this.pipeline.abortAll().filter((e) => !e.fromSpool), ...this.held];
    this.held = [];
    entries.sort((a, b) => a.seq - b.seq);
    this.degraded = true;
    if (this.o.spool) this.toSpool(entries);
    else for (const e of entries) this.o.stats.dropped += opPoints(e.op);
    this.memPoints = 0;
    this.notify();
  }

  /** Probes again now instead of after the current backoff (used by `finish()`). */
  kick(): void {
    this.wake.abort();
    this.wake = new AbortController();
  }

  /** Stops background work (probing, draining). */
  close(): void {
    this.closed = true;
    this.wake.abort();
    this.notify();
  }

  private send(op: Op, signal: AbortSignal): Promise<Outcome> {
    this.writeJournal();
    return sendOp(
      {
        transport: this.o.transport,
        runId: this.o.runId,
        retryWindowMs: this.o.retryWindowMs,
        ...(this.o.backoff ? { backoff: this.o.backoff } : {}),
        onRetry: () => {
          this.o.stats.retries++;
          this.notify();
        },
      },
      op,
      signal,
    );
  }

  private settled(e: Entry, outcome: Outcome): void {
    const points = opPoints(e.op);
    if (!e.fromSpool) {
      this.memPoints -= points;
      this.journalDone([e]);
    }
    if (outcome.kind === "ok") this.o.stats.sent += points;
    else if (outcome.kind === "rejected") {
      this.o.stats.dropped += points;
      const err = outcome.error;
      this.o.reporter.report(`${e.op.type}:${err.status}:${err.code}`, {
        error: err,
        op: describeOp(e.op),
        ...(points > 0 ? { points } : {}),
      });
    }
    this.notify();
  }

  private halted(entries: Entry[], error: Error): void {
    const mine = entries.filter((e) => !e.fromSpool);
    for (const e of mine) this.memPoints -= opPoints(e.op);
    if (!this.degraded) {
      this.o.reporter.info(
        `server unreachable (${error.message}); ${this.o.spool ? `spooling to ${this.o.spool.dir}` : "holding data in memory"} and retrying in the background`,
      );
    }
    this.degraded = true;
    if (this.o.spool) this.toSpool(mine);
    else {
      this.held = [...mine, ...this.held].sort((a, b) => a.seq - b.seq);
      for (const e of mine) this.memPoints += opPoints(e.op);
    }
    this.notify();
    void this.recover();
  }

  /**
   * Memory cap reached: unfinished ops move to the spool and later ops follow them there.
   * In-flight requests are aborted and spooled too (replaying them is idempotent) so the
   * spool keeps the user's order: a barrier still in flight cannot land after later ops.
   */
  private spillQueued(): void {
    const queued = this.pipeline.abortAll().filter((e) => !e.fromSpool);
    for (const e of queued) this.memPoints -= opPoints(e.op);
    this.degraded = true;
    if (!this.capWarned) {
      this.capWarned = true;
      this.o.reporter.info(`more than ${this.o.maxBufferedPoints} points in memory: spooling to ${this.o.spool!.dir} until the server catches up`);
    }
    this.toSpool(queued);
    void this.recover();
  }

  /**
   * Records an op in the spool's journal before it is sent (it is sealed, so this runs once per
   * batch, not per point): a process killed while the op is queued or in flight leaves it for
   * `cairn sync`, so a point is durable within a flush interval of log() returning whatever the
   * server does. A failed write is reported; the op is still sent.
   */
  private writeAhead(entry: Entry): void {
    // Deferred to a microtask, as the pipeline defers starting requests: encoding a full batch
    // inside the log() call that sealed it cut log()'s throughput 4×. The microtask is queued
    // before the pipeline's, and send() writes whatever is still waiting, so no op is sent before
    // it is journaled; it runs once the caller's synchronous code yields (as sending does).
    this.unjournaled.push(entry);
    if (this.unjournaled.length === 1) queueMicrotask(() => this.writeJournal());
  }

  private writeJournal(): void {
    const entries = this.unjournaled;
    if (entries.length === 0) return;
    this.unjournaled = [];
    try {
      for (const e of entries) this.o.spool!.journal(e.seq, e.op);
    } catch (err) {
      this.o.reporter.report("spool-journal", { error: err as Error, op: "write spool journal" });
    }
  }

  private journalDone(entries: readonly Entry[]): void {
    const spool = this.o.spool;
    if (!spool) return;
    try {
      for (const e of entries) if (!e.fromSpool) spool.journalDone(e.seq);
    } catch (err) {
      // A missing done mark only means `cairn sync` may replay an op the server has: idempotent.
      this.o.reporter.report("spool-journal", { error: err as Error, op: "mark spool journal" });
    }
  }

  private toSpool(entries: Entry[]): void {
    if (entries.length === 0) return;
    // Going to a segment: what has not been journaled yet need not be.
    if (this.unjournaled.length > 0) {
      const spooling = new Set(entries);
      this.unjournaled = this.unjournaled.filter((e) => !spooling.has(e));
    }
    try {
      const { points, droppedPoints } = this.o.spool!.append(entries.map((e) => e.op));
      this.o.stats.spooled += points;
      if (droppedPoints > 0) {
        // Never silent: counted in run.stats().dropped, warned about once, and in the exit summary.
        this.o.stats.dropped += droppedPoints;
        this.o.reporter.report("spool-full", {
          error: new Error(`the spool ${this.o.spool!.dir} is full (${this.o.spool!.bytes} bytes, the maxSpoolBytes cap): dropping new points until the server is back (run.stats().dropped counts them)`),
          op: "write spool",
          points: droppedPoints,
        });
      }
    } catch (err) {
      for (const e of entries) this.o.stats.dropped += opPoints(e.op);
      this.o.reporter.report("spool-write", { error: err as Error, op: "write spool" });
    }
    // In a segment now (or counted as dropped): the journal's copy is done. A kill between the
    // two writes leaves both, and `cairn sync` sends the op twice: idempotent on the server.
    this.journalDone(entries);
  }

  private hold(entry: Entry): void {
    const points = opPoints(entry.op);
    if (points > 0 && this.memPoints + points > this.o.maxBufferedPoints) return this.dropOverCap(points);
    this.memPoints += points;
    this.held.push(entry);
  }

  private dropOverCap(points: number): void {
    this.o.stats.dropped += points;
    if (!this.capWarned) {
      this.capWarned = true;
      this.o.reporter.info(`${this.o.maxBufferedPoints} points buffered in memory and no spool: dropping new points`);
    }
  }

  private notify(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  private async probe(): Promise<boolean> {
    try {
      const res = await this.o.probeTransport.raw("GET", "/readyz");
      return res.status < 500;
    } catch {
      return false;
    }
  }

  /** Background loop while degraded: probe, then drain the spool (or resend held ops). */
  private async recover(): Promise<void> {
    if (this.recovering || this.o.offline) return;
    this.recovering = true;
    try {
      let attempt = 0;
      while (this.degraded && !this.closed) {
        await this.pipeline.whenIdle();
        if (this.closed) break;
        const probeNo = ++this.probesStarted;
        if (!(await this.probe())) {
          this.lastFailedProbe = probeNo;
          this.notify();
          await sleep(backoffDelay(attempt++, { baseMs: 500, capMs: 5_000 }) + 250, this.wake.signal);
          continue;
        }
        attempt = 0;
        if (!this.o.spool) {
          const held = this.held;
          this.held = [];
          this.degraded = false;
          for (const e of held) this.pipeline.push(e);
          break;
        }
        let drained = false;
        try {
          drained = await drainSpool(this.o.spool, this.pipeline, {
            nextSeq: () => ++this.seq,
            closed: () => this.closed,
            reporter: this.o.reporter,
          });
        } catch (err) {
          // An unreadable spool must not crash the process (this loop runs detached): report, retry later.
          this.o.reporter.report("spool-drain", { error: err instanceof Error ? err : new Error(String(err)), op: "drain spool" });
          await sleep(1_000, this.wake.signal);
          continue;
        }
        if (drained) {
          this.degraded = false;
          this.capWarned = false;
          break;
        }
      }
    } finally {
      this.recovering = false;
      this.notify();
    }
  }
}
