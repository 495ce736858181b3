import type { WindowAggregate } from "@cairn/core";
import { sql } from "drizzle-orm";
import { type Executor, rows } from "../db/client.js";

/** Hourly aggregates by version id, then by hour start (epoch ms). */
export type HourlyAggregates = Map<string, Map<number, WindowAggregate>>;

/**
 * The stored hourly aggregates of some versions in [from, to): each compacted window merged
 * with its parts written since (`id > through_part`), read in one statement so a compaction
 * running meanwhile is seen wholly or not at all. The per-feature profiles are left in the
 * database (`aggregate - 'profile'`): the report never needs them, and they are most of each
 * row's bytes.
 */
export async function readHourlyAggregates(
  db: Executor,
  versionIds: readonly string[],
  from: number,
  to: number,
  merge: (a: WindowAggregate, b: WindowAggregate) => WindowAggregate,
): Promise<HourlyAggregates> {
  const out: HourlyAggregates = new Map(versionIds.map((id) => [id, new Map()]));
  if (versionIds.length === 0) return out;
  const ids = sql.param([...versionIds]);
  const fromTs = new Date(from).toISOString();
  const toTs = new Date(to).toISOString();
  const found = await rows<{ version_id: string; start_ms: number | string; agg: string }>(
    db,
    sql`select w.model_version_id::text as version_id, (extract(epoch from w.window_start) * 1000)::float8 as start_ms, (w.aggregate - 'profile')::text as agg
        from prediction_windows w
        where w.model_version_id = any(${ids}::uuid[]) and w.window_start >= ${fromTs}::timestamptz and w.window_start < ${toTs}::timestamptz
        union all
        select p.model_version_id::text, (extract(epoch from p.window_start) * 1000)::float8, (p.aggregate - 'profile')::text
        from prediction_window_parts p
        left join prediction_windows w on w.model_version_id = p.model_version_id and w.window_start = p.window_start
        where p.model_version_id = any(${ids}::uuid[]) and p.window_start >= ${fromTs}::timestamptz and p.window_start < ${toTs}::timestamptz
          and p.id > coalesce(w.through_part, 0)`,
  );
  for (const r of found) {
    const byHour = out.get(r.version_id)!;
    const start = Number(r.start_ms);
    const agg = { ...(JSON.parse(r.agg) as Omit<WindowAggregate, "profile">), profile: null } as WindowAggregate;
    const prev = byHour.get(start);
    byHour.set(start, prev ? merge(prev, agg) : agg);
  }
  return out;
}
