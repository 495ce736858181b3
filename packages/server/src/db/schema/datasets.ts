import { sql } from "drizzle-orm";
import { bigint, check, index, integer, jsonb, pgTable, primaryKey, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import { projects } from "./projects.js";
import { runs } from "./runs.js";

export const datasets = pgTable(
  "datasets",
  {
    id: uuid("id").primaryKey(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().default(sql`now()`),
  },
  (t) => [unique("datasets_project_name_uq").on(t.projectId, t.name)],
);

/**
 * A version is identified by the content digest of its data: logging the same data
 * again returns the same version. Numbers are per dataset, gapless, from 1.
 * The schema and profile are stored as sent (validated against each other first).
 */
export const datasetVersions = pgTable(
  "dataset_versions",
  {
    id: uuid("id").primaryKey(),
    datasetId: uuid("dataset_id")
      .notNull()
      .references(() => datasets.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    digest: text("digest").notNull(),
    rowCount: bigint("row_count", { mode: "number" }).notNull(),
    schema: jsonb("schema").notNull(),
    profile: jsonb("profile"),
    /** Where the data itself is, when it was uploaded: an artifact of a run. */
    artifactRunId: uuid("artifact_run_id").references(() => runs.id, { onDelete: "set null" }),
    artifactPath: text("artifact_path"),
    /** Where the data came from, as the client described it (file name, URI); informational. */
    source: text("source"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().default(sql`now()`),
  },
  (t) => [unique("dataset_versions_digest_uq").on(t.datasetId, t.digest), unique("dataset_versions_number_uq").on(t.datasetId, t.version)],
);

/** Edges between runs and dataset versions: what a run read (input) or produced (output), with the role. */
export const runDatasets = pgTable(
  "run_datasets",
  {
    runId: uuid("run_id")
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    datasetVersionId: uuid("dataset_version_id")
      .notNull()
      .references(() => datasetVersions.id, { onDelete: "cascade" }),
    direction: text("direction").notNull(),
    role: text("role").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().default(sql`now()`),
  },
  (t) => [
    primaryKey({ columns: [t.runId, t.datasetVersionId, t.direction, t.role] }),
    index("run_datasets_version_idx").on(t.datasetVersionId),
    check("run_datasets_direction_check", sql`${t.direction} in ('input', 'output')`),
  ],
);
