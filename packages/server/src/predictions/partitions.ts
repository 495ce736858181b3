import { sql } from "drizzle-orm";
import { type Database, rows } from "../db/client.js";
import { pgErrorCode } from "../db/errors.js";

/**
 * Daily partitions of `predictions` by `id_time`. A partition is created once by whichever
 * server needs it first (ahead of time by the maintenance job, or on demand for a batch
 * of old spooled predictions); the set of days known to exist is cached per process.
 */
export const DAY_MS = 86_400_000;
/** Days ahead of today whose partitions the maintenance job keeps ready. */
export const PARTITIONS_AHEAD = 3;

const PARTITION_NAME = /^predictions_p(\d{4})(\d{2})(\d{2})$/;

export const dayOf = (ms: number) => Math.floor(ms / DAY_MS);
export const partitionName = (day: number) => `predictions_p${new Date(day * DAY_MS).toISOString().slice(0, 10).replaceAll("-", "")}`;

export function dayOfPartition(name: string): number | undefined {
  const m = PARTITION_NAME.exec(name);
  return m ? dayOf(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
}

const known = new WeakMap<Database, Set<number>>();
const knownDays = (db: Database) => {
  let s = known.get(db);
  if (!s) known.set(db, (s = new Set()));
  return s;
};

// Two servers creating the same partition at once: the loser sees one of these.
const ALREADY_EXISTS = new Set(["42P07", "23505"]);

async function createPartition(db: Database, day: number): Promise<void> {
  const from = new Date(day * DAY_MS).toISOString();
  const to = new Date((day + 1) * DAY_MS).toISOString();
  try {
    await db.orm.execute(sql.raw(`create table if not exists ${partitionName(day)} partition of predictions for values from ('${from}') to ('${to}')`));
  } catch (e) {
    if (!ALREADY_EXISTS.has(pgErrorCode(e) ?? "")) throw e;
  }
}

/**
 * Makes sure the partitions of these days exist, outside any ingestion transaction (the DDL
 * briefly locks the parent table, so it must not be held while a batch is written).
 */
export async function ensurePartitions(db: Database, days: Iterable<number>): Promise<void> {
  const cache = knownDays(db);
  const missing = [...new Set(days)].filter((d) => !cache.has(d));
  if (missing.length === 0) return;
  const existing = new Set((await listPartitionDays(db)).filter((d) => missing.includes(d)));
  for (const day of missing) {
    if (!existing.has(day)) await createPartition(db, day);
    cache.add(day);
  }
}

export async function listPartitionDays(db: Database): Promise<number[]> {
  const found = await rows<{ name: string }>(
    db.orm,
    sql`select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'predictions'::regclass`,
  );
  return found.map((r) => dayOfPartition(r.name)).filter((d): d is number => d !== undefined);
}

/**
 * Drops the partitions whose whole day is older than the retention period, and the labels
 * of predictions that old. Returns the dropped days.
 */
export async function dropExpiredPartitions(db: Database, retentionMs: number, now = Date.now()): Promise<number[]> {
  // A partition holds [day, day + 1): it is expired when its end is at or before the cutoff.
  const cutoff = now - retentionMs;
  const expired = (await listPartitionDays(db)).filter((day) => (day + 1) * DAY_MS <= cutoff).sort((a, b) => a - b);
  for (const day of expired) {
    await db.orm.execute(sql.raw(`drop table if exists ${partitionName(day)}`));
    knownDays(db).delete(day);
  }
  // Labels go with the days dropped, never with a day still kept.
  const keptFrom = new Date(dayOf(cutoff) * DAY_MS).toISOString();
  await db.orm.execute(sql`delete from prediction_labels where cairn_uuidv7_time(prediction_id) < ${keptFrom}::timestamptz`);
  // Report figures of windows that old describe nothing kept.
  await db.orm.execute(sql`delete from prediction_window_summaries where window_start < ${keptFrom}::timestamptz`);
  return expired;
}
