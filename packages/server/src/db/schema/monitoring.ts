import { sql } from "drizzle-orm";
import { bigint, bigserial, boolean, check, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { modelVersions, registeredModels } from "./models.js";
import { projects } from "./projects.js";

/*
 * The predictions table itself is range-partitioned by time, which drizzle-kit cannot
 * express: it is created by a hand-written migration and queried with SQL only.
 */

/**
 * Ground truth, keyed by prediction id. It may arrive before its prediction is stored
 * (`matched` false until the prediction is seen); unmatched labels older than the
 * pending period are reported as orphaned.
 */
export const predictionLabels = pgTable(
  "prediction_labels",
  {
    predictionId: uuid("prediction_id").primaryKey(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    label: jsonb("label").notNull(),
    labelledAt: timestamp("labelled_at", { withTimezone: true, mode: "date" }).notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true, mode: "date" }).notNull().default(sql`now()`),
    matched: boolean("matched").notNull().default(false),
  },
  (t) => [index("prediction_labels_pending_idx").on(t.receivedAt).where(sql`not matched`)],
);

/**
 * Partial aggregates of one model version's predictions (and matched labels) in one hour,
 * appended as data arrives: one row per ingested batch and window, never updated, so
 * concurrent batches never contend. Compaction merges a window's parts into
 * `prediction_windows`; a reader merges the compacted row with any newer parts.
 */
export const predictionWindowParts = pgTable(
  "prediction_window_parts",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    modelVersionId: uuid("model_version_id")
      .notNull()
      .references(() => modelVersions.id, { onDelete: "cascade" }),
    windowStart: timestamp("window_start", { withTimezone: true, mode: "date" }).notNull(),
    aggregate: jsonb("aggregate").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().default(sql`now()`),
  },
  (t) => [index("prediction_window_parts_version_window_idx").on(t.modelVersionId, t.windowStart)],
);

/** Compacted hourly aggregates: one row per (version, hour); `through_part` is the last part merged in. */
export const predictionWindows = pgTable(
  "prediction_windows",
  {
    modelVersionId: uuid("model_version_id")
      .notNull()
      .references(() => modelVersions.id, { onDelete: "cascade" }),
    windowStart: timestamp("window_start", { withTimezone: true, mode: "date" }).notNull(),
    aggregate: jsonb("aggregate").notNull(),
    throughPart: bigint("through_part", { mode: "number" }).notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().default(sql`now()`),
  },
  (t) => [primaryKey({ columns: [t.modelVersionId, t.windowStart] })],
);

/**
 * The monitoring report's figures of one window (its `WindowSummary`), kept so the first
 * report after a server start reads them instead of fetching every hour's aggregate and
 * summarising it again (~0.5 s for a 30-day hourly view). One row per report window
 * (`window_key`: reference version, drift method, version filter, window size and start);
 * `stamps` names the compacted hours it was computed from, so a window whose hours changed
 * is recomputed and its row replaced.
 */
export const predictionWindowSummaries = pgTable(
  "prediction_window_summaries",
  {
    windowKey: text("window_key").primaryKey(),
    /** The reference version: the summary goes with it. */
    modelVersionId: uuid("model_version_id")
      .notNull()
      .references(() => modelVersions.id, { onDelete: "cascade" }),
    windowStart: timestamp("window_start", { withTimezone: true, mode: "date" }).notNull(),
    stamps: text("stamps").notNull(),
    summary: jsonb("summary").notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().default(sql`now()`),
  },
  (t) => [index("prediction_window_summaries_start_idx").on(t.windowStart)],
);

/** A rule evaluated by the server's scheduler; `lease_*` make exactly one replica evaluate it at a time. */
export const monitors = pgTable(
  "monitors",
  {
    id: uuid("id").primaryKey(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    modelId: uuid("model_id")
      .notNull()
      .references(() => registeredModels.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    alias: text("alias").notNull(),
    rule: jsonb("rule").notNull(),
    window: text("window").notNull(),
    minSamples: integer("min_samples").notNull(),
    cooldown: text("cooldown").notNull(),
    /** [{url, secret}]: the secret signs deliveries, so it is kept (and never returned by the API). */
    webhooks: jsonb("webhooks").notNull().default([]),
    retrain: boolean("retrain").notNull().default(false),
    enabled: boolean("enabled").notNull().default(true),
    validationErrors: jsonb("validation_errors").$type<string[]>().notNull().default([]),
    lastEvaluatedAt: timestamp("last_evaluated_at", { withTimezone: true, mode: "date" }),
    leaseOwner: text("lease_owner"),
    leaseUntil: timestamp("lease_until", { withTimezone: true, mode: "date" }),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().default(sql`now()`),
    updatedAt: timestamp("updated_at", { withTimezone: true, mode: "date" }).notNull().default(sql`now()`),
  },
  (t) => [index("monitors_project_idx").on(t.projectId), index("monitors_due_idx").on(t.enabled, t.lastEvaluatedAt)],
);

export const alerts = pgTable(
  "alerts",
  {
    id: uuid("id").primaryKey(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    monitorId: uuid("monitor_id")
      .notNull()
      .references(() => monitors.id, { onDelete: "cascade" }),
    modelVersionId: uuid("model_version_id").references(() => modelVersions.id, { onDelete: "set null" }),
    status: text("status").notNull().default("open"),
    figures: jsonb("figures").notNull(),
    message: text("message").notNull(),
    firedAt: timestamp("fired_at", { withTimezone: true, mode: "date" }).notNull().default(sql`now()`),
    windowStart: timestamp("window_start", { withTimezone: true, mode: "date" }).notNull(),
    windowEnd: timestamp("window_end", { withTimezone: true, mode: "date" }).notNull(),
    acknowledgedBy: text("acknowledged_by"),
    acknowledgedAt: timestamp("acknowledged_at", { withTimezone: true, mode: "date" }),
    resolvedBy: text("resolved_by"),
    resolvedAt: timestamp("resolved_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    index("alerts_project_fired_idx").on(t.projectId, t.firedAt.desc()),
    index("alerts_monitor_fired_idx").on(t.monitorId, t.firedAt.desc()),
    check("alerts_status_check", sql`${t.status} in ('open', 'acknowledged', 'resolved')`),
  ],
);

/** One row per webhook call of an alert: retried with backoff until delivered or given up. */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: uuid("id").primaryKey(),
    monitorId: uuid("monitor_id")
      .notNull()
      .references(() => monitors.id, { onDelete: "cascade" }),
    alertId: uuid("alert_id").references(() => alerts.id, { onDelete: "cascade" }),
    url: text("url").notNull(),
    payload: jsonb("payload").notNull(),
    status: text("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true, mode: "date" }).notNull().default(sql`now()`),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    latencyMs: integer("latency_ms"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().default(sql`now()`),
    deliveredAt: timestamp("delivered_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [index("webhook_deliveries_due_idx").on(t.status, t.nextAttemptAt), index("webhook_deliveries_monitor_idx").on(t.monitorId, t.createdAt.desc())],
);
