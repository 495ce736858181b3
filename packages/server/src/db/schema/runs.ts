import { sql } from "drizzle-orm";
import { check, index, jsonb, pgTable, text, timestamp, uuid, type AnyPgColumn } from "drizzle-orm/pg-core";
import { projects } from "./projects.js";

/**
 * Params and tags live in jsonb on the run row: run search filters on them for
 * thousands of runs at once, and a row-local lookup beats a join per term.
 * Params are immutable (enforced in the service under a row lock).
 */
export const runs = pgTable(
  "runs",
  {
    id: uuid("id").primaryKey(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    status: text("status").notNull().default("running"),
    parentId: uuid("parent_id").references((): AnyPgColumn => runs.id, { onDelete: "set null" }),
    notes: text("notes").notNull().default(""),
    tags: jsonb("tags").$type<Record<string, string>>().notNull().default({}),
    params: jsonb("params").$type<Record<string, string | number | boolean>>().notNull().default({}),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().default(sql`now()`),
    startedAt: timestamp("started_at", { withTimezone: true, mode: "date" }).notNull().default(sql`now()`),
    endedAt: timestamp("ended_at", { withTimezone: true, mode: "date" }),
    heartbeatAt: timestamp("heartbeat_at", { withTimezone: true, mode: "date" }).notNull().default(sql`now()`),
    /** Code that ran: git commit, branch, remote, dirty flag, entry script, argv (captured by the SDK). */
    source: jsonb("source").$type<Record<string, unknown>>(),
    /** Where it ran: Node, OS, CPU, memory, package and dependency versions, allowlisted env vars. */
    environment: jsonb("environment").$type<Record<string, unknown>>(),
    /** The run this one re-executes (`cairn rerun`); cleared if that run is purged. */
    retrainedFrom: uuid("retrained_from").references((): AnyPgColumn => runs.id, { onDelete: "set null" }),
    /** Soft deletion: hidden from lists and search, restorable until purged. */
    deletedAt: timestamp("deleted_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    index("runs_project_created_idx").on(t.projectId, t.createdAt.desc(), t.id.desc()),
    index("runs_parent_idx").on(t.parentId),
    index("runs_retrained_from_idx").on(t.retrainedFrom),
    index("runs_deleted_idx").on(t.deletedAt).where(sql`deleted_at is not null`),
    index("runs_running_heartbeat_idx").on(t.heartbeatAt).where(sql`status = 'running'`),
    check("runs_status_check", sql`${t.status} in ('running', 'finished', 'failed', 'killed', 'crashed')`),
  ],
);
