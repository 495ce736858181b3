import { isUuid, type Role } from "@cairn/core";
import { sql } from "drizzle-orm";
import { rows, type Executor } from "../db/client.js";
import { NotFoundError } from "../http/errors.js";
import { findProject } from "../projects/projects.service.js";
import type { ServerContext } from "../server-context.js";
import { type Actor, authorize } from "./actor.js";

/**
 * How long a cached run → project entry is trusted before the run's liveness is read again.
 * The cache holds only live runs and this replica drops entries when it deletes; a deletion
 * made through another replica is seen here within this time by reads, and at once by
 * writes, which check liveness in their own SQL.
 */
export const RUN_OWNER_TTL_MS = 5_000;

/**
 * The project a run belongs to, looked up from the run itself (never trusted from the URL).
 * A soft-deleted run, or a run of a soft-deleted project, has no owner (404) unless `includeDeleted`.
 */
export async function runOwner(ctx: ServerContext, runId: string, includeDeleted = false): Promise<{ id: string; name: string } | undefined> {
  if (!isUuid(runId)) return undefined;
  const cached = ctx.runOwners.get(runId);
  if (cached && Date.now() - cached.checkedAt < RUN_OWNER_TTL_MS) return cached;
  const [row] = await rows<{ id: string; name: string; live: boolean }>(
    ctx.db.orm,
    sql`select p.id::text as id, p.name, (r.deleted_at is null and p.deleted_at is null) as live
        from runs r join projects p on p.id = r.project_id where r.id = ${runId}::uuid`,
  );
  if (!row || (!row.live && !includeDeleted)) {
    ctx.runOwners.delete(runId);
    return undefined;
  }
  const owner = { id: row.id, name: row.name };
  if (row.live) {
    if (ctx.runOwners.size > 100_000) ctx.runOwners.clear();
    ctx.runOwners.set(runId, { ...owner, checkedAt: Date.now() });
  }
  return owner;
}

/** 404 unless the run exists (and is live, unless `includeDeleted`) and the caller may see its project; 403 if the role is too low. */
export async function authorizeRun(ctx: ServerContext, actor: Actor, runId: string, needed: Role, includeDeleted = false): Promise<{ id: string; name: string }> {
  const owner = await runOwner(ctx, runId, includeDeleted);
  if (!owner) throw new NotFoundError("run", runId);
  authorize(actor, owner, needed, "run", runId);
  return owner;
}

/** The project by name or id, if the caller may see it (else the same 404 as a missing one); a soft-deleted one only with `includeDeleted`. */
export async function authorizeProject(db: Executor, actor: Actor, ref: string, needed: Role, includeDeleted = false) {
  const project = await findProject(db, ref);
  if (!project || (project.deletedAt && !includeDeleted)) throw new NotFoundError("project", ref);
  authorize(actor, project, needed, "project", ref);
  return project;
}
