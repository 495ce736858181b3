import { sql } from "drizzle-orm";
import { affected } from "../db/client.js";
import type { ServerContext } from "../server-context.js";

/** Marks running runs whose heartbeat is older than the timeout as crashed. Idempotent, so every replica may run it. */
export async function sweepCrashedRuns(ctx: ServerContext): Promise<number> {
  const seconds = ctx.config.heartbeatTimeoutMs / 1000;
  return affected(
    ctx.db.orm,
    sql`update runs set status = 'crashed'
        where status = 'running' and heartbeat_at < now() - make_interval(secs => ${seconds}::float8)`,
  );
}

export function startCrashSweeper(ctx: ServerContext): () => void {
  const timer = setInterval(() => {
    sweepCrashedRuns(ctx)
      .then((n) => n > 0 && ctx.log.info({ crashed: n }, "marked runs without heartbeat as crashed"))
      .catch((err: unknown) => ctx.log.warn({ err }, "crash sweep failed"));
  }, ctx.config.sweepIntervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
