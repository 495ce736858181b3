import { sql } from "drizzle-orm";
import { bigint, check, index, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { runs } from "./runs.js";

/**
 * One row per stored blob, keyed by its sha256 (lowercase hex). The row exists before
 * the object is (re)written and `touched_at` is refreshed by every upload that uses it,
 * so garbage collection (which deletes objects while holding the row lock, and only
 * rows untouched for the grace period) never removes a blob an upload is linking.
 */
export const blobs = pgTable(
  "blobs",
  {
    sha256: text("sha256").primaryKey(),
    size: bigint("size", { mode: "number" }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().default(sql`now()`),
    touchedAt: timestamp("touched_at", { withTimezone: true, mode: "date" }).notNull().default(sql`now()`),
  },
  // blobs_size_idx: an upload's head probe starts from the stored contents of exactly its size
  // (few), not from every artifact of the project (head-probe.service.ts).
  (t) => [check("blobs_sha256_check", sql`${t.sha256} ~ '^[0-9a-f]{64}$'`), index("blobs_touched_idx").on(t.touchedAt), index("blobs_size_idx").on(t.size)],
);

/** A file of a run: (run, normalised path) → blob. Deleting the run's rows leaves the blob to GC. */
export const artifacts = pgTable(
  "artifacts",
  {
    /** Names the artifact in lineage and audit events; (run, path) is what clients address. */
    id: uuid("id").notNull().unique(),
    runId: uuid("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    path: text("path").notNull(),
    sha256: text("sha256")
      .notNull()
      .references(() => blobs.sha256),
    size: bigint("size", { mode: "number" }).notNull(),
    mediaType: text("media_type").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().default(sql`now()`),
  },
  (t) => [primaryKey({ columns: [t.runId, t.path] }), index("artifacts_sha256_idx").on(t.sha256)],
);
