import { sql } from "drizzle-orm";
import { auditQueryFromOrm, recordAudit, type AuditActor } from "../audit/audit.service.js";
import type { Actor } from "../auth/actor.js";
import { SYSTEM_ACTOR } from "../auth/keys.service.js";
import { rows, type Executor } from "../db/client.js";
import type { ServerContext } from "../server-context.js";

/** What a purge removed, per run: the audit event carries it. */
export interface PurgedRunCounts {
  points: number;
  rollups: number;
  series: number;
  artifacts: number;
  datasetLinks: number;
}

const emptyCounts = (): PurgedRunCounts => ({ points: 0, rollups: 0, series: 0, artifacts: 0, datasetLinks: 0 });

/** Runs purged per transaction by the retention sweep: bounds lock time and transaction size. */
const EXPIRED_RUNS_PER_TX = 200;

async function countDeleted(tx: Executor, statement: ReturnType<typeof sql>): Promise<Array<{ run_id: string; n: number }>> {
  return rows<{ run_id: string; n: number }>(tx, sql`with d as (${statement}) select run_id::text as run_id, count(*)::int as n from d group by run_id`);
}

/**
 * Hard-deletes runs and everything stored under them, set-based (one statement per table
 * for any number of runs). metric_points and metric_rollups have no foreign key, so they
 * are deleted explicitly through their series. The series rows are locked first: metric
 * writers lock them before writing points, so a write racing the purge either commits
 * before it or finds its series gone and answers 404 (no orphaned points).
 * Blobs stay for the artifact GC; dataset versions the runs produced stay (others may use them).
 */
export async function purgeRunRows(tx: Executor, runIds: string[]): Promise<Map<string, PurgedRunCounts>> {
  const out = new Map<string, PurgedRunCounts>();
  if (runIds.length === 0) return out;
  const ids = sql`${sql.param(runIds)}::uuid[]`;
  await rows(tx, sql`select id from metric_series where run_id = any(${ids}) order by id for update`);
  const add = (list: Array<{ run_id: string; n: number }>, field: keyof PurgedRunCounts) => {
    for (const { run_id, n } of list) {
      const c = out.get(run_id) ?? emptyCounts();
      c[field] += Number(n);
      out.set(run_id, c);
    }
  };
  add(await countDeleted(tx, sql`delete from metric_points p using metric_series s where p.series_id = s.id and s.run_id = any(${ids}) returning s.run_id`), "points");
  add(await countDeleted(tx, sql`delete from metric_rollups r using metric_series s where r.series_id = s.id and s.run_id = any(${ids}) returning s.run_id`), "rollups");
  add(await countDeleted(tx, sql`delete from artifacts where run_id = any(${ids}) returning run_id`), "artifacts");
  add(await countDeleted(tx, sql`delete from run_datasets where run_id = any(${ids}) returning run_id`), "datasetLinks");
  add(await countDeleted(tx, sql`delete from metric_series where run_id = any(${ids}) returning run_id`), "series");
  const gone = await rows<{ id: string }>(tx, sql`delete from runs where id = any(${ids}) returning id::text as id`);
  const result = new Map<string, PurgedRunCounts>();
  for (const { id } of gone) result.set(id, out.get(id) ?? emptyCounts());
  return result;
}

/** Drops this process's cached knowledge of purged runs (other replicas re-check the database on every write). */
export function forgetRuns(ctx: ServerContext, runIds: Iterable<string>): void {
  const ids = [...runIds];
  for (const id of ids) ctx.runOwners.delete(id);
  ctx.seriesIds.deleteRuns(ids);
}

export interface PurgedProject {
  runs: number;
  datasets: number;
  points: number;
  series: number;
  artifacts: number;
}

/** Hard-deletes a project, all its runs (as above, in bulk) and its datasets. */
export async function purgeProjectRows(tx: Executor, projectId: string): Promise<{ counts: PurgedProject; runIds: string[] }> {
  const runIds = (await rows<{ id: string }>(tx, sql`select id::text as id from runs where project_id = ${projectId}::uuid`)).map((r) => r.id);
  const perRun = await purgeRunRows(tx, runIds);
  const [ds] = await rows<{ n: number }>(tx, sql`with d as (delete from datasets where project_id = ${projectId}::uuid returning 1) select count(*)::int as n from d`);
  await rows(tx, sql`delete from projects where id = ${projectId}::uuid returning id`);
  const counts: PurgedProject = { runs: perRun.size, datasets: Number(ds?.n ?? 0), points: 0, series: 0, artifacts: 0 };
  for (const c of perRun.values()) {
    counts.points += c.points;
    counts.series += c.series;
    counts.artifacts += c.artifacts;
  }
  return { counts, runIds };
}

/**
 * Purges runs and projects soft-deleted longer than the retention period ago. Idempotent and
 * safe to run on every replica at once: each batch re-selects what is still there under row
 * locks (`skip locked`, so two sweepers share the work instead of queueing).
 */
export async function purgeExpiredDeletions(ctx: ServerContext, actor: Actor | "system"): Promise<{ runs: number; projects: number }> {
  const who: AuditActor = actor === "system" ? SYSTEM_ACTOR : actor;
  const retentionSecs = ctx.config.deletedRetentionMs / 1000;
  const expired = sql`deleted_at is not null and deleted_at < now() - make_interval(secs => ${retentionSecs}::float8)`;
  let projects = 0;
  let runs = 0;
  for (;;) {
    const done = await ctx.db.orm.transaction(async (tx) => {
      const [p] = await rows<{ id: string; name: string }>(tx, sql`select id::text as id, name from projects where ${expired} order by deleted_at limit 1 for update skip locked`);
      if (!p) return false;
      const { counts, runIds } = await purgeProjectRows(tx, p.id);
      await recordAudit(auditQueryFromOrm(tx), who, { action: "project.purge", subject: { kind: "project", id: p.id }, projectId: p.id, before: { name: p.name }, after: { ...counts, reason: "retention" } });
      forgetRuns(ctx, runIds);
      projects++;
      return true;
    });
    if (!done) break;
  }
  for (;;) {
    const n = await ctx.db.orm.transaction(async (tx) => {
      const batch = await rows<{ id: string; project_id: string; name: string }>(
        tx,
        sql`select id::text as id, project_id::text as project_id, name from runs where ${expired} order by deleted_at limit ${EXPIRED_RUNS_PER_TX} for update skip locked`,
      );
      const purged = await purgeRunRows(tx, batch.map((r) => r.id));
      for (const r of batch) {
        const counts = purged.get(r.id);
        if (!counts) continue;
        await recordAudit(auditQueryFromOrm(tx), who, { action: "run.purge", subject: { kind: "run", id: r.id }, projectId: r.project_id, before: { name: r.name }, after: { ...counts, reason: "retention" } });
      }
      forgetRuns(ctx, purged.keys());
      return purged.size;
    });
    runs += n;
    if (n < EXPIRED_RUNS_PER_TX) break;
  }
  return { runs, projects };
}
