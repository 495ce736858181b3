import type { MetricSummary, MetricValue, Params, Run, RunEnvironment, RunSource, RunStatus, Tags } from "@cairn/core";
import { sql, type SQL } from "drizzle-orm";
import { isUuid } from "@cairn/core";
import { rows, type Executor } from "../db/client.js";
import { NotFoundError } from "../http/errors.js";

/**
 * Raw run rows come back from two drivers that disagree on timestamps and int8, so we
 * select timestamps as epoch milliseconds (float8) and map them here, once.
 */
export const RUN_COLUMNS = sql.raw(`r.id::text as id, r.project_id::text as project_id, r.name, r.status,
  r.parent_id::text as parent_id, r.notes, r.tags, r.params, r.source, r.environment,
  r.retrained_from::text as retrained_from,
  (extract(epoch from r.deleted_at) * 1000)::float8 as deleted_ms,
  (extract(epoch from r.created_at) * 1000)::float8 as created_ms,
  (extract(epoch from r.started_at) * 1000)::float8 as started_ms,
  (extract(epoch from r.ended_at) * 1000)::float8 as ended_ms,
  (extract(epoch from r.heartbeat_at) * 1000)::float8 as heartbeat_ms`);

export interface RunRow {
  id: string;
  project_id: string;
  name: string;
  status: string;
  parent_id: string | null;
  notes: string;
  tags: Tags | string;
  params: Params | string;
  source: RunSource | string | null;
  environment: RunEnvironment | string | null;
  retrained_from: string | null;
  deleted_ms: number | string | null;
  created_ms: number | string;
  started_ms: number | string;
  ended_ms: number | string | null;
  heartbeat_ms: number | string;
}


const iso = (ms: number | string) => new Date(Number(ms)).toISOString();
const json = <T>(v: T | string): T => (typeof v === "string" ? (JSON.parse(v) as T) : v);

export function toRun(row: RunRow, metrics: Record<string, MetricSummary>): Run {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    status: row.status as RunStatus,
    parentId: row.parent_id,
    notes: row.notes,
    tags: json(row.tags),
    params: json(row.params),
    createdAt: iso(row.created_ms),
    startedAt: iso(row.started_ms),
    endedAt: row.ended_ms === null ? null : iso(row.ended_ms),
    heartbeatAt: iso(row.heartbeat_ms),
    source: row.source === null ? null : json(row.source),
    environment: row.environment === null ? null : json(row.environment),
    retrainedFrom: row.retrained_from,
    deletedAt: row.deleted_ms === null ? null : iso(row.deleted_ms),
    metrics,
  };
}


/**
 * Metric summaries of many runs in one query, one row per run: the summaries are
 * folded into JSON by PostgreSQL, which is far cheaper for either driver than one
 * row object per (run, key). Non-finite floats travel as strings.
 */
export async function loadSummaries(db: Executor, runIds: string[]): Promise<Map<string, Record<string, MetricSummary>>> {
  const out = new Map<string, Record<string, MetricSummary>>();
  for (const id of runIds) out.set(id, {});
  if (runIds.length === 0) return out;
  const f = (col: string) => sql.raw(`case when ${col} is null then null when ${col} in ('NaN', 'Infinity', '-Infinity') then to_json(${col}::text) else to_json(${col}) end`);
  const list = await rows<{ run_id: string; summaries: string }>(
    db,
    sql`select run_id::text as run_id,
          json_agg(json_build_array(key, count, ${f("last")}, ${f("min")}, ${f("max")}, last_step, last_ts) order by key)::text as summaries
        from metric_series where run_id = any(${sql.param(runIds)}::uuid[]) and count > 0 group by run_id`,
  );
  for (const { run_id, summaries } of list) {
    const target = out.get(run_id)!;
    for (const [key, count, last, min, max, lastStep, lastTs] of JSON.parse(summaries) as Array<[string, number, MetricValue | null, MetricValue | null, MetricValue | null, number | null, number | null]>) {
      target[key] = { key, count, last: last ?? "NaN", min, max, lastStep: lastStep ?? 0, lastTimestamp: lastTs ?? 0 };
    }
  }
  return out;
}

/**
 * A run is live when neither it nor its project is soft-deleted (`r` is the runs alias).
 * Reads and writes check this in their own SQL, so a run deleted through another replica
 * is refused even where that replica's run → project cache still knows it.
 */
export const LIVE_RUN_TEXT = `(r.deleted_at is null and exists (select 1 from projects lp where lp.id = r.project_id and lp.deleted_at is null))`;
export const LIVE_RUN = sql.raw(LIVE_RUN_TEXT);

/** Deleted runs are not found unless `includeDeleted` (restore, purge, `?includeDeleted=true`). */
export async function loadRunRow(db: Executor, runId: string, forUpdate = false, includeDeleted = false): Promise<RunRow | undefined> {
  const lock: SQL = forUpdate ? sql` for update of r` : sql``;
  const live: SQL = includeDeleted ? sql`` : sql` and ${LIVE_RUN}`;
  const [row] = await rows<RunRow>(db, sql`select ${RUN_COLUMNS} from runs r where r.id = ${runId}::uuid${live}${lock}`);
  return row;
}

export async function requireRunRow(db: Executor, runId: string, forUpdate = false, includeDeleted = false): Promise<RunRow> {
  if (!isUuid(runId)) throw new NotFoundError("run", runId);
  const row = await loadRunRow(db, runId, forUpdate, includeDeleted);
  if (!row) throw new NotFoundError("run", runId);
  return row;
}
