import type { Transport } from "../client/http.js";
import type { RunSpool } from "../spool/types.js";
import type { Reporter } from "./reporter.js";
import type { FinishStatus, RunDriver, RunHandle } from "./run.js";
import type { Sender } from "./sender.js";
import type { Op } from "./ops.js";
import { keepAlive, sleep, unref } from "./timers.js";

/** The Node exit hooks a run registers with (undefined in browsers). */
export interface ExitHooks {
  register(p: ExitParticipant): void;
  unregister(p: ExitParticipant): void;
}

export interface ExitParticipant {
  /** Normal exit or signal: flush within the deadline and set the status. */
  exitFlush(status: FinishStatus): Promise<void>;
  /** `process.exit()` or a crash: synchronous last chance, everything goes to the spool. */
  exitSync(status: FinishStatus): void;
}

export interface DriverOptions {
  sender: Sender;
  transport: Transport;
  runId: string;
  spool: RunSpool | undefined;
  reporter: Reporter;
  offline: boolean;
  flushIntervalMs: number;
  heartbeatIntervalMs: number;
  flushDeadlineMs: number;
  exitHooks: ExitHooks | undefined;
}

/**
 * Drives a live run: the flush timer, heartbeats, exit hooks, and the end of the run
 * (flush with a deadline, final status, spool hint).
 */
export class LiveDriver implements RunDriver, ExitParticipant {
  private run: RunHandle | undefined;
  private flushTimer: ReturnType<typeof setInterval> | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly o: DriverOptions) {}

  /** Starts timers and exit hooks for `run`. */
  start(run: RunHandle): void {
    this.run = run;
    this.flushTimer = unref(setInterval(() => run.sealBuffer(), this.o.flushIntervalMs));
    if (!this.o.offline && this.o.heartbeatIntervalMs > 0) {
      this.heartbeatTimer = unref(setInterval(() => void this.heartbeat(), this.o.heartbeatIntervalMs));
    }
    this.o.exitHooks?.register(this);
  }

  enqueue(op: Op): void {
    this.o.sender.enqueue(op);
  }

  /** Waits (bounded) for the run create to go through or to hit trouble, so `init()` neither hangs nor races ahead. */
  async waitForCreate(runSeq: number, timeoutMs: number): Promise<void> {
    const s = this.o.sender;
    const retriesBefore = this.retries();
    await this.waitUntil(() => !s.isPending(runSeq) || s.isDegraded || this.retries() > retriesBefore, Date.now() + timeoutMs);
  }

  async flush(): Promise<void> {
    const target = this.o.sender.lastSeq;
    // Bounded: without a spool (browser) and without a server, data can only wait in memory.
    await this.waitUntil(() => this.o.sender.isDurable(target), Date.now() + this.o.flushDeadlineMs);
  }

  /** Never rejects: a failure here is reported, not thrown into the training script. */
  async finish(status: FinishStatus): Promise<void> {
    try {
      await this.finishUnsafe(status);
    } catch (err) {
      this.o.reporter.report("finish", { error: err instanceof Error ? err : new Error(String(err)), op: "finish()" });
    }
  }

  private async finishUnsafe(status: FinishStatus): Promise<void> {
    this.stopTimers();
    const s = this.o.sender;
    s.enqueue({ type: "update", body: { status, endedAt: Date.now() } });
    // The server may be back while the background loop waits to re-probe: ask for a fresh
    // probe, and only give up on uploading (leaving the spool for `cairn sync`) once a probe
    // made after this point has failed.
    s.kick();
    const probesBefore = s.probesStarted;
    const done = (): boolean =>
      s.allSent ||
      (s.isDegraded && this.o.spool !== undefined && (this.o.offline || s.lastFailedProbe > probesBefore) && s.isDurable(s.lastSeq));
    await this.waitUntil(done, Date.now() + this.o.flushDeadlineMs);
    this.close();
  }

  async exitFlush(status: FinishStatus): Promise<void> {
    await this.run?.finish({ status });
  }

  exitSync(status: FinishStatus): void {
    if (this.run && !this.run.finished) {
      this.run.sealBuffer();
      this.o.sender.enqueue({ type: "update", body: { status, endedAt: Date.now() } });
    }
    this.stopTimers();
    this.close();
  }

  private close(): void {
    const s = this.o.sender;
    if (!s.allSent) s.spillAll();
    s.close();
    this.o.exitHooks?.unregister(this);
    const spool = this.o.spool;
    if (!spool) return;
    let pending = false;
    try {
      pending = spool.hasData();
      spool.release();
    } catch (err) {
      this.o.reporter.report("spool-release", { error: err as Error, op: "release spool" });
    }
    if (pending) this.o.reporter.info(`data for run ${this.o.runId} is in the spool (${spool.dir}): run \`npx cairn sync\` to upload`);
    const dropped = this.run?.stats().dropped ?? 0;
    if (dropped > 0) this.o.reporter.info(`${dropped} points of run ${this.o.runId} were dropped (invalid, rejected, or over the memory or spool cap): see run.stats() and earlier warnings`);
  }

  private stopTimers(): void {
    if (this.flushTimer) clearInterval(this.flushTimer);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.flushTimer = this.heartbeatTimer = undefined;
  }

  private retries(): number {
    return this.run?.stats().retries ?? 0;
  }

  private async heartbeat(): Promise<void> {
    if (this.o.sender.isDegraded) return;
    try {
      await this.o.transport.raw("POST", `/api/v1/runs/${encodeURIComponent(this.o.runId)}/heartbeat`, { json: {} });
    } catch {
      // Heartbeats are best effort: the sender notices outages on its own.
    }
  }

  /** Waits for `pred` (re-checked on every sender change) until `deadline`; holds the process open meanwhile. */
  private async waitUntil(pred: () => boolean, deadline: number): Promise<boolean> {
    if (pred()) return true;
    const release = keepAlive();
    try {
      for (;;) {
        if (pred()) return true;
        const left = deadline - Date.now();
        if (left <= 0) return false;
        await Promise.race([this.o.sender.changed(), sleep(Math.min(left, 250))]);
      }
    } finally {
      release();
    }
  }
}
