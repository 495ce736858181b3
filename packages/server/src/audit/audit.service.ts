import { AUDIT_GENESIS_HASH, isUuid, uuidv7 } from "@cairn/core";
import { type SQL, sql } from "drizzle-orm";
import type { BulkTx } from "../db/bulk.js";
import { rows, type Executor } from "../db/client.js";
import { hashEvent, type HashedEvent } from "./chain.js";
import { storableString, toStorableJson } from "./canonical-json.js";

export { exportAudit, listAudit, verifyAudit, type AuditFilters, type AuditScope } from "./audit-read.service.js";

/**
 * A raw, parameterised statement runner, so one `recordAudit` serves both ways into the
 * database: drizzle (most services) and the bulk writer's transactions (ingestion).
 */
export type AuditQuery = (text: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

/** Runs `$n` statements through drizzle; every parameter is bound, none is spliced into the text. */
export function auditQueryFromOrm(tx: Executor): AuditQuery {
  return (text, params) => {
    const chunks: SQL[] = [];
    let last = 0;
    for (const m of text.matchAll(/\$(\d+)/g)) {
      chunks.push(sql.raw(text.slice(last, m.index)));
      chunks.push(sql`${params[Number(m[1]) - 1]}`);
      last = m.index + m[0].length;
    }
    chunks.push(sql.raw(text.slice(last)));
    return rows<Record<string, unknown>>(tx, sql.join(chunks));
  };
}

export function auditQueryFromBulk(tx: BulkTx): AuditQuery {
  return (text, params) => tx.query<Record<string, unknown>>(text, params);
}

/** Who made the change and through which request. */
export interface AuditActor {
  keyId: string | null;
  name: string;
  requestId?: string | undefined;
  ip?: string | undefined;
  userAgent?: string | undefined;
}

export interface AuditEventInput {
  /** e.g. `project.create`, `run.update`, `metrics.log`, `key.revoke`, `auth.denied`. */
  action: string;
  subject: { kind: string; id: string };
  projectId?: string | null;
  /** The changed fields before and after; undefined/null when not applicable. */
  before?: unknown;
  after?: unknown;
}

/**
 * One key for the whole chain. Transaction-scoped, so it is released by COMMIT/ROLLBACK and
 * nothing can leak it; it shares the key space of session locks, so it must differ from
 * MIGRATION_LOCK_KEY ("cairn"): this is "audit" in ASCII.
 */
export const AUDIT_LOCK_KEY = 0x6175646974;

let auditEnabled = true;

/**
 * CAIRN_AUDIT=off, accepted only together with CAIRN_AUTH=off on loopback: a local,
 * anonymous server (and the benchmark's "without auth and audit" baseline). Never a
 * production setting, so it is a process-wide switch set once at start-up.
 */
export function setAuditEnabled(on: boolean): void {
  auditEnabled = on;
}

const INSERT_HEAD = `insert into audit_events
  (id, at, actor_key_id, actor_name, action, subject_kind, subject_id, project_id,
   before, after, request_id, client_ip, user_agent, prev_hash, hash)`;
const VALUE_CASTS = ["::text::uuid", "::text::timestamptz", "::text::uuid", "::text", "::text", "::text", "::text", "::text::uuid",
  "::text::jsonb", "::text::jsonb", "::text", "::text", "::text", "::text", "::text"];
// The `::text` before each cast makes every parameter plain text on every driver: postgres.js
// would otherwise JSON-encode a string bound to a jsonb parameter a second time.

/**
 * Appends one event to the chain. Call it inside the transaction that makes the change, and
 * preferably as its last statement: the chain lock is held from here until COMMIT, so every
 * other audited write waits that long. Outside a transaction the lock would be released at
 * once and concurrent writers could fork the chain (the unique prev_hash then rejects one).
 */
export async function recordAudit(q: AuditQuery, actor: AuditActor, event: AuditEventInput): Promise<void> {
  await recordAudits(q, [{ actor, event }]);
}

/**
 * Appends several events in one go: one lock, one read of the last hash, one insert. The
 * metrics writer uses it for the requests it merged into one transaction, so the chain
 * costs three statements per transaction, not per request.
 */
export async function recordAudits(q: AuditQuery, entries: ReadonlyArray<{ actor: AuditActor; event: AuditEventInput }>): Promise<void> {
  if (!auditEnabled || entries.length === 0) return;
  const opt = (s: string | undefined) => (s === undefined ? null : storableString(s));
  // Serialise writers: the last hash read below stays the last until this transaction ends.
  await q(`select pg_advisory_xact_lock(${AUDIT_LOCK_KEY})`, []);
  const [last] = await q("select hash from audit_events order by seq desc limit 1", []);
  let prevHash = last ? String(last.hash) : AUDIT_GENESIS_HASH;
  const params: unknown[] = [];
  const tuples: string[] = [];
  for (const { actor, event } of entries) {
    // Normalised before hashing, so the hash is of exactly what jsonb will give back.
    const before = toStorableJson(event.before);
    const after = toStorableJson(event.after);
    // Time and id are taken under the lock, so they follow seq (as far as server clocks agree)
    // and a `since` export is a contiguous tail of the chain.
    const hashed: HashedEvent = {
      id: uuidv7(),
      at: new Date().toISOString(),
      actor: { keyId: uuidOrNull(actor.keyId, "actor.keyId"), name: storableString(actor.name) },
      action: storableString(event.action),
      subject: { kind: storableString(event.subject.kind), id: storableString(event.subject.id) },
      projectId: uuidOrNull(event.projectId ?? null, "projectId"),
      before,
      after,
      requestId: opt(actor.requestId),
      clientIp: opt(actor.ip),
      userAgent: opt(actor.userAgent),
      prevHash,
    };
    const hash = hashEvent(hashed);
    const base = params.length;
    tuples.push(`(${VALUE_CASTS.map((cast, i) => `$${base + i + 1}${cast}`).join(", ")})`);
    params.push(
      hashed.id,
      hashed.at,
      hashed.actor.keyId,
      hashed.actor.name,
      hashed.action,
      hashed.subject.kind,
      hashed.subject.id,
      hashed.projectId,
      before === null ? null : JSON.stringify(before),
      after === null ? null : JSON.stringify(after),
      hashed.requestId,
      hashed.clientIp,
      hashed.userAgent,
      hashed.prevHash,
      hash,
    );
    prevHash = hash;
  }
  // Rows of one VALUES list take their seq in list order, which is the chain's order.
  await q(`${INSERT_HEAD} values ${tuples.join(", ")}`, params);
}

/** The uuid column gives ids back in lower case; hashing anything else would fail verification. */
function uuidOrNull(v: string | null, field: string): string | null {
  if (v === null) return null;
  if (!isUuid(v)) throw new TypeError(`audit event ${field} must be a UUID, got ${JSON.stringify(v)}`);
  return v.toLowerCase();
}
