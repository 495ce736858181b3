import type { LogMetricsResult, MetricColumns } from "@cairn/core";
import { sql } from "drizzle-orm";
import { rows } from "../db/client.js";
import { auditQueryFromBulk, recordAudits } from "../audit/audit.service.js";
import type { BulkTx } from "../db/bulk.js";
import { FOREIGN_KEY_VIOLATION, pgErrorCode, withDeadlockRetry } from "../db/errors.js";
import { nullableNumArray, numArray, textArray } from "../db/pg-array.js";
import { NotFoundError } from "../http/errors.js";
import { touchRun } from "../runs/runs.service.js";
import { LIVE_RUN_TEXT } from "../runs/run-rows.js";
import { authorizeRun } from "../auth/access.js";
import type { Actor } from "../auth/actor.js";
import type { ServerContext } from "../server-context.js";
import { newPointColumns, rollup, summarise, type PointColumns } from "./aggregate.js";
import { encodePointsBinary } from "./copy-encode.js";

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
  const cols = newPointColumns(n);
  list.forEach((r, i) => {
    cols.series[i] = Number(r.series_id);
    cols.steps[i] = Number(r.step);
    cols.values[i] = Number(r.value);
    cols.ts[i] = Number(r.ts);
  });
  return cols;
}

/** The statement and parameters that advance summaries and rollups by `cols`, computed outside any lock. */
function prepareAggregates(cols: PointColumns): { text: string; params: string[] } | undefined {
  if (cols.length === 0) return undefined;
  const s = summarise(cols);
  const r = rollup(cols);
  const better = (cmp: "min" | "max", col: string) =>
    `case when excluded.${cmp} is not null and (r.${cmp} is null or excluded.${cmp} ${cmp === "min" ? "<" : ">"} r.${cmp}) then excluded.${col} else r.${col} end`;
  // One statement for both tables: one round trip less inside the locked section.
  const text = `with summary as (
      update metric_series m set
        count = m.count + u.n,
        min = least(m.min, u.mn),
        max = greatest(m.max, u.mx),
        last = case when m.last_step is null or u.ls >= m.last_step then u.lv else m.last end,
        last_ts = case when m.last_step is null or u.ls >= m.last_step then u.lt else m.last_ts end,
        last_step = greatest(m.last_step, u.ls)
      from unnest($1::int4[], $2::int8[], $3::float8[], $4::float8[], $5::int8[], $6::float8[], $7::int8[]) as u(id, n, mn, mx, ls, lv, lt)
      where m.id = u.id
      returning 1)
    insert into metric_rollups as r (series_id, level, bucket, count, min, min_step, min_ts, max, max_step, max_ts)
    select * from unnest($8::int4[], $9::int2[], $10::int8[], $11::int4[], $12::float8[], $13::int8[], $14::int8[], $15::float8[], $16::int8[], $17::int8[])
    on conflict (series_id, level, bucket) do update set
      count = r.count + excluded.count,
      min_step = ${better("min", "min_step")}, min_ts = ${better("min", "min_ts")}, min = ${better("min", "min")},
      max_step = ${better("max", "max_step")}, max_ts = ${better("max", "max_ts")}, max = ${better("max", "max")}`;
  return {
    text,
    params: [
      numArray(s.ids), numArray(s.counts), nullableNumArray(s.mins), nullableNumArray(s.maxs), numArray(s.lastSteps), numArray(s.lastValues), numArray(s.lastTs),
      numArray(r.series), numArray(r.levels), numArray(r.buckets), numArray(r.counts), nullableNumArray(r.mins), nullableNumArray(r.minSteps),
      nullableNumArray(r.minTs), nullableNumArray(r.maxs), nullableNumArray(r.maxSteps), nullableNumArray(r.maxTs),
    ],
  };
}

async function applyAggregates(tx: BulkTx, prepared: { text: string; params: string[] } | undefined): Promise<void> {
  if (prepared) await tx.query(prepared.text, prepared.params);
}

interface SeriesRange {
  ids: number[];
  minSteps: number[];
  maxSteps: number[];
  /** False when some key repeats or goes back a step inside the batch. */
  increasing: boolean;
}

function rangesOf(cols: PointColumns): SeriesRange {
  const lo = new Map<number, number>();
  const hi = new Map<number, number>();
  let increasing = true;
  for (let i = 0; i < cols.length; i++) {
    const id = cols.series[i]!;
    const step = cols.steps[i]!;
    const last = hi.get(id);
    if (last === undefined) lo.set(id, step);
    else if (step <= last) increasing = false;
    if (last === undefined || step > last) hi.set(id, step);
    if (step < lo.get(id)!) lo.set(id, step);
  }
  const ids = [...lo.keys()].sort((a, b) => a - b);
  return { ids, minSteps: ids.map((id) => lo.get(id)!), maxSteps: ids.map((id) => hi.get(id)!), increasing };
}

/**
 * Locks the series rows (in id order; every writer takes them before writing points, so
 * nothing can appear between a check below and the write) and returns each one's last
 * stored step (-1 when empty). Liveness is checked here, under the locks, not only by
 * authorizeRun: another replica may have deleted the run (its cache here is stale) or a
 * purge may have removed the series while this batch waited; either way nothing is written.
 */
async function lockSeries(tx: BulkTx, ids: number[], runId: string): Promise<Map<number, number>> {
  const locked = await tx.query<{ id: number; last_step: number | string | null }>(
    `select s.id, s.last_step::float8 as last_step from metric_series s join runs r on r.id = s.run_id
     where s.id = any($1::int4[]) and ${LIVE_RUN_TEXT} order by s.id for update of s`,
    [numArray(ids)],
  );
  if (locked.length < ids.length) throw new NotFoundError("run", runId);
  return new Map(locked.map((l) => [Number(l.id), l.last_step === null ? -1 : Number(l.last_step)]));
}

/** Whether some point of the ranges is already stored: an index probe per series, never a history scan. */
async function anyPointIn(tx: BulkTx, r: SeriesRange): Promise<boolean> {
  const [hit] = await tx.query<{ n: number }>(
    `select count(*)::int as n from unnest($1::int4[], $2::int8[], $3::int8[]) as r(id, lo, hi)
     where exists (select 1 from metric_points p where p.series_id = r.id and p.step between r.lo and r.hi)`,
    [numArray(r.ids), numArray(r.minSteps), numArray(r.maxSteps)],
  );
  return Number(hit?.n ?? 0) > 0;
}

/** Whether COPY can store the points without meeting an existing one (the caller holds the series locks). */
async function copyIsSafe(tx: BulkTx, r: SeriesRange, lastStep: Map<number, number>): Promise<boolean> {
  if (!r.increasing) return false;
  if (r.ids.every((id, i) => r.minSteps[i]! > lastStep.get(id)!)) return true; // new steps only: the common case
  return !(await anyPointIn(tx, r));
}

function concatColumns(list: PointColumns[]): PointColumns {
  if (list.length === 1) return list[0]!;
  const n = list.reduce((a, c) => a + c.length, 0);
  const out = newPointColumns(n);
  let at = 0;
  for (const c of list) {
    out.series.set(c.series.subarray(0, c.length), at);
    out.steps.set(c.steps.subarray(0, c.length), at);
    out.values.set(c.values.subarray(0, c.length), at);
    out.ts.set(c.ts.subarray(0, c.length), at);
    at += c.length;
  }
  return out;
}

/** One metrics request waiting to be written: its points and who sent them (for the audit log). */
export interface MetricJob {
  runId: string;
  projectId: string;
  actor: Actor;
  cols: PointColumns;
}

/** Bulk writes are audited per request, as a count, in the transaction that stores them. */
async function auditJobs(tx: BulkTx, jobs: ReadonlyArray<{ job: MetricJob; written: number }>): Promise<void> {
  await recordAudits(
    auditQueryFromBulk(tx),
    jobs.map(({ job, written }) => ({
      actor: job.actor,
      event: { action: "metrics.log", subject: { kind: "run", id: job.runId }, projectId: job.projectId, after: { points: job.cols.length, written } },
    })),
  );
}

/**
 * The idempotent path (a retried batch, or steps logged out of order): ON CONFLICT DO
 * NOTHING; returns the points actually stored, so only they advance summaries and rollups
 * and a replay never double-counts.
 */
async function insertSkippingDuplicates(tx: BulkTx, cols: PointColumns): Promise<PointColumns> {
  const fresh = await tx.query<{ series_id: number; step: number; value: number; ts: number }>(
    `insert into metric_points (series_id, step, value, ts)
     select * from unnest($1::int4[], $2::int8[], $3::float8[], $4::int8[])
     on conflict (series_id, step) do nothing
     returning series_id, step::float8 as step, value, ts::float8 as ts`,
    [numArray(cols.series), numArray(cols.steps), numArray(cols.values), numArray(cols.ts)],
  );
  return columnsOf(fresh);
}

/** One request's points by COPY when none of them can exist yet, else by the idempotent path; returns what it stored. */
async function writeOne(tx: BulkTx, cols: PointColumns): Promise<PointColumns> {
  const ranges = rangesOf(cols);
  if (ranges.increasing && !(await anyPointIn(tx, ranges))) {
    await tx.copyBinary("metric_points", "series_id, step, value, ts", encodePointsBinary(cols));
    return cols;
  }
  return insertSkippingDuplicates(tx, cols);
}

/**
 * Writes requests of one run that arrived together, in one transaction; returns how many
 * points of each were new. Nearly always none of their points can exist yet: the series
 * rows are locked (in id order), summaries and rollups advance and the points go in by
 * binary COPY. Otherwise (a retried batch, steps out of order) each request is written on
 * its own, in arrival order, in the same transaction — so a replay costs one transaction
 * like its first try, and a point sent twice in one group counts for the first — and the
 * summaries and rollups advance once, by everything stored. Once matters: updating a series
 * row a second time in a transaction (a row version this transaction made) makes PostgreSQL
 * re-check its foreign key to the run, a key-share lock that waits behind a purge holding
 * the run while it waits for these series: a deadlock (deletion.test.ts races the two).
 */
export async function writeRunBatches(ctx: ServerContext, jobs: MetricJob[]): Promise<number[]> {
  const cols = concatColumns(jobs.map((j) => j.cols));
  const ranges = rangesOf(cols);
  // Encoded before the locks are taken, so they are held for the writes only.
  const fast = ranges.increasing ? { copyData: encodePointsBinary(cols), aggregates: prepareAggregates(cols) } : undefined;
  return withDeadlockRetry(() =>
    ctx.db.bulk.transaction(async (tx) => {
      const lastStep = await lockSeries(tx, ranges.ids, jobs[0]!.runId);
      let written: number[];
      if (fast && (await copyIsSafe(tx, ranges, lastStep))) {
        await applyAggregates(tx, fast.aggregates);
        await tx.copyBinary("metric_points", "series_id, step, value, ts", fast.copyData);
        written = jobs.map((j) => j.cols.length);
      } else {
        const stored: PointColumns[] = [];
        for (const job of jobs) stored.push(jobs.length === 1 ? await insertSkippingDuplicates(tx, job.cols) : await writeOne(tx, job.cols));
        await applyAggregates(tx, prepareAggregates(concatColumns(stored)));
        written = stored.map((c) => c.length);
      }
      // Last: the audit chain's lock is held until commit, so it is taken as late as possible.
      await auditJobs(tx, jobs.map((job, i) => ({ job, written: written[i]! })));
      return written;
    }),
  );
}

/**
 * Writes one validated batch. Batches of the same run that arrive while one is being
 * written are merged into the next transaction (see KeyedBatcher); each request is
 * answered after the commit that holds its points, so a 2xx means durable.
 */
export async function ingestMetrics({ ctx, actor, runId, batch }: { ctx: ServerContext; actor: Actor; runId: string; batch: MetricColumns }): Promise<LogMetricsResult> {
  const project = await authorizeRun(ctx, actor, runId, "writer");
  const ids = await resolveSeries(ctx, runId, batch.keys);
  const cols = toColumns(batch, ids, Date.now());
  const written = await ctx.metricWriter.submit(runId, { runId, projectId: project.id, actor, cols });
  ctx.ops.metricPointsIngested.inc(written);
  await touchRun(ctx, actor, runId);
  return { accepted: cols.length, written, duplicates: cols.length - written };
}
