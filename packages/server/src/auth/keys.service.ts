import fs from "node:fs";
import path from "node:path";
import { isUuid, roleRank, uuidv7, type ApiKey, type CreatedKey, type CreateKey, type KeyList, type KeyProjects, type Role } from "@cairn/core";
import { and, desc, eq, isNull, lt, sql } from "drizzle-orm";
import { apiKeys } from "../db/schema/index.js";
import { ForbiddenError, NotFoundError, ValidationError } from "../http/errors.js";
import { decodeCursor, encodeCursor } from "../http/cursor.js";
import { auditQueryFromOrm, recordAudit } from "../audit/audit.service.js";
import type { ServerContext } from "../server-context.js";
import type { Actor } from "./actor.js";
import { hashSecret, newSecret, prefixOf } from "./secrets.js";

type KeyRow = typeof apiKeys.$inferSelect;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toApiKey(row: KeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    role: row.role as Role,
    projects: row.projects ?? "*",
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: iso(row.lastUsedAt),
    expiresAt: iso(row.expiresAt),
    revokedAt: iso(row.revokedAt),
  };
}

/** The server itself, as the actor of what it does on its own (bootstrap, crash sweeps). */
export const SYSTEM_ACTOR = { keyId: null, name: "system" } as const;

const auditView = (k: ApiKey) => ({ name: k.name, prefix: k.prefix, role: k.role, projects: k.projects, expiresAt: k.expiresAt });

/** A key may only hand out what it holds: no higher role, no project outside its scope. */
function withinScope(actor: Actor, role: Role, projects: KeyProjects): boolean {
  if (roleRank(role) > roleRank(actor.role)) return false;
  if (actor.projects === "*") return true;
  return projects !== "*" && projects.every((p) => (actor.projects as string[]).includes(p));
}

export async function createKey({ ctx, actor, input }: { ctx: ServerContext; actor: Actor; input: CreateKey }): Promise<CreatedKey> {
  if (roleRank(actor.role) < roleRank("admin")) throw new ForbiddenError("creating keys needs the admin role");
  if (!withinScope(actor, input.role, input.projects)) {
    throw new ForbiddenError("a key can only be given a role and projects its creator holds");
  }
  if (input.expiresAt !== undefined && input.expiresAt <= Date.now()) {
    throw new ValidationError("expiry in the past", [{ path: "expiresAt", message: "must be in the future" }]);
  }
  const secret = newSecret();
  return ctx.db.orm.transaction(async (tx) => {
    const [row] = await tx
      .insert(apiKeys)
      .values({
        id: uuidv7(),
        name: input.name,
        prefix: prefixOf(secret),
        secretHash: hashSecret(secret),
        role: input.role,
        projects: input.projects === "*" ? null : input.projects,
        createdBy: actor.keyId,
        expiresAt: input.expiresAt !== undefined ? new Date(input.expiresAt) : null,
      })
      .returning();
    const key = toApiKey(row!);
    // Never the secret: the event records what the key may do, not how to use it.
    await recordAudit(auditQueryFromOrm(tx), actor, { action: "key.create", subject: { kind: "key", id: key.id }, after: auditView(key) });
    return { ...key, secret };
  });
}

const isSeqCursor = (v: unknown): v is { id: string } =>
  typeof v === "object" && v !== null && typeof (v as { id?: unknown }).id === "string" && isUuid((v as { id: string }).id);

/** Keys the caller could have created: a scoped admin sees only keys inside its scope. */
export async function listKeys({ ctx, actor, limit, cursor }: { ctx: ServerContext; actor: Actor; limit: number; cursor?: string }): Promise<KeyList> {
  if (roleRank(actor.role) < roleRank("admin")) throw new ForbiddenError("listing keys needs the admin role");
  const before = cursor ? decodeCursor(cursor, isSeqCursor).id : undefined;
  const rows = await ctx.db.orm
    .select()
    .from(apiKeys)
    .where(before ? lt(apiKeys.id, before) : undefined)
    .orderBy(desc(apiKeys.id))
    .limit(limit + 1);
  const visible = rows.filter((r) => withinScope(actor, r.role as Role, r.projects ?? "*"));
  const page = visible.slice(0, limit);
  return {
    keys: page.map(toApiKey),
    nextCursor: rows.length > limit ? encodeCursor({ id: rows[Math.min(limit, rows.length) - 1]!.id }) : null,
  };
}

export async function revokeKey({ ctx, actor, id }: { ctx: ServerContext; actor: Actor; id: string }): Promise<ApiKey> {
  if (roleRank(actor.role) < roleRank("admin")) throw new ForbiddenError("revoking keys needs the admin role");
  const [row] = await ctx.db.orm.select().from(apiKeys).where(eq(apiKeys.id, id)).limit(1);
  if (!row || !withinScope(actor, row.role as Role, row.projects ?? "*")) throw new NotFoundError("key", id);
  const revoked = await ctx.db.orm.transaction(async (tx) => {
    const [updated] = await tx
      .update(apiKeys)
      .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
      .where(eq(apiKeys.id, id))
      .returning();
    if (!row.revokedAt) {
      await recordAudit(auditQueryFromOrm(tx), actor, {
        action: "key.revoke",
        subject: { kind: "key", id },
        before: { revokedAt: null },
        after: { revokedAt: updated!.revokedAt!.toISOString() },
      });
    }
    return updated!;
  });
  ctx.keyCache.forget(row.secretHash);
  return toApiKey(revoked);
}

/**
 * On first start with no key at all, makes the admin key: the operator's
 * CAIRN_BOOTSTRAP_TOKEN, or a generated one written to DATA_DIR/admin-token (0600).
 * Runs under the migration lock, so replicas starting together make one key.
 */
export async function bootstrapAdminKey(ctx: ServerContext): Promise<{ secret: string; file?: string } | undefined> {
  const [existing] = await ctx.db.orm.select({ id: apiKeys.id }).from(apiKeys).limit(1);
  if (existing) return undefined;
  const secret = ctx.config.bootstrapToken ?? newSecret();
  await ctx.db.orm.transaction(async (tx) => {
    const [row] = await tx
      .insert(apiKeys)
      .values({ id: uuidv7(), name: "bootstrap admin", prefix: prefixOf(secret), secretHash: hashSecret(secret), role: "admin", projects: null })
      .returning();
    const key = toApiKey(row!);
    await recordAudit(auditQueryFromOrm(tx), SYSTEM_ACTOR, { action: "key.create", subject: { kind: "key", id: key.id }, after: auditView(key) });
  });
  if (ctx.config.bootstrapToken) return { secret };
  fs.mkdirSync(ctx.config.dataDir, { recursive: true });
  const file = path.join(ctx.config.dataDir, "admin-token");
  fs.writeFileSync(file, secret + "\n", { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  return { secret, file };
}

/** Looks a presented secret up; undefined for unknown, revoked or expired keys. */
export async function findActiveKey(ctx: ServerContext, secret: string): Promise<KeyRow | undefined> {
  const hash = hashSecret(secret);
  const cached = ctx.keyCache.get(hash);
  if (cached !== undefined) return cached ?? undefined;
  const [row] = await ctx.db.orm
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.secretHash, hash), isNull(apiKeys.revokedAt)))
    .limit(1);
  const active = row && (!row.expiresAt || row.expiresAt.getTime() > Date.now()) ? row : undefined;
  ctx.keyCache.set(hash, active ?? null);
  return active;
}

/** last_used_at, at most once a minute per key: not a write per request. */
export async function touchKey(ctx: ServerContext, id: string): Promise<void> {
  if (!ctx.keyCache.shouldTouch(id)) return;
  await ctx.db.orm.update(apiKeys).set({ lastUsedAt: sql`now()` }).where(eq(apiKeys.id, id));
}
