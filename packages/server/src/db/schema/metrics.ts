import { bigint, doublePrecision, integer, pgTable, primaryKey, serial, smallint, text, unique, uuid } from "drizzle-orm/pg-core";
import { runs } from "./runs.js";

/**
 * One row per (run, key): the integer id keys the big points table (narrower rows and
 * a faster index than (uuid, text)), and the row doubles as the metric's summary,
 * maintained in the same transaction as the points so lists never scan points.
 * Timestamps are epoch milliseconds, exactly as the API carries them.
 */
export const metricSeries = pgTable(
  "metric_series",
  {
    id: serial("id").primaryKey(),
    runId: uuid("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    key: text("key").notNull(),
    count: bigint("count", { mode: "number" }).notNull().default(0),
    last: doublePrecision("last"),
    min: doublePrecision("min"),
    max: doublePrecision("max"),
    lastStep: bigint("last_step", { mode: "number" }),
    lastTs: bigint("last_ts", { mode: "number" }),
  },
  (t) => [unique("metric_series_run_key_uq").on(t.runId, t.key)],
);

/** Points are unique on (series, step): a retried batch never duplicates a point. */
export const metricPoints = pgTable(
  "metric_points",
  {
    seriesId: integer("series_id").notNull(),
    step: bigint("step", { mode: "number" }).notNull(),
    value: doublePrecision("value").notNull(),
    ts: bigint("ts", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.seriesId, t.step] })],
);

/**
 * Pre-aggregated min/max per step bucket at widths 64, 1024, 16384 and 262144 steps,
 * maintained at write time so a chart of a million points reads a few thousand rows.
 */
export const metricRollups = pgTable(
  "metric_rollups",
  {
    seriesId: integer("series_id").notNull(),
    level: smallint("level").notNull(),
    bucket: bigint("bucket", { mode: "number" }).notNull(),
    count: integer("count").notNull(),
    min: doublePrecision("min"),
    minStep: bigint("min_step", { mode: "number" }),
    minTs: bigint("min_ts", { mode: "number" }),
    max: doublePrecision("max"),
    maxStep: bigint("max_step", { mode: "number" }),
    maxTs: bigint("max_ts", { mode: "number" }),
  },
  (t) => [primaryKey({ columns: [t.seriesId, t.level, t.bucket] })],
);
