import { isStorableTime, isUuid, type AuditEvent, type AuditList, type AuditVerifyResult } from "@cairn/core";
import { type SQL, sql } from "drizzle-orm";
import { rows, type Executor } from "../db/client.js";
import { decodeCursor, encodeCursor } from "../http/cursor.js";
import { NotFoundError, ValidationError } from "../http/errors.js";
import { findProject } from "../projects/projects.service.js";
import type { ServerContext } from "../server-context.js";
import { ChainVerifier } from "./chain.js";

/**
 * Whose events the caller may see: "*" (or undefined) for all; otherwise the projects the
 * caller's key covers, by id or by name. Events without a project (keys, logins) are then
 * hidden: they belong to whoever administers the server.
 */
export interface AuditScope {
  ctx: ServerContext;
  projectIds?: readonly string[] | "*";
}

export interface AuditFilters {
  /** Project name or id. */
  project?: string;
  /** Actor key id. */
  actor?: string;
  action?: string;
  subjectKind?: string;
  subjectId?: string;
  /** Inclusive lower bound on `at` (ISO 8601). */
  from?: string;
  /** Exclusive upper bound on `at` (ISO 8601). */
  to?: string;
}

type AuditRow = {
  seq: string;
  id: string;
  at: string;
  actor_key_id: string | null;
  actor_name: string;
  action: string;
  subject_kind: string;
  subject_id: string;
  project_id: string | null;
  before: string | null;
  after: string | null;
  request_id: string | null;
  client_ip: string | null;
  user_agent: string | null;
  prev_hash: string;
  hash: string;
};

// Everything as text, formatted in SQL: both drivers then return the same strings, `at` comes
// back exactly as the ISO string that was hashed, and jsonb is parsed by one JSON.parse.
// ORDER BY must then name `audit_events.seq`: a bare `seq` would sort by the text alias.
const COLUMNS = sql.raw(`seq::text as seq, id::text as id,
  to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at,
  actor_key_id::text as actor_key_id, actor_name, action, subject_kind, subject_id,
  project_id::text as project_id, before::text as before, after::text as after,
  request_id, client_ip, user_agent, prev_hash, hash`);

export function toAuditEvent(r: AuditRow): AuditEvent {
  return {
    seq: Number(r.seq),
    id: r.id,
    at: r.at,
    actor: { keyId: r.actor_key_id, name: r.actor_name },
    action: r.action,
    subject: { kind: r.subject_kind, id: r.subject_id },
    projectId: r.project_id,
    before: r.before === null ? null : (JSON.parse(r.before) as unknown),
    after: r.after === null ? null : (JSON.parse(r.after) as unknown),
    requestId: r.request_id,
    clientIp: r.client_ip,
    userAgent: r.user_agent,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

function isoParam(value: string, path: string): string {
  const ms = Date.parse(value);
  if (!isStorableTime(ms)) throw new ValidationError(`${path} is not a date`, [{ path: `query.${path}`, message: "must be an ISO 8601 date-time" }]);
  return new Date(ms).toISOString();
}

/** The scope and filters as SQL conditions; an unknown or out-of-scope project is a 404 either way. */
async function conditions(db: Executor, scope: AuditScope["projectIds"], f: AuditFilters & { fromKey?: string; toKey?: string }): Promise<SQL[]> {
  const conds: SQL[] = [];
  const allowed = scope === undefined || scope === "*" ? undefined : scope;
  if (allowed) {
    const ids = allowed.filter(isUuid).map((s) => s.toLowerCase());
    const names = allowed.filter((s) => !isUuid(s));
    conds.push(sql`(project_id = any(${sql.param(ids)}::uuid[])
      or project_id in (select id from projects where name = any(${sql.param(names)}::text[])))`);
  }
  if (f.project !== undefined) {
    // An id is used as is, so events of a deleted project can still be found.
    const row = await findProject(db, f.project);
    const id = row?.id ?? (isUuid(f.project) ? f.project.toLowerCase() : undefined);
    const inScope = !allowed || allowed.some((a) => a.toLowerCase() === id || a === row?.name);
    if (id === undefined || !inScope) throw new NotFoundError("project", f.project);
    conds.push(sql`project_id = ${id}::uuid`);
  }
  if (f.actor !== undefined) {
    if (!isUuid(f.actor)) throw new ValidationError("actor must be a key id", [{ path: "query.actor", message: "must be a UUID" }]);
    conds.push(sql`actor_key_id = ${f.actor.toLowerCase()}::uuid`);
  }
  if (f.action !== undefined) conds.push(sql`action = ${f.action}`);
  if (f.subjectKind !== undefined) conds.push(sql`subject_kind = ${f.subjectKind}`);
  if (f.subjectId !== undefined) conds.push(sql`subject_id = ${f.subjectId}`);
  if (f.from !== undefined) conds.push(sql`at >= ${isoParam(f.from, f.fromKey ?? "from")}::timestamptz`);
  if (f.to !== undefined) conds.push(sql`at < ${isoParam(f.to, f.toKey ?? "to")}::timestamptz`);
  return conds;
}

const and = (conds: SQL[]): SQL => (conds.length === 0 ? sql`true` : sql.join(conds, sql` and `));

const isSeqCursor = (v: unknown): v is { seq: number } =>
  typeof v === "object" && v !== null && Number.isSafeInteger((v as { seq?: unknown }).seq);

/** Newest first, keyset-paginated on seq. */
export async function listAudit({ ctx, projectIds, limit = 50, cursor, ...filters }: AuditScope & AuditFilters & { limit?: number; cursor?: string }): Promise<AuditList> {
  const db = ctx.db.orm;
  const conds = await conditions(db, projectIds, filters);
  if (cursor !== undefined) conds.push(sql`seq < ${decodeCursor(cursor, isSeqCursor).seq}::int8`);
  const found = await rows<AuditRow>(db, sql`select ${COLUMNS} from audit_events where ${and(conds)} order by audit_events.seq desc limit ${limit + 1}`);
  const events = found.slice(0, limit).map(toAuditEvent);
  return { events, nextCursor: found.length > limit ? encodeCursor({ seq: events[events.length - 1]!.seq }) : null };
}

/**
 * Walks the whole chain in seq order, one page at a time (memory stays flat however long the
 * log is), recomputing every hash and checking each event links to the one before.
 */
export async function verifyAudit({ ctx, pageSize = 5000 }: { ctx: ServerContext; pageSize?: number }): Promise<AuditVerifyResult> {
  const verifier = new ChainVerifier();
  for await (const page of pages(ctx.db.orm, [], pageSize)) {
    for (const event of page) if (!verifier.push(event)) return verifier.result();
  }
  return verifier.result();
}

/**
 * Events oldest first, for streaming as JSON Lines. The scope and project are checked before
 * the first event is read (so a bad request is still a clean 404/400), and the export stops
 * at the head as it was when it started, so a busy server cannot keep it running forever.
 */
export async function exportAudit({
  ctx,
  projectIds,
  since,
  until,
  project,
  pageSize = 1000,
}: AuditScope & { since?: string; until?: string; project?: string; pageSize?: number }): Promise<AsyncIterable<AuditEvent>> {
  const db = ctx.db.orm;
  const conds = await conditions(db, projectIds, {
    ...(project !== undefined ? { project } : {}),
    ...(since !== undefined ? { from: since, fromKey: "since" } : {}),
    ...(until !== undefined ? { to: until, toKey: "until" } : {}),
  });
  const [head] = await rows<{ seq: string | null }>(db, sql`select max(seq)::text as seq from audit_events`);
  conds.push(sql`seq <= ${head?.seq ?? "0"}::int8`);
  return (async function* () {
    for await (const page of pages(db, conds, pageSize)) yield* page;
  })();
}

async function* pages(db: Executor, conds: SQL[], pageSize: number): AsyncGenerator<AuditEvent[]> {
  let after = "0";
  for (;;) {
    const found = await rows<AuditRow>(
      db,
      sql`select ${COLUMNS} from audit_events where seq > ${after}::int8 and ${and(conds)} order by audit_events.seq limit ${pageSize}`,
    );
    if (found.length === 0) return;
    yield found.map(toAuditEvent);
    if (found.length < pageSize) return;
    after = found[found.length - 1]!.seq;
  }
}
