import { DAY_MS } from "./partitions.js";

/** The millisecond time in a UUIDv7's first 48 bits: the partition key `id_time`. */
export function idTimeOf(id: string): number {
  return Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

/**
 * Times a prediction may carry: not older than the retention period (its partition would
 * be dropped at once) and at most a day ahead (clock skew), so a batch never creates
 * partitions far from now.
 */
export function timeBounds(now: number, retentionMs: number): { oldest: number; newest: number } {
  return { oldest: now - retentionMs, newest: now + DAY_MS };
}
