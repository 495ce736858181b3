import { bigserial, index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * The hash-chained audit log. Rows are only ever inserted (audit/audit.service.ts, under a
 * transaction-level advisory lock); `seq` is the chain order. No foreign keys on purpose:
 * events must outlive the projects and keys they mention.
 */
export const auditEvents = pgTable(
  "audit_events",
  {
    seq: bigserial("seq", { mode: "number" }).primaryKey(),
    id: uuid("id").notNull().unique(),
    /** Set from JS (ISO string, ms precision) so the stored value is exactly what was hashed. */
    at: timestamp("at", { withTimezone: true, mode: "string" }).notNull(),
    actorKeyId: uuid("actor_key_id"),
    actorName: text("actor_name").notNull(),
    action: text("action").notNull(),
    subjectKind: text("subject_kind").notNull(),
    subjectId: text("subject_id").notNull(),
    projectId: uuid("project_id"),
    before: jsonb("before"),
    after: jsonb("after"),
    requestId: text("request_id"),
    clientIp: text("client_ip"),
    userAgent: text("user_agent"),
    /** Unique: two events naming the same predecessor would be a fork, so the database refuses it. */
    prevHash: text("prev_hash").notNull().unique(),
    hash: text("hash").notNull(),
  },
  (t) => [
    // Every list filter pages by seq desc, so each index ends in seq.
    index("audit_events_project_seq_idx").on(t.projectId, t.seq.desc()),
    index("audit_events_actor_seq_idx").on(t.actorKeyId, t.seq.desc()),
    index("audit_events_action_seq_idx").on(t.action, t.seq.desc()),
    index("audit_events_subject_seq_idx").on(t.subjectKind, t.subjectId, t.seq.desc()),
    index("audit_events_at_idx").on(t.at),
  ],
);
