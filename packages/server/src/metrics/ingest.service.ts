import { type LogMetricsResult, type MetricColumns } from "@cairn/core";
import { sql } from "drizzle-orm";
import { rows, type Executor } from "../db/client.js";
import { DEADLOCK_DETECTED, FOREIGN_KEY_VIOLATION, pgErrorCode, UNIQUE_VIOLATION } from "../db/errors.js";
import { nullableNumArray, numArray, textArray } from "../db/pg-array.js";
import { NotFoundError } from "../http/errors.js";
import { isUuid } from "@cairn/core";
import { touchRun } from "../runs/runs.service.js";
import type { ServerContext } from "../server-context.js";
import { rollup, summarise, type PointColumns } from "./aggregate.js";

/** Series ids for the batch's keys, creating series on first sight (one statement). */
async function resolveSeries(ctx: ServerContext, runId: string, keys: string[]): Promise<Map<string, number>> {
  const ids = new Map<string, number>();
  const missing: string[] = [];
  for (const k of keys) {
    const id = ctx.seriesIds.get(runId, k);
    if (id === undefined) missing.push(k);
    else ids.set(k, id);
  }
  if (missing.length === 0) return ids;
  const remember = (found: Array<{ id: number; key: string }>) => {
    for (const r of found) {
      ids.set(r.key, Number(r.id));
      ctx.seriesIds.set(runId, r.key, Number(r.id));
    }
  };
  try {
    const found = await rows<{ id: number; key: string }>(
      ctx.db.orm,
      sql`with ins as (
            insert into metric_series (run_id, key)
            select ${runId}::uuid, k from unnest(${textArray(missing)}::text[]) as k
            on conflict (run_id, key) do nothing
            returning id, key)
          select id, key from ins
          union all
          select id, key from metric_series where run_id = ${runId}::uuid and key = any(${textArray(missing)}::text[])`,
    );
    remember(found);
    // A concurrent batch may have created some of these series after this statement's
    // snapshot was taken: ON CONFLICT skipped them and the SELECT could not see them yet.
    // A new statement has a new snapshot and sees them committed.
    const late = missing.filter((k) => !ids.has(k));
    if (late.length > 0) {
      remember(await rows<{ id: number; key: string }>(
        ctx.db.orm,
        sql`select id, key from metric_series where run_id = ${runId}::uuid and key = any(${textArray(late)}::text[])`,
      ));
    }
  } catch (e) {
    if (pgErrorCode(e) === FOREIGN_KEY_VIOLATION) throw new NotFoundError("run", runId);
    throw e;
  }
  const unresolved = missing.filter((k) => !ids.has(k));
  if (unresolved.length > 0) throw new Error(`metric series not resolved for ${unresolved.length} keys`);
  return ids;
}

function toColumns(batch: MetricColumns, ids: Map<string, number>, now: number): PointColumns {
  const n = batch.length;
  const seriesOfKey = Int32Array.from(batch.keys, (k) => ids.get(k)!);
  const cols: PointColumns = { series: new Int32Array(n), steps: batch.steps, values: batch.values, ts: batch.timestamps, length: n };
  for (let i = 0; i < n; i++) {
    cols.series[i] = seriesOfKey[batch.keyIndex[i]!]!;
    if (cols.ts[i] !== cols.ts[i]) cols.ts[i] = now; // NaN: the client sent no timestamp
  }
  return cols;
}

function columnsOf(list: Array<{ series_id: number | string; step: number | string; value: number | string; ts: number | string }>): PointColumns {
  const n = list.length;
  const cols: PointColumns = { series: new Int32Array(n), steps: new Float64Array(n), values: new Float64Array(n), ts: new Float64Array(n), length: n };
  list.forEach((r, i) => {
    cols.series[i] = Number(r.series_id);
    cols.steps[i] = Number(r.step);
    cols.values[i] = Number(r.value);
    cols.ts[i] = Number(r.ts);
  });
  return cols;
}

/** Summary and rollups advance by exactly the points that were newly stored. */
async function applyAggregates(tx: Executor, cols: PointColumns): Promise<void> {
  if (cols.length === 0) return;
  const s = summarise(cols);
  await tx.execute(sql`
    update metric_series m set
      count = m.count + u.n,
      min = least(m.min, u.mn),
      max = greatest(m.max, u.mx),
      last = case when m.last_step is null or u.ls >= m.last_step then u.lv else m.last end,
      last_ts = case when m.last_step is null or u.ls >= m.last_step then u.lt else m.last_ts end,
      last_step = greatest(m.last_step, u.ls)
    from unnest(${numArray(s.ids)}::int4[], ${numArray(s.counts)}::int8[], ${nullableNumArray(s.mins)}::float8[],
                ${nullableNumArray(s.maxs)}::float8[], ${numArray(s.lastSteps)}::int8[], ${numArray(s.lastValues)}::float8[],
                ${numArray(s.lastTs)}::int8[]) as u(id, n, mn, mx, ls, lv, lt)
    where m.id = u.id`);
  const r = rollup(cols);
  const better = (cmp: string, col: string) =>
    sql.raw(`case when excluded.${cmp} is not null and (r.${cmp} is null or excluded.${cmp} ${cmp === "min" ? "<" : ">"} r.${cmp}) then excluded.${col} else r.${col} end`);
  await tx.execute(sql`
    insert into metric_rollups as r (series_id, level, bucket, count, min, min_step, min_ts, max, max_step, max_ts)
    select * from unnest(${numArray(r.series)}::int4[], ${numArray(r.levels)}::int2[], ${numArray(r.buckets)}::int8[],
      ${numArray(r.counts)}::int4[], ${nullableNumArray(r.mins)}::float8[], ${nullableNumArray(r.minSteps)}::int8[],
      ${nullableNumArray(r.minTs)}::int8[], ${nullableNumArray(r.maxs)}::float8[], ${nullableNumArray(r.maxSteps)}::int8[],
      ${nullableNumArray(r.maxTs)}::int8[])
    on conflict (series_id, level, bucket) do update set
      count = r.count + excluded.count,
      min_step = ${better("min", "min_step")}, min_ts = ${better("min", "min_ts")}, min = ${better("min", "min")},
      max_step = ${better("max", "max_step")}, max_ts = ${better("max", "max_ts")}, max = ${better("max", "max")}`);
}

/**
 * Writes one validated batch in one transaction. The common case is a plain bulk
 * insert; when a point already exists (a retried batch) the insert is redone with
 * ON CONFLICT DO NOTHING and only the new points advance summaries and rollups, so a
 * replay never double-counts.
 */
export async function ingestMetrics({ ctx, runId, batch }: { ctx: ServerContext; runId: string; batch: MetricColumns }): Promise<LogMetricsResult> {
  if (!isUuid(runId)) throw new NotFoundError("run", runId);
  const ids = await resolveSeries(ctx, runId, batch.keys);
  const cols = toColumns(batch, ids, Date.now());
  const arrays = sql`unnest(${numArray(cols.series)}::int4[], ${numArray(cols.steps)}::int8[], ${numArray(cols.values)}::float8[], ${numArray(cols.ts)}::int8[])`;

  for (let attempt = 1; ; attempt++) {
    try {
      const written = await ctx.db.orm.transaction(async (tx) => {
        try {
          await tx.transaction(async (sp) => {
            await sp.execute(sql`insert into metric_points (series_id, step, value, ts) select * from ${arrays}`);
          });
          await applyAggregates(tx, cols);
          return cols.length;
        } catch (e) {
          if (pgErrorCode(e) !== UNIQUE_VIOLATION) throw e;
        }
        const fresh = await rows<{ series_id: number; step: number; value: number; ts: number }>(
          tx,
          sql`insert into metric_points (series_id, step, value, ts) select * from ${arrays}
              on conflict (series_id, step) do nothing returning series_id, step::float8 as step, value, ts::float8 as ts`,
        );
        await applyAggregates(tx, columnsOf(fresh));
        return fresh.length;
      });
      await touchRun(ctx, runId);
      return { accepted: cols.length, written, duplicates: cols.length - written };
    } catch (e) {
      // Concurrent batches of one run touch the same summary rows; PostgreSQL may pick one as a deadlock victim.
      if (pgErrorCode(e) === DEADLOCK_DETECTED && attempt < 5) continue;
      throw e;
    }
  }
}

