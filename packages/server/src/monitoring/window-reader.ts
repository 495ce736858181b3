import type { WindowAggregate } from "@cairn/core";
import { sql } from "drizzle-orm";
import { type Executor, rows } from "../db/client.js";

/** Hourly aggregates by version id, then by hour start (epoch ms). */
export type HourlyAggregates = Map<string, Map<number, HourlyAggregate>>;

export interface HourlyAggregate {
  agg: WindowAggregate;
  /**
   * Identifies this content while it stays the same (the compacted row's `through_part` and
   * `updated_at`, null when uncompacted parts are merged in): what derived figures may be cached under.
   */
  stamp: string | null;
}

/**
 * Compacted windows only change when compaction merges new parts into them (their
 * `updated_at` moves), so their parsed aggregates are kept per process and re-read only
 * then: a repeated 30-day view reads just the window keys and the few uncompacted parts.
 */
const compacted = new Map<string, { version: string; agg: WindowAggregate }>();
// ~15–25 KB each once parsed (mostly the latency and score sketches): 8,000 hours is 30 days of
// about 11 model versions in ~150 MB. Older entries go first.
const COMPACTED_CACHE_MAX = 8_000;

export const hourKey = (versionId: string, start: number) => `${versionId}|${start}`;
const keyOf = hourKey;

/** Empties the cache of parsed hours (see forgetReportCaches). */
export function forgetHourlyAggregates(): void {
  compacted.clear();
}

function remember(key: string, entry: { version: string; agg: WindowAggregate }): void {
  if (compacted.size >= COMPACTED_CACHE_MAX) compacted.delete(compacted.keys().next().value!);
  compacted.set(key, entry);
}

// The profiles stay in the database: `summary` is the aggregate without them (migration 0007).
const parse = (text: string) => ({ ...(JSON.parse(text) as Omit<WindowAggregate, "profile">), profile: null }) as WindowAggregate;

/**
 * The stored hourly aggregates of some versions in [from, to): each compacted window merged
 * with the parts not folded into it yet (compaction deletes the parts it folds in the same
 * transaction), in one read-only snapshot so a compaction running meanwhile is seen wholly or
 * not at all.
 */
export async function readHourlyAggregates(
  db: Executor,
  versionIds: readonly string[],
  from: number,
  to: number,
  merge: (a: WindowAggregate, b: WindowAggregate) => WindowAggregate,
  /** Only these hours (keys `version|start`) when given: the others' figures are known already. */
  only?: ReadonlySet<string>,
): Promise<HourlyAggregates> {
  const out: HourlyAggregates = new Map(versionIds.map((id) => [id, new Map()]));
  if (versionIds.length === 0) return out;
  const ids = sql.param([...versionIds]);
  const fromTs = new Date(from).toISOString();
  const toTs = new Date(to).toISOString();
  const known = new Map<string, { version: string; agg: WindowAggregate }>();
  const inSnapshot = async (tx: Executor) => {
    let windows = await rows<{ version_id: string; start_ms: number | string; version: string }>(
      tx,
      sql`select model_version_id::text as version_id, (extract(epoch from window_start) * 1000)::float8 as start_ms, through_part::text || '/' || (extract(epoch from updated_at) * 1000000)::int8::text as version
          from prediction_windows where model_version_id = any(${ids}::uuid[]) and window_start >= ${fromTs}::timestamptz and window_start < ${toTs}::timestamptz`,
    );
    if (only) windows = windows.filter((w) => only.has(keyOf(w.version_id, Number(w.start_ms))));
    const stale = windows.filter((w) => {
      const key = keyOf(w.version_id, Number(w.start_ms));
      const hit = compacted.get(key);
      if (hit?.version !== w.version) return true;
      known.set(key, hit);
      return false;
    });
    const fresh = stale.length
      ? await rows<{ version_id: string; start_ms: number | string; version: string; summary: string }>(
          tx,
          sql`select w.model_version_id::text as version_id, (extract(epoch from w.window_start) * 1000)::float8 as start_ms, w.through_part::text || '/' || (extract(epoch from w.updated_at) * 1000000)::int8::text as version, w.summary::text as summary
              from prediction_windows w join unnest(${sql.param(stale.map((s) => s.version_id))}::uuid[], ${sql.param(stale.map((s) => new Date(Number(s.start_ms)).toISOString()))}::text[]) as k(v, s)
                on w.model_version_id = k.v and w.window_start = k.s::timestamptz`,
        )
      : [];
    let parts = await rows<{ version_id: string; start_ms: number | string; summary: string }>(
      tx,
      sql`select p.model_version_id::text as version_id, (extract(epoch from p.window_start) * 1000)::float8 as start_ms, p.summary::text as summary
          from prediction_window_parts p
          where p.model_version_id = any(${ids}::uuid[]) and p.window_start >= ${fromTs}::timestamptz and p.window_start < ${toTs}::timestamptz
          order by p.id`,
    );
    if (only) parts = parts.filter((p) => only.has(keyOf(p.version_id, Number(p.start_ms))));
    return { windows, fresh, parts };
  };
  // Inside a caller's transaction its snapshot is the one to read (isolation cannot change there).
  const inTransaction = "rollback" in db;
  const { windows, fresh, parts } = inTransaction ? await inSnapshot(db) : await db.transaction(inSnapshot, { isolationLevel: "repeatable read", accessMode: "read only" });
  for (const r of fresh) {
    const entry = { version: r.version, agg: parse(r.summary) };
    known.set(keyOf(r.version_id, Number(r.start_ms)), entry);
    remember(keyOf(r.version_id, Number(r.start_ms)), entry);
  }
  for (const w of windows) {
    const start = Number(w.start_ms);
    const key = keyOf(w.version_id, start);
    const hit = known.get(key)!;
    out.get(w.version_id)!.set(start, { agg: hit.agg, stamp: `${key}|${hit.version}` });
  }
  for (const p of parts) {
    const byHour = out.get(p.version_id)!;
    const start = Number(p.start_ms);
    const prev = byHour.get(start);
    const agg = parse(p.summary);
    byHour.set(start, { agg: prev ? merge(prev.agg, agg) : agg, stamp: null });
  }
  return out;
}

/**
 * What identifies each stored hour's content, without reading it: the compacted row's stamp
 * (as in HourlyAggregate), or null when uncompacted parts are still to be merged in. Read in
 * one snapshot, so a compaction is seen wholly or not at all.
 */
export async function readHourStamps(db: Executor, versionIds: readonly string[], from: number, to: number): Promise<Map<string, Map<number, string | null>>> {
  const out = new Map<string, Map<number, string | null>>(versionIds.map((id) => [id, new Map()]));
  if (versionIds.length === 0) return out;
  const ids = sql.param([...versionIds]);
  const fromTs = new Date(from).toISOString();
  const toTs = new Date(to).toISOString();
  const found = await rows<{ version_id: string; start_ms: number | string; version: string | null }>(
    db,
    sql`select model_version_id::text as version_id, (extract(epoch from window_start) * 1000)::float8 as start_ms,
               through_part::text || '/' || (extract(epoch from updated_at) * 1000000)::int8::text as version
          from prediction_windows where model_version_id = any(${ids}::uuid[]) and window_start >= ${fromTs}::timestamptz and window_start < ${toTs}::timestamptz
        union all
        select distinct model_version_id::text, (extract(epoch from window_start) * 1000)::float8, null
          from prediction_window_parts where model_version_id = any(${ids}::uuid[]) and window_start >= ${fromTs}::timestamptz and window_start < ${toTs}::timestamptz`,
  );
  for (const r of found) {
    const start = Number(r.start_ms);
    const byHour = out.get(r.version_id)!;
    // An hour with parts has no stable identity (null), whatever its compacted row says.
    if (r.version === null) byHour.set(start, null);
    else if (byHour.get(start) !== null) byHour.set(start, `${keyOf(r.version_id, start)}|${r.version}`);
  }
  return out;
}
