import type { Op } from "../run/ops.js";

/** Written once per spooled run as `meta.json`: what `cairn sync` needs to replay it. */
export interface SpoolMeta {
  version: 1;
  url: string;
  project: string;
  /** The run's id, or a monitor's own id (its predictions and labels name their project in each op). */
  runId: string;
  createdAt: string;
  /** `monitor`: a serving process's predictions and labels, not a run. */
  kind?: "run" | "monitor";
}

/**
 * The on-disk queue of one run (Node only): `<spoolDir>/<runId>/` holding `meta.json`,
 * a `lock` file with the writer's pid while the run is live, and numbered JSON Lines
 * segments of ops in order, plus the write-ahead journal (`wal-*.jsonl` with `wal-*.done`, see
 * `journal()`). A segment is deleted only once every op in it is acknowledged,
 * so an interrupted upload resumes at that segment; replays are idempotent.
 */
export interface RunSpool {
  readonly dir: string;
  /**
   * Appends ops synchronously (safe in exit handlers). Ops with points that would take the
   * spool past its size cap are not written: `droppedPoints` counts them for the caller to report.
   */
  append(ops: readonly Op[]): { points: number; droppedPoints: number };
  /** Size of the run's segments now, in characters of JSON (bytes for ASCII). */
  readonly bytes: number;
  /** Closes the current segment so later appends start a new one. */
  rotate(): void;
  /** Segment file names, oldest first. */
  segments(): string[];
  read(segment: string): ReadResult;
  remove(segment: string): void;
  hasData(): boolean;
  /**
   * Write-ahead: records an op (with the sender's sequence number) before it is sent, so a
   * process killed while the op is queued or in flight leaves it for `cairn sync`. Appended
   * without fsync: a killed process leaves the page cache intact; a machine crash (power
   * loss, kernel panic) can lose the last few seconds, which this does not claim to cover.
   * The journal does not count against the spool's cap: its unacknowledged part is bounded by
   * the memory cap (past it ops move to segments and are marked done), and its acknowledged
   * part is deleted as soon as every op in a journal file is done.
   */
  journal(seq: number, op: Op): void;
  /** Marks a journaled op done: acknowledged, rejected, or moved into a segment. Unknown seqs are ignored. */
  journalDone(seq: number): void;
  /** Drops the lock and the journal (a clean end: every op is acknowledged or in a segment); removes the directory when nothing is left in it. */
  release(): void;
}

export interface ReadResult {
  ops: Op[];
  /** Lines that could not be parsed (a torn last line after a crash is not counted). */
  corrupt: number;
}
