import { sql } from "drizzle-orm";
import { auditQueryFromOrm, recordAudit } from "../audit/audit.service.js";
import { SYSTEM_ACTOR } from "../auth/keys.service.js";
import { rows } from "../db/client.js";
import type { ServerContext } from "../server-context.js";

/** Marks running runs whose heartbeat is older than the timeout as crashed. Idempotent, so every replica may run it. */
export async function sweepCrashedRuns(ctx: ServerContext): Promise<number> {
  const seconds = ctx.config.heartbeatTimeoutMs / 1000;
  return ctx.db.orm.transaction(async (tx) => {
    const crashed = await rows<{ id: string; project_id: string }>(
      tx,
      sql`update runs set status = 'crashed'
          where status = 'running' and heartbeat_at < now() - make_interval(secs => ${seconds}::float8)
          returning id::text as id, project_id::text as project_id`,
    );
    for (const r of crashed) {
      await recordAudit(auditQueryFromOrm(tx), SYSTEM_ACTOR, {
        action: "run.update",
        subject: { kind: "run", id: r.id },
        projectId: r.project_id,
        before: { status: "running" },
        after: { status: "crashed" },
      });
    }
    return crashed.length;
  });
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
