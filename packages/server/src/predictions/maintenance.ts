import type { ServerContext } from "../server-context.js";
import { matchStragglers } from "./labels.service.js";
import { DAY_MS, dayOf, dropExpiredPartitions, ensurePartitions, PARTITIONS_AHEAD } from "./partitions.js";
import { compactWindows } from "./windows.js";

export interface PredictionMaintenanceResult {
  compacted: number;
  dropped: number[];
  matched: number;
}

/**
 * One round: partitions for today and the next days, late label matches, window compaction,
 * and retention. Safe on several replicas at once (see each step).
 */
export async function runPredictionMaintenance(ctx: ServerContext, now = Date.now()): Promise<PredictionMaintenanceResult> {
  const today = dayOf(now);
  await ensurePartitions(ctx.db, Array.from({ length: PARTITIONS_AHEAD + 1 }, (_, i) => today + i));
  const matched = await matchStragglers(ctx.db);
  let compacted = 0;
  for (let round = 0; round < 50; round++) {
    const n = await compactWindows(ctx.db);
    compacted += n;
    if (n === 0) break;
  }
  const dropped = await dropExpiredPartitions(ctx.db, ctx.config.predictionRetentionMs, now);
  return { compacted, dropped, matched };
}

/** Every CAIRN_PREDICTION_MAINTENANCE_SECONDS (a minute keeps the parts a report merges to a handful per window). */
export function startPredictionMaintenance(ctx: ServerContext): () => void {
  const intervalMs = ctx.config.predictionMaintenanceMs;
  if (intervalMs <= 0) return () => {};
  let running = false;
  const tick = () => {
    if (running || ctx.state.shuttingDown) return;
    running = true;
    runPredictionMaintenance(ctx)
      .then((r) => {
        if (r.dropped.length > 0) ctx.log.info({ droppedDays: r.dropped.map((d) => new Date(d * DAY_MS).toISOString().slice(0, 10)) }, "dropped expired prediction partitions");
      })
      .catch((err: unknown) => ctx.log.error({ err }, "prediction maintenance failed"))
      .finally(() => {
        running = false;
      });
  };
  tick(); // partitions for today exist before the first batch needs them
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
