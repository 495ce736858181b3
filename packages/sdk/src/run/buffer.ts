import { MAX_POINTS_PER_REQUEST } from "@cairn/core";
import { type MetricBatch, newBatch } from "./batch.js";

/**
 * The in-memory metric buffer: a current columnar chunk that `log()` appends to,
 * sealed into a batch when it reaches `batchSize` points (so every sealed batch is a
 * ready-to-send request of at most 10,000 points) or when the sender asks for a flush.
 */
export class MetricBuffer {
  private cur: MetricBatch;
  private readonly batchSize: number;
  /** Called with each sealed batch (synchronously, from `push()` or `seal()`). */
  onSeal: (batch: MetricBatch) => void = () => {};

  constructor(batchSize: number = MAX_POINTS_PER_REQUEST) {
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_POINTS_PER_REQUEST) {
      throw new RangeError(`maxBatchPoints must be an integer in 1..${MAX_POINTS_PER_REQUEST}`);
    }
    this.batchSize = batchSize;
    this.cur = newBatch(batchSize);
  }

  /** Points in the current (unsealed) chunk. */
  get length(): number {
    return this.cur.length;
  }

  push(key: string, value: number, step: number, timestamp: number): void {
    const c = this.cur;
    const i = c.length;
    c.keys[i] = key;
    c.values[i] = value;
    c.steps[i] = step;
    c.timestamps[i] = timestamp;
    c.length = i + 1;
    if (c.length === this.batchSize) this.seal();
  }

  /** Seals the current chunk (if it holds points) and starts a new one. */
  seal(): void {
    const c = this.cur;
    if (c.length === 0) return;
    this.cur = newBatch(this.batchSize);
    if (c.length < this.batchSize) {
      // A partial chunk: trim the typed arrays so a queued batch holds no dead capacity.
      c.values = c.values.slice(0, c.length);
      c.steps = c.steps.slice(0, c.length);
      c.timestamps = c.timestamps.slice(0, c.length);
    }
    this.onSeal(c);
  }
}
