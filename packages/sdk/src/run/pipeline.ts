import { type Op, isBarrier } from "./ops.js";
import type { Outcome } from "./executor.js";

export interface Entry {
  /** Position in the user's order of writes. */
  seq: number;
  op: Op;
  /** Read back from the spool: already durable, so never re-spooled. */
  fromSpool: boolean;
}

export interface PipelineHooks {
  send(op: Op, signal: AbortSignal): Promise<Outcome>;
  /** An op succeeded or was rejected. */
  settled(entry: Entry, outcome: Outcome): void;
  /** An op stayed unreachable: the pipeline has stopped and hands back every unfinished entry in order. */
  halted(entries: Entry[], error: Error): void;
}

/** Fills a started entry's slot, so the queue holds no reference to a sent op's body. */
const STARTED: Entry = Object.freeze<Entry>({ seq: -1, op: { type: "project", name: "" }, fromSpool: true });

/**
 * Runs ops in order with bounded parallelism: up to `concurrency` metrics batches at
 * once, and barrier ops (everything but metrics) alone, after all earlier ops and
 * before any later one. When one op is unreachable, the rest are aborted and handed
 * back (in order) so the caller can spool them: nothing after a failure overtakes it.
 */
export class Pipeline {
  private queue: Entry[] = [];
  private head = 0;
  private readonly inflight = new Map<number, { entry: Entry; ctrl: AbortController }>();
  private barrierRunning = false;
  private pumpScheduled = false;
  private idleWaiters: Array<() => void> = [];
  /** Number of halts so far (lets a caller tell whether its ops all went through). */
  halts = 0;

  constructor(
    private readonly concurrency: number,
    private readonly hooks: PipelineHooks,
  ) {}

  get idle(): boolean {
    return this.inflight.size === 0 && this.head === this.queue.length;
  }

  /** Entries not yet settled (queued or in flight). */
  *pending(): IterableIterator<Entry> {
    for (const { entry } of this.inflight.values()) yield entry;
    for (let i = this.head; i < this.queue.length; i++) yield this.queue[i]!;
  }

  /**
   * Queues an entry. Starting requests (which serialises metrics to JSON) is deferred to
   * a microtask so `run.log()` stays cheap even when it seals a full batch.
   */
  push(entry: Entry): void {
    this.queue.push(entry);
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Removes queued (not yet started) entries, in order, e.g. to spill them to the spool. */
  takeQueued(): Entry[] {
    const out = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    return out;
  }

  /** Aborts everything and returns unfinished entries in order. */
  abortAll(): Entry[] {
    const out = [...this.inflight.values()].map((f) => f.entry);
    for (const { ctrl } of this.inflight.values()) ctrl.abort();
    this.inflight.clear();
    this.barrierRunning = false;
    out.push(...this.takeQueued());
    out.sort((a, b) => a.seq - b.seq);
    this.checkIdle();
    return out;
  }

  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private pump(): void {
    while (this.head < this.queue.length && !this.barrierRunning) {
      const next = this.queue[this.head]!;
      if (isBarrier(next.op)) {
        if (this.inflight.size > 0) break;
        this.barrierRunning = true;
      } else if (this.inflight.size >= this.concurrency) break;
      // Started entries leave the queue at once: a monitor's batch is ~1 MB, and 1,024 of them
      // waiting for the next compaction held up to a gigabyte.
      this.queue[this.head++] = STARTED;
      this.start(next);
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.checkIdle();
  }

  private start(entry: Entry): void {
    const ctrl = new AbortController();
    this.inflight.set(entry.seq, { entry, ctrl });
    this.hooks.send(entry.op, ctrl.signal).then(
      (outcome) => this.finish(entry, ctrl, outcome),
      (err: unknown) => this.finish(entry, ctrl, { kind: "unreachable", error: err instanceof Error ? err : new Error(String(err)) }),
    );
  }

  private finish(entry: Entry, ctrl: AbortController, outcome: Outcome): void {
    if (this.inflight.get(entry.seq)?.ctrl !== ctrl) return; // aborted by abortAll: already handed back
    if (outcome.kind === "unreachable") {
      this.halts++;
      const rest = this.abortAll();
      this.hooks.halted(rest, outcome.error);
      return;
    }
    this.inflight.delete(entry.seq);
    if (isBarrier(entry.op)) this.barrierRunning = false;
    this.hooks.settled(entry, outcome);
    this.pump();
  }

  private checkIdle(): void {
    if (!this.idle || this.idleWaiters.length === 0) return;
    const ws = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of ws) w();
  }
}
