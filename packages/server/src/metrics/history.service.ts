import { downsampleMinMax, fromMetricNumber, toMetricNumber, type MetricHistory, type MetricHistoryQuery, type MetricSummaryList, type MetricValue, type MinMaxItem } from "@cairn/core";
import { sql } from "drizzle-orm";
import { rows, type Executor } from "../db/client.js";
import { NotFoundError } from "../http/errors.js";
import { loadSummaries } from "../runs/run-rows.js";
import { authorizeRun } from "../auth/access.js";
import type { Actor } from "../auth/actor.js";
import type { ServerContext } from "../server-context.js";
import { ROLLUP_WIDTHS } from "./aggregate.js";

/** A downsampled read looks at no more than this many stored rows per requested point. */
const ROWS_PER_POINT = 8;

type Num = number | string;

export async function listMetrics({ ctx, actor, runId }: { ctx: ServerContext; actor: Actor; runId: string }): Promise<MetricSummaryList> {
  await authorizeRun(ctx, actor, runId, "reader");
  const summaries = await loadSummaries(ctx.db.orm, [runId]);
  return { metrics: Object.values(summaries.get(runId) ?? {}) };
}

/**
 * Builds the three JSON arrays inside PostgreSQL from one index-ordered scan: no sort,
 * no per-row objects in either driver, and the text goes to the client as it is.
 * Non-finite values become the API's strings ("NaN", "Infinity", "-Infinity").
 */
async function readRawJson(db: Executor, seriesId: number, from: number, to: number) {
  const [r] = await rows<{ n: number; steps: string | null; vals: string | null; ts: string | null }>(
    db,
    sql`select count(*)::int as n, json_agg(step)::text as steps,
               json_agg(case when value = 'NaN'::float8 then to_json('NaN'::text)
                             when value = 'Infinity'::float8 then to_json('Infinity'::text)
                             when value = '-Infinity'::float8 then to_json('-Infinity'::text)
                             else to_json(value) end)::text as vals,
               json_agg(ts)::text as ts
        from (select step, value, ts from metric_points
              where series_id = ${seriesId} and step between ${from} and ${to} order by step) p`,
  );
  return { n: Number(r?.n ?? 0), steps: r?.steps ?? "[]", values: r?.vals ?? "[]", timestamps: r?.ts ?? "[]" };
}

async function readRaw(db: Executor, seriesId: number, from: number, to: number) {
  const j = await readRawJson(db, seriesId, from, to);
  const values = (JSON.parse(j.values) as MetricValue[]).map(toMetricNumber);
  return { steps: JSON.parse(j.steps) as number[], values, timestamps: JSON.parse(j.timestamps) as number[] };
}

async function countUpTo(db: Executor, seriesId: number, from: number, to: number, limit: number): Promise<number> {
  const [r] = await rows<{ n: number }>(
    db,
    sql`select count(*)::int as n from (select 1 from metric_points where series_id = ${seriesId} and step between ${from} and ${to} limit ${limit}) t`,
  );
  return Number(r?.n ?? 0);
}

export function chooseLevel(span: number, count: number, maxPoints: number): number {
  for (let i = 0; i < ROLLUP_WIDTHS.length; i++) {
    if (Math.min(count, Math.ceil(span / ROLLUP_WIDTHS[i]!) + 1) <= ROWS_PER_POINT * maxPoints) return i + 1;
  }
  return ROLLUP_WIDTHS.length;
}

/**
 * Full resolution when the range holds at most `maxPoints` points; otherwise whole
 * buckets come from the finest rollup level small enough to read, the partial buckets
 * at the range's edges from raw points, and the lot is merged by min/max.
 */
/** Returns the `MetricHistory` response already serialised (the raw path is JSON from SQL). */
export async function getMetricHistory({ ctx, actor, runId, key, query }: { ctx: ServerContext; actor: Actor; runId: string; key: string; query: MetricHistoryQuery }): Promise<string> {
  const db = ctx.db.orm;
  await authorizeRun(ctx, actor, runId, "reader");
  const [series] = await rows<{ id: number; count: Num; last_step: Num | null }>(
    db,
    sql`select id, count::float8 as count, last_step::float8 as last_step from metric_series where run_id = ${runId}::uuid and key = ${key}`,
  );
  // authorizeRun has already answered 404 for a missing run: here only the key is missing.
  if (!series || Number(series.count) === 0) throw new NotFoundError("metric", key);
  const id = Number(series.id);
  const from = query.fromStep ?? 0;
  const to = Math.min(query.toStep ?? Number.MAX_SAFE_INTEGER, Number(series.last_step ?? 0));
  const whole = query.fromStep === undefined && query.toStep === undefined;
  const n = query.maxPoints;
  const count = whole ? Number(series.count) : await countUpTo(db, id, from, to, n + 1);
  const out = (downsampled: boolean, total: number, c: { steps: number[]; values: number[]; timestamps: number[] }): MetricHistory => ({
    runId, key, downsampled, total, steps: c.steps, values: c.values.map(fromMetricNumber), timestamps: c.timestamps,
  });
  if (to < from) return JSON.stringify(out(false, 0, { steps: [], values: [], timestamps: [] }));
  if (count <= n) {
    const raw = await readRawJson(db, id, from, to);
    return `{"runId":${JSON.stringify(runId)},"key":${JSON.stringify(key)},"downsampled":false,"total":${raw.n},` +
      `"steps":${raw.steps},"values":${raw.values},"timestamps":${raw.timestamps}}`;
  }

  const level = chooseLevel(to - from + 1, whole ? count : Number.MAX_SAFE_INTEGER, n);
  const w = ROLLUP_WIDTHS[level - 1]!;
  const firstFull = Math.ceil(from / w);
  const lastFull = Math.floor((to + 1) / w) - 1;
  const items: MinMaxItem[] = [];
  let total = 0;
  const addRaw = (raw: { steps: number[]; values: number[]; timestamps: number[] }) => {
    total += raw.steps.length;
    raw.steps.forEach((s, i) => items.push({ minStep: s, min: raw.values[i]!, minTs: raw.timestamps[i]!, maxStep: s, max: raw.values[i]!, maxTs: raw.timestamps[i]! }));
  };
  if (firstFull > lastFull) {
    addRaw(await readRaw(db, id, from, to));
  } else {
    if (from < firstFull * w) addRaw(await readRaw(db, id, from, firstFull * w - 1));
    if ((lastFull + 1) * w <= to) addRaw(await readRaw(db, id, (lastFull + 1) * w, to));
    const buckets = await rows<{ count: Num; min: Num | null; min_step: Num | null; min_ts: Num | null; max: Num | null; max_step: Num | null; max_ts: Num | null }>(
      db,
      sql`select count, min, min_step::float8 as min_step, min_ts::float8 as min_ts, max, max_step::float8 as max_step, max_ts::float8 as max_ts
          from metric_rollups where series_id = ${id} and level = ${level} and bucket between ${firstFull} and ${lastFull}`,
    );
    for (const b of buckets) {
      total += Number(b.count);
      if (b.min === null || b.max === null) continue;
      items.push({ minStep: Number(b.min_step), min: Number(b.min), minTs: Number(b.min_ts), maxStep: Number(b.max_step), max: Number(b.max), maxTs: Number(b.max_ts) });
    }
  }
  return JSON.stringify(out(true, total, downsampleMinMax(items, from, to, n)));
}
