import { downsampleMinMaxColumns, fromMetricNumber, type MetricHistoriesQuery, type MetricHistorySelector } from "@cairn/core";
import { sql } from "drizzle-orm";
import { authorizeRun } from "../auth/access.js";
import type { Actor } from "../auth/actor.js";
import { rows, type Executor } from "../db/client.js";
import { HttpError, NotFoundError } from "../http/errors.js";
import type { ServerContext } from "../server-context.js";
import { ROLLUP_WIDTHS } from "./aggregate.js";
import { chooseLevel } from "./history.service.js";

/**
 * Many histories in a handful of statements, whatever the number of series: one looks up
 * every series, one counts the zoomed ranges, one reads every raw range and one per 16
 * series reads the rollup ranges. Each statement aggregates per series into JSON text inside PostgreSQL, so
 * the driver decodes a few strings per series rather than a row object per point (on
 * PGlite, decoding 78,000 rollup rows as objects cost more than the SQL itself), and
 * V8's JSON.parse turns them into number arrays. Answers what `getMetricHistory` answers
 * for each series, already serialised.
 */
export async function getMetricHistories({ ctx, actor, query }: { ctx: ServerContext; actor: Actor; query: Required<MetricHistoriesQuery> }): Promise<string> {
  const db = ctx.db.orm;
  const wanted = query.series.map((s) => ({ ...s, runId: s.runId.toLowerCase() }));
  await authorizeRuns(ctx, actor, wanted);
  const found = await lookupSeries(db, wanted);
  const n = query.maxPoints;

  const plans: Plan[] = wanted.map((s, i) => {
    const series = found[i];
    // authorizeRuns has already answered 404 for a missing run: here only the key is missing.
    if (!series || series.count === 0) throw withField(new NotFoundError("metric", s.key), `series[${i}].key`);
    const from = s.fromStep ?? 0;
    const to = Math.min(s.toStep ?? Number.MAX_SAFE_INTEGER, series.lastStep);
    const whole = s.fromStep === undefined && s.toStep === undefined;
    return { i, id: series.id, from, to, whole, count: whole ? series.count : -1, raw: [], rollup: undefined };
  });

  // A zoomed range counts its points (up to maxPoints + 1) to choose full resolution or rollups.
  const zoomed = plans.filter((p) => !p.whole && p.to >= p.from);
  if (zoomed.length > 0) {
    const counts = await rows<{ i: number; n: number }>(
      db,
      sql`select r.i::int as i,
                 (select count(*)::int from (select 1 from metric_points where series_id = r.id and step between r.f and r.t limit r.lim) x) as n
          from unnest(${ints(zoomed.map((p) => p.i))}::int[], ${ints(zoomed.map((p) => p.id))}::int[], ${ints(zoomed.map((p) => p.from))}::int8[],
                      ${ints(zoomed.map((p) => p.to))}::int8[], ${ints(zoomed.map(() => n + 1))}::int8[]) as r(i, id, f, t, lim)`,
    );
    for (const c of counts) plans[Number(c.i)]!.count = Number(c.n);
  }

  const rawRanges: RawRange[] = [];
  const addRaw = (p: Plan, from: number, to: number) => {
    p.raw.push(rawRanges.length);
    rawRanges.push({ id: p.id, from, to });
  };
  for (const p of plans) {
    if (p.to < p.from) continue;
    if (p.count <= n) {
      addRaw(p, p.from, p.to);
      continue;
    }
    const level = chooseLevel(p.to - p.from + 1, p.whole ? p.count : Number.MAX_SAFE_INTEGER, n);
    const w = ROLLUP_WIDTHS[level - 1]!;
    const firstFull = Math.ceil(p.from / w);
    const lastFull = Math.floor((p.to + 1) / w) - 1;
    if (firstFull > lastFull) {
      addRaw(p, p.from, p.to);
    } else {
      if (p.from < firstFull * w) addRaw(p, p.from, firstFull * w - 1);
      if ((lastFull + 1) * w <= p.to) addRaw(p, (lastFull + 1) * w, p.to);
      p.rollup = { level, firstFull, lastFull };
    }
  }
  const [raw, rolled] = await Promise.all([readRawRanges(db, rawRanges), readRollups(db, plans)]);

  const parts = plans.map((p) => {
    const s = wanted[p.i]!;
    const head = `{"runId":${JSON.stringify(s.runId)},"key":${JSON.stringify(s.key)},`;
    if (p.to < p.from) return `${head}"downsampled":false,"total":0,"steps":[],"values":[],"timestamps":[]}`;
    if (p.count <= n) {
      // Full resolution: the JSON arrays go out as PostgreSQL wrote them (as the single-key read does).
      const r = raw[p.raw[0]!]!;
      return `${head}"downsampled":false,"total":${r.n},"steps":${r.steps ?? "[]"},"values":${r.vals ?? "[]"},"timestamps":${r.ts ?? "[]"}}`;
    }
    const ranges = p.raw.map((j) => parseRaw(raw[j]!));
    const buckets = p.rollup ? rolled.get(p.i) : undefined;
    const cols = mergeColumns(ranges, buckets);
    const out = downsampleMinMaxColumns(cols, p.from, p.to, n);
    const total = ranges.reduce((t, r) => t + r.steps.length, 0) + (buckets?.total ?? 0);
    return `${head}"downsampled":true,"total":${total},"steps":${JSON.stringify(out.steps)},"values":${JSON.stringify(out.values.map(fromMetricNumber))},"timestamps":${JSON.stringify(out.timestamps)}}`;
  });
  return `{"histories":[${parts.join(",")}]}`;
}

interface Plan {
  /** Position in the request. */
  i: number;
  id: number;
  from: number;
  to: number;
  whole: boolean;
  /** Points in [from, to] (a zoomed range counts at most maxPoints + 1). */
  count: number;
  /** Indexes into the raw ranges read for this series. */
  raw: number[];
  rollup: { level: number; firstFull: number; lastFull: number } | undefined;
}

interface RawRange {
  id: number;
  from: number;
  to: number;
}

interface RawJson {
  n: number;
  steps: string | null;
  vals: string | null;
  ts: string | null;
}

interface RollupColumns {
  total: number;
  length: number;
  min: Float64Array;
  minStep: Float64Array;
  minTs: Float64Array;
  max: Float64Array;
  maxStep: Float64Array;
  maxTs: Float64Array;
}

/** Numbers as decimal strings: an `int8[]` parameter reads them exactly on both drivers, past 2^53 included. */
const ints = (xs: number[]) => sql.param(xs.map((x) => String(x)));

/** Attaches the failing field to an error (the batch names which series), keeping its class for the audit of denials. */
function withField<E extends HttpError>(e: E, path: string): E {
  Object.assign(e, { errors: [{ path, message: e.message }] });
  return e;
}

/** Each run once, in request order; a refusal names the first series of that run. */
async function authorizeRuns(ctx: ServerContext, actor: Actor, wanted: MetricHistorySelector[]): Promise<void> {
  const seen = new Set<string>();
  for (let i = 0; i < wanted.length; i++) {
    const runId = wanted[i]!.runId;
    if (seen.has(runId)) continue;
    seen.add(runId);
    try {
      await authorizeRun(ctx, actor, runId, "reader");
    } catch (e) {
      throw e instanceof HttpError ? withField(e, `series[${i}].runId`) : e;
    }
  }
}

async function lookupSeries(db: Executor, wanted: MetricHistorySelector[]): Promise<Array<{ id: number; count: number; lastStep: number } | undefined>> {
  const found = await rows<{ i: number; id: number; count: number | string; last_step: number | string | null }>(
    db,
    sql`select (r.i - 1)::int as i, s.id, s.count::float8 as count, s.last_step::float8 as last_step
        from unnest(${sql.param(wanted.map((s) => s.runId))}::uuid[], ${sql.param(wanted.map((s) => s.key))}::text[]) with ordinality as r(run_id, key, i)
        join metric_series s on s.run_id = r.run_id and s.key = r.key`,
  );
  const out: Array<{ id: number; count: number; lastStep: number } | undefined> = new Array(wanted.length);
  for (const r of found) out[Number(r.i)] = { id: Number(r.id), count: Number(r.count), lastStep: Number(r.last_step ?? 0) };
  return out;
}

/** Every raw range in one statement, each as JSON arrays built by PostgreSQL (non-finite values as the API's strings). */
async function readRawRanges(db: Executor, ranges: RawRange[]): Promise<RawJson[]> {
  if (ranges.length === 0) return [];
  const found = await rows<RawJson & { j: number }>(
    db,
    sql`select (r.j - 1)::int as j, x.n, x.steps, x.vals, x.ts
        from unnest(${ints(ranges.map((r) => r.id))}::int[], ${ints(ranges.map((r) => r.from))}::int8[], ${ints(ranges.map((r) => r.to))}::int8[]) with ordinality as r(id, f, t, j)
        cross join lateral (
          select count(*)::int as n, json_agg(step)::text as steps,
                 json_agg(case when value = 'NaN'::float8 then to_json('NaN'::text)
                               when value = 'Infinity'::float8 then to_json('Infinity'::text)
                               when value = '-Infinity'::float8 then to_json('-Infinity'::text)
                               else to_json(value) end)::text as vals,
                 json_agg(ts)::text as ts
          from (select step, value, ts from metric_points where series_id = r.id and step between r.f and r.t order by step) p) x`,
  );
  const out: RawJson[] = new Array(ranges.length);
  for (const r of found) out[Number(r.j)] = { n: Number(r.n), steps: r.steps, vals: r.vals, ts: r.ts };
  return out;
}

/** Series per rollup statement: on PostgreSQL the statements run side by side on the pool (PGlite takes them in turn). */
const ROLLUP_CHUNK = 16;

/** Every series' rollup range in a few statements, each column as one JSON array per series. */
async function readRollups(db: Executor, plans: Plan[]): Promise<Map<number, RollupColumns>> {
  const rolled = plans.filter((p) => p.rollup);
  const out = new Map<number, RollupColumns>();
  const chunks: Plan[][] = [];
  for (let i = 0; i < rolled.length; i += ROLLUP_CHUNK) chunks.push(rolled.slice(i, i + ROLLUP_CHUNK));
  await Promise.all(chunks.map((chunk) => readRollupChunk(db, chunk, out)));
  return out;
}

async function readRollupChunk(db: Executor, rolled: Plan[], out: Map<number, RollupColumns>): Promise<void> {
  const found = await rows<{ i: number; total: number | string; min: string | null; min_step: string | null; min_ts: string | null; max: string | null; max_step: string | null; max_ts: string | null }>(
    db,
    sql`select r.i::int as i, x.*
        from unnest(${ints(rolled.map((p) => p.i))}::int[], ${ints(rolled.map((p) => p.id))}::int[], ${ints(rolled.map((p) => p.rollup!.level))}::int[],
                    ${ints(rolled.map((p) => p.rollup!.firstFull))}::int8[], ${ints(rolled.map((p) => p.rollup!.lastFull))}::int8[]) as r(i, id, lvl, b0, b1)
        cross join lateral (
          select coalesce(sum(count), 0)::float8 as total, json_agg(coalesce(min, 'NaN'::float8))::text as min, json_agg(min_step)::text as min_step, json_agg(min_ts)::text as min_ts,
                 json_agg(coalesce(max, 'NaN'::float8))::text as max, json_agg(max_step)::text as max_step, json_agg(max_ts)::text as max_ts
          from metric_rollups where series_id = r.id and level = r.lvl and bucket between r.b0 and r.b1) x`,
  );
  for (const r of found) {
    const min = numbers(r.min);
    out.set(Number(r.i), {
      total: Number(r.total),
      length: min.length,
      min,
      minStep: numbers(r.min_step),
      minTs: numbers(r.min_ts),
      max: numbers(r.max),
      maxStep: numbers(r.max_step),
      maxTs: numbers(r.max_ts),
    });
  }
}

/**
 * A JSON array of numbers into a typed array, converted natively (no loop in JS): the
 * strings PostgreSQL writes for non-finite values ("NaN", "Infinity", "-Infinity") convert
 * to those numbers, which is why the SQL turns a null extreme (a bucket of NaNs only) into
 * NaN, which the downsampler skips.
 */
function numbers(json: string | null): Float64Array {
  return json === null ? new Float64Array(0) : new Float64Array(JSON.parse(json) as ArrayLike<number>);
}

function parseRaw(r: RawJson): { steps: Float64Array; values: Float64Array; ts: Float64Array } {
  return { steps: numbers(r.steps), values: numbers(r.vals), ts: numbers(r.ts) };
}

/** Raw points (min = max) and rollup buckets as one set of columns for the downsampler. */
function mergeColumns(ranges: Array<{ steps: Float64Array; values: Float64Array; ts: Float64Array }>, buckets: RollupColumns | undefined) {
  const length = ranges.reduce((t, r) => t + r.steps.length, 0) + (buckets?.length ?? 0);
  const cols = { length, minStep: new Float64Array(length), min: new Float64Array(length), minTs: new Float64Array(length), maxStep: new Float64Array(length), max: new Float64Array(length), maxTs: new Float64Array(length) };
  let at = 0;
  for (const r of ranges) {
    cols.minStep.set(r.steps, at); cols.maxStep.set(r.steps, at);
    cols.min.set(r.values, at); cols.max.set(r.values, at);
    cols.minTs.set(r.ts, at); cols.maxTs.set(r.ts, at);
    at += r.steps.length;
  }
  if (buckets) {
    cols.minStep.set(buckets.minStep, at); cols.maxStep.set(buckets.maxStep, at);
    cols.min.set(buckets.min, at); cols.max.set(buckets.max, at);
    cols.minTs.set(buckets.minTs, at); cols.maxTs.set(buckets.maxTs, at);
  }
  return cols;
}
