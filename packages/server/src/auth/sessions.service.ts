import { randomBytes } from "node:crypto";
import type { Role, WhoAmI } from "@cairn/core";
import { and, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import { type AuditActor, auditQueryFromOrm, recordAudit } from "../audit/audit.service.js";
import { apiKeys, sessions } from "../db/schema/index.js";
import { UnauthorizedError } from "../http/errors.js";
import type { ServerContext } from "../server-context.js";
import { findActiveKey } from "./keys.service.js";
import { hashSecret } from "./secrets.js";

type KeyRow = typeof apiKeys.$inferSelect;

/**
 * UI sessions (issue 3, part 4): a browser exchanges an API key once for a random
 * 256-bit session id carried in an HttpOnly cookie. Only sha256 of the id is stored, as
 * for keys. A session lives CAIRN_SESSION_TTL_HOURS, never past its key's expiry, and
 * dies with its key: every lookup joins the key and checks it is neither revoked nor
 * expired, so a revocation ends the key's sessions at once (in every replica).
 */

export interface CreatedSession {
  /** The cookie value: shown to the browser only, never stored or logged. */
  id: string;
  expiresAt: Date;
  /** Seconds from now to expiresAt: the cookie's Max-Age. */
  maxAgeSeconds: number;
  key: KeyRow;
}

export function toWhoAmI(key: KeyRow, via: WhoAmI["via"]): WhoAmI {
  return { keyId: key.id, name: key.name, role: key.role as Role, projects: key.projects ?? "*", via };
}

/** Where a login or logout came from, for its audit event. */
export interface RequestInfo {
  requestId?: string | undefined;
  ip?: string | undefined;
  userAgent?: string | undefined;
}

/**
 * The audit subject of a session: a prefix of the stored hash, which identifies the row
 * but, unlike the id, is no credential.
 */
const subjectOf = (idHash: string) => ({ kind: "session", id: idHash.slice(0, 16) });

/** Validates the key and makes a session for it (audited as `session.create`); 401 for an unknown, revoked or expired key. */
export async function createSession({ ctx, secret, request }: { ctx: ServerContext; secret: string; request: RequestInfo }): Promise<CreatedSession> {
  const key = await findActiveKey(ctx, secret);
  if (!key) throw new UnauthorizedError("unknown, revoked or expired API key");
  const now = Date.now();
  const ttlEnd = now + ctx.config.sessionTtlMs;
  const expiresAt = new Date(key.expiresAt ? Math.min(ttlEnd, key.expiresAt.getTime()) : ttlEnd);
  const id = randomBytes(32).toString("base64url");
  const idHash = hashSecret(id);
  // Expired rows are useless; dropping them here keeps the table small without a sweeper.
  await ctx.db.orm.delete(sessions).where(lt(sessions.expiresAt, sql`now()`));
  await ctx.db.orm.transaction(async (tx) => {
    await tx.insert(sessions).values({ idHash, keyId: key.id, expiresAt });
    await recordAudit(auditQueryFromOrm(tx), { keyId: key.id, name: key.name, ...request }, {
      action: "session.create",
      subject: subjectOf(idHash),
      after: { keyId: key.id, expiresAt: expiresAt.toISOString() },
    });
  });
  return { id, expiresAt, maxAgeSeconds: Math.floor((expiresAt.getTime() - now) / 1000), key };
}

/** The key behind a live session id, or undefined (unknown or expired session, revoked or expired key). */
export async function findSessionKey(ctx: ServerContext, id: string): Promise<KeyRow | undefined> {
  const [row] = await ctx.db.orm
    .select({ key: apiKeys })
    .from(sessions)
    .innerJoin(apiKeys, eq(apiKeys.id, sessions.keyId))
    .where(
      and(
        eq(sessions.idHash, hashSecret(id)),
        gt(sessions.expiresAt, sql`now()`),
        isNull(apiKeys.revokedAt),
        or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, sql`now()`)),
      ),
    )
    .limit(1);
  return row?.key;
}

/** Logs a session out (audited as `session.delete` when there was one to end). */
export async function deleteSession({ ctx, id, actor }: { ctx: ServerContext; id: string; actor: AuditActor }): Promise<void> {
  const idHash = hashSecret(id);
  await ctx.db.orm.transaction(async (tx) => {
    const deleted = await tx.delete(sessions).where(eq(sessions.idHash, idHash)).returning({ keyId: sessions.keyId, expiresAt: sessions.expiresAt });
    if (deleted.length === 0) return;
    await recordAudit(auditQueryFromOrm(tx), actor, {
      action: "session.delete",
      subject: subjectOf(idHash),
      before: { keyId: deleted[0]!.keyId, expiresAt: deleted[0]!.expiresAt.toISOString() },
    });
  });
}
