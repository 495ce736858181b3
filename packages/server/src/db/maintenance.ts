import { sql } from "drizzle-orm";
import type { Logger } from "pino";
import type { Database } from "./client.js";

/**
 * PGlite runs PostgreSQL in single-user mode: no autovacuum worker ever runs, so the
 * summary and rollup rows that every batch updates pile up dead tuples, and no table
 * is ever analysed. We do autovacuum's job on a timer. PostgreSQL needs none of this.
 */
export async function vacuumEmbedded(db: Database): Promise<void> {
  await db.orm.execute(sql`vacuum (analyze) metric_series, metric_rollups, runs, projects`);
  await db.orm.execute(sql`analyze metric_points`);
}

export function startEmbeddedMaintenance(db: Database, log: Logger, intervalMs = 5 * 60_000): () => void {
  if (db.driver !== "pglite") return () => {};
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    vacuumEmbedded(db)
      .catch((err: unknown) => log.warn({ err }, "embedded database maintenance failed"))
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
