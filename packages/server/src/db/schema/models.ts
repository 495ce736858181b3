import { sql } from "drizzle-orm";
import { bigint, boolean, check, index, integer, jsonb, pgTable, primaryKey, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import { blobs } from "./artifacts.js";
import { datasetVersions } from "./datasets.js";
import { projects } from "./projects.js";
import { runs } from "./runs.js";

/** A named model of a project; its versions are numbered 1, 2, 3… under a row lock of this row. */
export const registeredModels = pgTable(
  "registered_models",
  {
    id: uuid("id").primaryKey(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    description: text("description").notNull().default(""),
    tags: jsonb("tags").$type<Record<string, string>>().notNull().default({}),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().default(sql`now()`),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().default(sql`now()`),
  },
  (t) => [unique("registered_models_project_name_uq").on(t.projectId, t.name)],
);

/**
 * An immutable version. Its files are copied into `model_version_files` at registration,
 * so it keeps its bytes when the run's artifacts change or the run is purged (run_id → null).
 */
export const modelVersions = pgTable(
  "model_versions",
  {
    id: uuid("id").primaryKey(),
    modelId: uuid("model_id")
      .notNull()
      .references(() => registeredModels.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    runId: uuid("run_id").references(() => runs.id, { onDelete: "set null" }),
    artifactPath: text("artifact_path").notNull(),
    digest: text("digest").notNull(),
    signature: jsonb("signature"),
    metrics: jsonb("metrics").$type<Record<string, number>>().notNull().default({}),
    framework: text("framework"),
    description: text("description").notNull().default(""),
    tags: jsonb("tags").$type<Record<string, string>>().notNull().default({}),
    archived: boolean("archived").notNull().default(false),
    createdBy: text("created_by").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().default(sql`now()`),
  },
  (t) => [unique("model_versions_number_uq").on(t.modelId, t.version), index("model_versions_run_idx").on(t.runId)],
);

/** The files of a version, frozen; garbage collection keeps every blob referenced here. */
export const modelVersionFiles = pgTable(
  "model_version_files",
  {
    modelVersionId: uuid("model_version_id")
      .notNull()
      .references(() => modelVersions.id, { onDelete: "cascade" }),
    path: text("path").notNull(),
    sha256: text("sha256")
      .notNull()
      .references(() => blobs.sha256),
    size: bigint("size", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.modelVersionId, t.path] }), index("model_version_files_sha256_idx").on(t.sha256)],
);

/** Dataset versions a model version was trained or evaluated on, by role. */
export const modelVersionDatasets = pgTable(
  "model_version_datasets",
  {
    modelVersionId: uuid("model_version_id")
      .notNull()
      .references(() => modelVersions.id, { onDelete: "cascade" }),
    datasetVersionId: uuid("dataset_version_id")
      .notNull()
      .references(() => datasetVersions.id, { onDelete: "cascade" }),
    role: text("role").notNull(),
  },
  (t) => [primaryKey({ columns: [t.modelVersionId, t.datasetVersionId, t.role] }), index("model_version_datasets_dv_idx").on(t.datasetVersionId)],
);

/** Evidence for the gate: a check's status and figures, recorded by a client or computed by the server. */
export const checkResults = pgTable(
  "check_results",
  {
    id: uuid("id").primaryKey(),
    modelVersionId: uuid("model_version_id")
      .notNull()
      .references(() => modelVersions.id, { onDelete: "cascade" }),
    kind: text("kind").notNull(),
    name: text("name"),
    status: text("status").notNull(),
    figures: jsonb("figures").notNull(),
    datasets: jsonb("datasets").$type<Array<{ datasetVersionId: string; role: string }>>().notNull().default([]),
    tool: jsonb("tool"),
    source: text("source").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().default(sql`now()`),
  },
  (t) => [
    index("check_results_version_kind_idx").on(t.modelVersionId, t.kind, t.createdAt.desc()),
    check("check_results_source_check", sql`${t.source} in ('client', 'server')`),
  ],
);

/** Promotion policy per (model, alias); every change is a new revision, the highest is in force. */
export const modelPolicies = pgTable(
  "model_policies",
  {
    modelId: uuid("model_id")
      .notNull()
      .references(() => registeredModels.id, { onDelete: "cascade" }),
    alias: text("alias").notNull(),
    revision: integer("revision").notNull(),
    rules: jsonb("rules").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().default(sql`now()`),
  },
  (t) => [primaryKey({ columns: [t.modelId, t.alias, t.revision] })],
);

/** Where each alias points now; the history is in `alias_moves`. */
export const modelAliases = pgTable(
  "model_aliases",
  {
    modelId: uuid("model_id")
      .notNull()
      .references(() => registeredModels.id, { onDelete: "cascade" }),
    alias: text("alias").notNull(),
    modelVersionId: uuid("model_version_id")
      .notNull()
      .references(() => modelVersions.id, { onDelete: "cascade" }),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().default(sql`now()`),
  },
  (t) => [primaryKey({ columns: [t.modelId, t.alias] }), index("model_aliases_version_idx").on(t.modelVersionId)],
);

/** Every evaluation of a policy (dry runs, refusals, promotions, overrides), kept for the audit. */
export const gateEvaluations = pgTable(
  "gate_evaluations",
  {
    id: uuid("id").primaryKey(),
    modelId: uuid("model_id")
      .notNull()
      .references(() => registeredModels.id, { onDelete: "cascade" }),
    alias: text("alias").notNull(),
    version: integer("version").notNull(),
    currentVersion: integer("current_version"),
    policyRevision: integer("policy_revision"),
    passed: boolean("passed").notNull(),
    forced: boolean("forced").notNull().default(false),
    mode: text("mode").notNull(),
    rules: jsonb("rules").notNull(),
    reason: text("reason"),
    actor: text("actor").notNull(),
    evaluatedAt: timestamp("evaluated_at", { withTimezone: true, mode: "date" }).notNull().default(sql`now()`),
  },
  (t) => [index("gate_evaluations_model_alias_idx").on(t.modelId, t.alias, t.evaluatedAt.desc())],
);

/** Each move of an alias: from, to (null when removed), who, when, why, and the evaluation that allowed it. */
export const aliasMoves = pgTable(
  "alias_moves",
  {
    id: uuid("id").primaryKey(),
    modelId: uuid("model_id")
      .notNull()
      .references(() => registeredModels.id, { onDelete: "cascade" }),
    alias: text("alias").notNull(),
    fromVersion: integer("from_version"),
    toVersion: integer("to_version"),
    actor: text("actor").notNull(),
    reason: text("reason"),
    evaluationId: uuid("evaluation_id").references(() => gateEvaluations.id, { onDelete: "set null" }),
    forced: boolean("forced").notNull().default(false),
    movedAt: timestamp("moved_at", { withTimezone: true, mode: "date" }).notNull().default(sql`now()`),
  },
  (t) => [index("alias_moves_model_alias_idx").on(t.modelId, t.alias, t.movedAt.desc())],
);
