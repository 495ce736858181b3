import { mergeWindowAggregates, type WindowAggregate } from "@cairn/core";
import { sql } from "drizzle-orm";
import { type Database, type Executor, rows } from "../db/client.js";
import type { BulkTx } from "../db/bulk.js";
import { textArray } from "../db/pg-array.js";

/**
 * Hourly window aggregates: every batch appends parts (one row per version and hour, never
 * updated, so concurrent batches never contend); compaction folds a window's parts into
 * its `prediction_windows` row; readers merge the compacted row with the parts still there.
 */
export const HOUR_MS = 3_600_000;
export const hourOf = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;

export interface WindowPart {
  modelVersionId: string;
  /** Epoch ms of the hour's start. */
  windowStart: number;
  aggregate: WindowAggregate;
}

/** Appends parts in one statement (inside the batch's transaction). */
export async function appendWindowParts(tx: BulkTx, parts: readonly WindowPart[]): Promise<void> {
  if (parts.length === 0) return;
  const json = JSON.stringify(parts.map((p) => ({ v: p.modelVersionId, w: new Date(p.windowStart).toISOString(), a: p.aggregate })));
  await tx.query(
    `insert into prediction_window_parts (model_version_id, window_start, aggregate)
     select (e->>'v')::uuid, (e->>'w')::timestamptz, e->'a' from jsonb_array_elements($1::text::jsonb) as e`,
    [json],
  );
}

export interface LoadOptions {
  /**
   * Leave out the per-feature profiles (the largest part of an aggregate): a report over
   * many windows only needs counts, sketches and drift bins; a feature's distribution
   * view asks for one window with them.
   */
  profiles?: boolean;
}

type AggregateRow = { version: string; start: string | Date; aggregate: WindowAggregate | string };

const parse = (a: WindowAggregate | string): WindowAggregate => (typeof a === "string" ? (JSON.parse(a) as WindowAggregate) : a);
const startMs = (s: string | Date) => (s instanceof Date ? s.getTime() : Date.parse(s));

/**
 * The hourly aggregates of these versions with window start in [from, to): version id →
 * hour start (epoch ms) → aggregate, merging each compacted window with its newer parts.
 */
export async function loadWindowAggregates(db: Database | Executor, versionIds: readonly string[], from: Date, to: Date, opts: LoadOptions = {}): Promise<Map<string, Map<number, WindowAggregate>>> {
  const out = new Map<string, Map<number, WindowAggregate>>();
  for (const v of versionIds) out.set(v, new Map());
  if (versionIds.length === 0) return out;
  const executor = "orm" in db ? db.orm : db;
  // `summary` is the aggregate without its profiles, kept by PostgreSQL as a generated column (migration 0007).
  const agg = opts.profiles ? sql.raw("aggregate") : sql.raw("summary");
  const ids = textArray([...versionIds]);
  // One statement, so one snapshot: compaction moves parts into windows in one transaction,
  // and each part is seen exactly once, folded into its window or on its own.
  const found = await rows<AggregateRow>(
    executor,
    sql`select w.model_version_id::text as version, w.window_start as start, w.${agg}::text as aggregate, 0 as part
          from prediction_windows w
          where w.model_version_id = any(${ids}::uuid[]) and w.window_start >= ${from.toISOString()}::timestamptz and w.window_start < ${to.toISOString()}::timestamptz
        union all
        select p.model_version_id::text, p.window_start, p.${agg}::text, p.id
          from prediction_window_parts p
          where p.model_version_id = any(${ids}::uuid[]) and p.window_start >= ${from.toISOString()}::timestamptz and p.window_start < ${to.toISOString()}::timestamptz
        order by part`,
  );
  for (const r of found) {
    const byWindow = out.get(r.version)!;
    const start = startMs(r.start);
    const a = parse(r.aggregate);
    a.profile ??= null;
    const prev = byWindow.get(start);
    byWindow.set(start, prev ? mergeWindowAggregates(prev, a) : a);
  }
  return out;
}

/** Windows folded per maintenance round. */
const COMPACT_BATCH = 200;
/** First key of the compaction's advisory locks (the second is a hash of the window). */
const COMPACTION_LOCK_CLASS = 0x63_6d_70; // "cmp"

/**
 * Folds waiting parts into their windows, each window in its own transaction: a try-lock
 * on the window (another server folding it is skipped, like SKIP LOCKED), then the parts
 * visible now are merged into the window row and deleted by id in the same transaction.
 * Readers therefore always see each part exactly once: in the window or as a part.
 * Returns the number of windows compacted.
 */
export async function compactWindows(db: Database, limit = COMPACT_BATCH): Promise<number> {
  const waiting = await rows<{ version: string; start: string | Date }>(
    db.orm,
    sql`select model_version_id::text as version, window_start as start from prediction_window_parts
        group by model_version_id, window_start order by min(id) limit ${limit}`,
  );
  let done = 0;
  for (const w of waiting) {
    const start = new Date(startMs(w.start)).toISOString();
    const folded = await db.orm.transaction(async (tx) => {
      const [lock] = await rows<{ ok: boolean }>(tx, sql`select pg_try_advisory_xact_lock(${COMPACTION_LOCK_CLASS}, hashtext(${`${w.version} ${start}`})) as ok`);
      if (!lock?.ok) return false;
      const parts = await rows<{ id: number | string; aggregate: WindowAggregate | string }>(
        tx,
        sql`select id, aggregate::text as aggregate from prediction_window_parts
            where model_version_id = ${w.version}::uuid and window_start = ${start}::timestamptz order by id`,
      );
      if (parts.length === 0) return false;
      const [current] = await rows<{ aggregate: WindowAggregate | string }>(
        tx,
        sql`select aggregate::text as aggregate from prediction_windows where model_version_id = ${w.version}::uuid and window_start = ${start}::timestamptz`,
      );
      let merged = current ? parse(current.aggregate) : parse(parts[0]!.aggregate);
      for (const p of current ? parts : parts.slice(1)) merged = mergeWindowAggregates(merged, parse(p.aggregate));
      const ids = parts.map((p) => Number(p.id));
      const through = Math.max(...ids);
      await tx.execute(
        sql`insert into prediction_windows (model_version_id, window_start, aggregate, through_part)
            values (${w.version}::uuid, ${start}::timestamptz, ${JSON.stringify(merged)}::text::jsonb, ${through})
            on conflict (model_version_id, window_start) do update
              set aggregate = excluded.aggregate, through_part = greatest(prediction_windows.through_part, excluded.through_part), updated_at = now()`,
      );
      await tx.execute(sql`delete from prediction_window_parts where id = any(${`{${ids.join(",")}}`}::int8[])`);
      return true;
    });
    if (folded) done++;
  }
  return done;
}
