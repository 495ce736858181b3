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
 * segments of ops in order. A segment is deleted only once every op in it is acknowledged,
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
  /** Drops the lock; removes the directory when nothing is left in it. */
  release(): void;
}

export interface ReadResult {
  ops: Op[];
  /** Lines that could not be parsed (a torn last line after a crash is not counted). */
  corrupt: number;
}
