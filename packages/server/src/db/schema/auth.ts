import { sql } from "drizzle-orm";
import { check, index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * API keys: the secret is shown once and only its sha256 is stored (a 256-bit random
 * secret needs no slow hash). A key has one role on a list of projects (by name) or on
 * all of them (`projects` null, shown as "*").
 */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: uuid("id").primaryKey(),
    name: text("name").notNull(),
    /** The first characters of the secret, to recognise a key in lists and logs. */
    prefix: text("prefix").notNull(),
    secretHash: text("secret_hash").notNull().unique(),
    role: text("role").notNull(),
    projects: text("projects").array(),
    createdBy: uuid("created_by"),
    createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().default(sql`now()`),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true, mode: "date" }),
    expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }),
    revokedAt: timestamp("revoked_at", { withTimezone: true, mode: "date" }),
  },
  (t) => [
    index("api_keys_created_idx").on(t.createdAt),
    check("api_keys_role_check", sql`${t.role} in ('reader', 'writer', 'maintainer', 'admin')`),
  ],
);

/** Browser sessions made from a key: the cookie carries a random id whose hash is stored here. */
export const sessions = pgTable("sessions", {
  idHash: text("id_hash").primaryKey(),
  keyId: uuid("key_id")
    .notNull()
    .references(() => apiKeys.id, { onDelete: "cascade" }),
  createdAt: timestamp("created_at", { withTimezone: true, mode: "date" }).notNull().default(sql`now()`),
  expiresAt: timestamp("expires_at", { withTimezone: true, mode: "date" }).notNull(),
});
