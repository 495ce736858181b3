import type { RunSpool } from "../spool/types.js";
import type { Pipeline } from "./pipeline.js";
import type { Reporter } from "./reporter.js";

export interface DrainContext {
  nextSeq: () => number;
  closed: () => boolean;
  reporter: Reporter;
}

/**
 * Uploads a live run's spooled segments in order through the (idle) pipeline, deleting
 * each segment once all its ops are acknowledged. Returns true when the spool is empty;
 * false when the server went away again (the pipeline halted) or the run closed, in which
 * case the current segment stays on disk and is replayed later (idempotently).
 */
export async function drainSpool(spool: RunSpool, pipeline: Pipeline, ctx: DrainContext): Promise<boolean> {
  for (;;) {
    // New ops keep being appended while we drain: close the current segment so they land
    // in a new one, which the next pass picks up.
    spool.rotate();
    const segments = spool.segments();
    // Single-threaded: no append can happen between this check and the caller's switch back online.
    if (segments.length === 0) return true;
    for (const segment of segments) {
      if (ctx.closed()) return false;
      const { ops, corrupt } = spool.read(segment);
      if (corrupt > 0) {
        ctx.reporter.report(`spool-corrupt:${segment}`, { error: new Error(`${corrupt} unreadable lines skipped`), op: "read spool" });
      }
      const halts = pipeline.halts;
      for (const op of ops) pipeline.push({ seq: ctx.nextSeq(), op, fromSpool: true });
      await pipeline.whenIdle();
      if (pipeline.halts !== halts || ctx.closed()) return false;
      spool.remove(segment);
    }
  }
}
