// Node-only: replays spooled runs (used by `cairn sync`).
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Transport } from "../client/http.js";
import { sendOp } from "../run/executor.js";
import { describeOp, opPoints } from "../run/ops.js";
import { Pipeline } from "../run/pipeline.js";
import { hasJournal, isLockedByOther, listSpooledRuns, readJournal, readSegment, removeJournal, segmentNames } from "./fs-spool.js";

export interface SyncOptions {
  spoolDir: string;
  /** Overrides the server URL recorded with each run. */
  url?: string;
  apiKey?: string;
  /** Give up on a run after its requests failed for this long (ms). Default 15,000. */
  retryWindowMs?: number;
  concurrency?: number;
  log?: (line: string) => void;
}

export interface SyncSummary {
  /** Spooled runs found. */
  runs: number;
  /** Runs fully uploaded (their folders removed). */
  synced: number;
  /** Runs left for a later sync because the server could not be reached. */
  failed: number;
  /** Runs still being written by a live process. */
  skipped: number;
  ops: number;
  points: number;
  /** Ops the server refused (4xx); they are reported and not retried. */
  rejected: number;
}

/**
 * Uploads every spooled run whose process is gone: first the ops its write-ahead journal
 * does not mark done, then its segments, oldest first. A segment is deleted only after all
 * its ops are acknowledged, so an interrupted sync resumes where it stopped and a second
 * sync finds nothing to do; re-sent ops are idempotent on the server.
 */
export async function syncSpool(opts: SyncOptions): Promise<SyncSummary> {
  const log = opts.log ?? (() => {});
  const summary: SyncSummary = { runs: 0, synced: 0, failed: 0, skipped: 0, ops: 0, points: 0, rejected: 0 };
  for (const { dir, meta } of listSpooledRuns(opts.spoolDir)) {
    summary.runs++;
    if (isLockedByOther(dir)) {
      summary.skipped++;
      log(`skip ${meta.runId}: still being written by a live process`);
      continue;
    }
    const transport = new Transport({ url: opts.url ?? meta.url, apiKey: opts.apiKey });
    let failure: Error | undefined;
    const pipeline = new Pipeline(opts.concurrency ?? 4, {
      send: (op, signal) => sendOp({ transport, runId: meta.runId, retryWindowMs: opts.retryWindowMs ?? 15_000 }, op, signal),
      settled: (entry, outcome) => {
        if (outcome.kind === "ok") {
          summary.ops++;
          summary.points += opPoints(entry.op);
        } else if (outcome.kind === "rejected") {
          summary.rejected++;
          log(`run ${meta.runId}: ${describeOp(entry.op)} rejected: ${outcome.error.message}`);
        }
      },
      halted: (_entries, error) => {
        failure = error;
      },
    });
    let seq = 0;
    // First what a killed process had sealed but not seen acknowledged (its write-ahead
    // journal, as `seq op` lines with done marks): those ops were logged before anything the
    // process could still spool to segments after them. Some may be on the server already
    // (acked just before the kill, before the done mark): replays are idempotent.
    if (hasJournal(dir)) {
      const { ops, corrupt } = readJournal(dir);
      if (corrupt > 0) log(`run ${meta.runId}: ${corrupt} unreadable lines in its journal skipped`);
      for (const op of ops) pipeline.push({ seq: ++seq, op, fromSpool: true });
      await pipeline.whenIdle();
      if (!failure) removeJournal(dir);
    }
    for (const segment of failure ? [] : segmentNames(dir)) {
      const { ops, corrupt } = readSegment(join(dir, segment));
      if (corrupt > 0) log(`run ${meta.runId}: ${corrupt} unreadable lines in ${segment} skipped`);
      for (const op of ops) pipeline.push({ seq: ++seq, op, fromSpool: true });
      await pipeline.whenIdle();
      if (failure) break;
      rmSync(join(dir, segment), { force: true });
    }
    if (failure) {
      summary.failed++;
      log(`run ${meta.runId}: server unreachable (${failure.message}); left in the spool`);
      continue;
    }
    if (existsSync(dir) && segmentNames(dir).length === 0 && !hasJournal(dir)) rmSync(dir, { recursive: true, force: true });
    summary.synced++;
    log(meta.kind === "monitor" ? `synced predictions and labels of monitor ${meta.runId} (project ${meta.project})` : `synced run ${meta.runId} (project ${meta.project})`);
  }
  return summary;
}
