import { randomBytes } from "node:crypto";
import os from "node:os";
import { sql } from "drizzle-orm";
import { rows } from "../db/client.js";
import type { ServerContext } from "../server-context.js";
import { sendDueDeliveries } from "./deliveries.service.js";
import { evaluateMonitor } from "./monitor-evaluation.service.js";
import { MONITOR_COLUMNS, type MonitorRow } from "./monitor-rows.js";
import { WebhookAllowlist } from "./webhook-target.js";

/** A claimed monitor belongs to its replica this long; a replica that dies mid-evaluation frees it when the lease runs out. */
const LEASE_MS = 5 * 60_000;
const BATCH = 50;

/**
 * Claims due monitors for this replica: one statement picks them with FOR UPDATE SKIP LOCKED
 * (a row another replica is claiming is skipped, not waited for) and writes the lease, so two
 * replicas ticking at once get disjoint sets. A monitor is due when enabled, unleased, of a
 * live project, and not evaluated within the last interval (by the database's clock, which all
 * replicas share).
 */
export async function claimDueMonitors(ctx: ServerContext, owner: string, intervalMs: number, limit = BATCH): Promise<MonitorRow[]> {
  // A tenth of the interval as slack, so timer jitter does not skip every other tick.
  const dueAfterSeconds = (intervalMs * 0.9) / 1000;
  const claimed = await rows<{ id: string }>(
    ctx.db.orm,
    sql`update monitors set lease_owner = ${owner}, lease_until = now() + make_interval(secs => ${LEASE_MS / 1000})
        where id in (
          select id from monitors
          where enabled and (lease_until is null or lease_until < now())
            and project_id in (select id from projects where deleted_at is null)
            and (last_evaluated_at is null or last_evaluated_at <= now() - make_interval(secs => ${dueAfterSeconds}))
          order by last_evaluated_at nulls first, id limit ${limit}
          for update skip locked
        )
        returning id::text as id`,
  );
  if (claimed.length === 0) return [];
  return rows<MonitorRow>(
    ctx.db.orm,
    sql`select ${MONITOR_COLUMNS} from monitors mo join registered_models m on m.id = mo.model_id
        where mo.id = any(${sql.param(claimed.map((c) => c.id))}::uuid[]) and mo.lease_owner = ${owner} order by mo.id`,
  );
}

async function releaseMonitor(ctx: ServerContext, id: string, owner: string): Promise<void> {
  await ctx.db.orm.execute(sql`update monitors set last_evaluated_at = now(), lease_owner = null, lease_until = null where id = ${id}::uuid and lease_owner = ${owner}`);
}

/** One tick: evaluate every due monitor (batch by batch), then send every due webhook. */
export async function runSchedulerTick(ctx: ServerContext, owner: string, allowlist: WebhookAllowlist): Promise<void> {
  for (;;) {
    if (ctx.state.shuttingDown) return;
    const due = await claimDueMonitors(ctx, owner, ctx.config.schedulerIntervalMs);
    for (const monitor of due) {
      try {
        const outcome = await evaluateMonitor(ctx, monitor);
        ctx.ops.monitorEvaluations.inc({ verdict: outcome.verdict });
        const log = { monitorId: monitor.id, monitor: monitor.name, model: monitor.model, verdict: outcome.verdict };
        if (outcome.verdict === "fired") ctx.log.info({ ...log, alertId: outcome.alertId, deliveries: outcome.deliveries }, "monitor fired");
        else ctx.log.debug({ ...log, why: outcome.message }, "monitor evaluated");
      } catch (err) {
        ctx.ops.monitorEvaluations.inc({ verdict: "error" });
        ctx.log.error({ err, monitorId: monitor.id }, "monitor evaluation failed");
      } finally {
        await releaseMonitor(ctx, monitor.id, owner).catch((err: unknown) => ctx.log.warn({ err, monitorId: monitor.id }, "could not release a monitor lease"));
      }
    }
    if (due.length < BATCH) break;
  }
  await sendDueDeliveries(ctx, allowlist);
}

/**
 * The monitor scheduler of this server process: every CAIRN_SCHEDULER_INTERVAL_SECONDS it
 * runs a tick (never two at once). Returns a stop function that waits for a running tick.
 */
export function startMonitorScheduler(ctx: ServerContext): () => Promise<void> {
  const interval = ctx.config.schedulerIntervalMs;
  if (interval <= 0) return async () => {};
  const owner = `${os.hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
  const allowlist = new WebhookAllowlist(ctx.config.webhookAllowlist);
  let stopped = false;
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    const started = performance.now();
    try {
      await runSchedulerTick(ctx, owner, allowlist);
      ctx.ops.schedulerRuns.inc({ outcome: "ok" });
    } catch (err) {
      ctx.ops.schedulerRuns.inc({ outcome: "error" });
      ctx.log.error({ err }, "monitor scheduler tick failed");
    } finally {
      ctx.ops.schedulerDuration.observe((performance.now() - started) / 1000);
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick().finally(() => {
        running = undefined;
        schedule();
      });
    }, interval);
    timer.unref();
  };
  schedule();
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await running;
  };
}
