import type { Project, ProjectDeletion, Run, RunDeletion } from "@cairn/core";
import { sql } from "drizzle-orm";
import { auditQueryFromOrm, recordAudit } from "../audit/audit.service.js";
import { authorizeProject, authorizeRun } from "../auth/access.js";
import type { Actor } from "../auth/actor.js";
import { rows, type Executor } from "../db/client.js";
import { ConflictError, HttpError, NotFoundError } from "../http/errors.js";
import { toProject, withPurgeAt } from "../projects/projects.service.js";
import { loadSummaries, requireRunRow, toRun } from "../runs/run-rows.js";
import type { ServerContext } from "../server-context.js";
import { forgetRuns, purgeProjectRows, purgeRunRows } from "./purge.service.js";

const iso = (ms: number | string) => new Date(Number(ms)).toISOString();

/** Past the retention period a deleted object only awaits the purge sweep: it can no longer be restored. */
function checkRestorable(ctx: ServerContext, what: string, id: string, deletedMs: number): void {
  if (Date.now() - deletedMs > ctx.config.deletedRetentionMs) {
    const days = ctx.config.deletedRetentionMs / 86_400_000;
    throw new HttpError(404, "not_found", `${what} ${JSON.stringify(id)} was deleted more than ${days} days ago (the retention period) and can no longer be restored; it awaits purge`);
  }
}

function forgetProjectRuns(ctx: ServerContext, projectId: string): void {
  for (const [runId, owner] of ctx.runOwners) if (owner.id === projectId) ctx.runOwners.delete(runId);
}

/** Moves a run to the trash: hidden from every list and lookup, every write refused, restorable within the retention period. */
export async function softDeleteRun({ ctx, actor, runId }: { ctx: ServerContext; actor: Actor; runId: string }): Promise<RunDeletion> {
  await authorizeRun(ctx, actor, runId, "writer");
  const deleted = await ctx.db.orm.transaction(async (tx) => {
    const row = await requireRunRow(tx, runId, true);
    const [d] = await rows<{ deleted_ms: number }>(tx, sql`update runs set deleted_at = now() where id = ${runId}::uuid returning (extract(epoch from deleted_at) * 1000)::float8 as deleted_ms`);
    await recordAudit(auditQueryFromOrm(tx), actor, { action: "run.delete", subject: { kind: "run", id: runId }, projectId: row.project_id, before: { name: row.name, status: row.status } });
    return Number(d!.deleted_ms);
  });
  ctx.runOwners.delete(runId);
  const { deletedAt, purgeAt } = withPurgeAt(ctx, { deletedAt: iso(deleted) });
  return { id: runId, purged: false, deletedAt, purgeAt, removed: null };
}

export async function restoreRun({ ctx, actor, runId }: { ctx: ServerContext; actor: Actor; runId: string }): Promise<Run> {
  const project = await authorizeRun(ctx, actor, runId, "writer", true);
  return ctx.db.orm.transaction(async (tx) => {
    const [p] = await rows<{ deleted: boolean }>(tx, sql`select deleted_at is not null as deleted from projects where id = ${project.id}::uuid`);
    // A deleted project hides its runs, this one included: restore the project first.
    if (p?.deleted) throw new NotFoundError("run", runId);
    const row = await requireRunRow(tx, runId, true, true);
    if (row.deleted_ms === null) throw new ConflictError("the run is not deleted", [{ path: "runId", message: "is not in the trash" }]);
    checkRestorable(ctx, "run", runId, Number(row.deleted_ms));
    await rows(tx, sql`update runs set deleted_at = null where id = ${runId}::uuid returning id`);
    await recordAudit(auditQueryFromOrm(tx), actor, { action: "run.restore", subject: { kind: "run", id: runId }, projectId: row.project_id, before: { deletedAt: iso(row.deleted_ms) } });
    const summaries = await loadSummaries(tx, [runId]);
    return withPurgeAt(ctx, toRun({ ...row, deleted_ms: null }, summaries.get(runId) ?? {}));
  });
}

/** Hard-deletes a run now, live or in the trash (maintainer or above). */
export async function purgeRun({ ctx, actor, runId }: { ctx: ServerContext; actor: Actor; runId: string }): Promise<RunDeletion> {
  await authorizeRun(ctx, actor, runId, "maintainer", true);
  const removed = await ctx.db.orm.transaction(async (tx) => {
    const row = await requireRunRow(tx, runId, true, true);
    const counts = (await purgeRunRows(tx, [runId])).get(runId);
    if (!counts) throw new NotFoundError("run", runId);
    await recordAudit(auditQueryFromOrm(tx), actor, {
      action: "run.purge",
      subject: { kind: "run", id: runId },
      projectId: row.project_id,
      before: { name: row.name, status: row.status, deletedAt: row.deleted_ms === null ? null : iso(row.deleted_ms) },
      after: counts,
    });
    return counts;
  });
  forgetRuns(ctx, [runId]);
  return { id: runId, purged: true, deletedAt: null, purgeAt: null, removed };
}

async function lockProject(tx: Executor, id: string): Promise<{ deleted_ms: number | null }> {
  const [row] = await rows<{ deleted_ms: number | null }>(tx, sql`select (extract(epoch from deleted_at) * 1000)::float8 as deleted_ms from projects where id = ${id}::uuid for update`);
  if (!row) throw new NotFoundError("project", id);
  return row;
}

/** Moves a project to the trash (admin): it and all its runs disappear from every list and lookup. */
export async function softDeleteProject({ ctx, actor, ref }: { ctx: ServerContext; actor: Actor; ref: string }): Promise<ProjectDeletion> {
  const project = await authorizeProject(ctx.db.orm, actor, ref, "admin");
  const deleted = await ctx.db.orm.transaction(async (tx) => {
    const locked = await lockProject(tx, project.id);
    if (locked.deleted_ms !== null) throw new NotFoundError("project", ref);
    const [d] = await rows<{ deleted_ms: number }>(tx, sql`update projects set deleted_at = now() where id = ${project.id}::uuid returning (extract(epoch from deleted_at) * 1000)::float8 as deleted_ms`);
    await recordAudit(auditQueryFromOrm(tx), actor, { action: "project.delete", subject: { kind: "project", id: project.id }, projectId: project.id, before: { name: project.name } });
    return Number(d!.deleted_ms);
  });
  forgetProjectRuns(ctx, project.id);
  const { deletedAt, purgeAt } = withPurgeAt(ctx, { deletedAt: iso(deleted) });
  return { id: project.id, name: project.name, purged: false, deletedAt, purgeAt, removed: null };
}

export async function restoreProject({ ctx, actor, ref }: { ctx: ServerContext; actor: Actor; ref: string }): Promise<Project> {
  const project = await authorizeProject(ctx.db.orm, actor, ref, "admin", true);
  return ctx.db.orm.transaction(async (tx) => {
    const locked = await lockProject(tx, project.id);
    if (locked.deleted_ms === null) throw new ConflictError("the project is not deleted", [{ path: "project", message: "is not in the trash" }]);
    checkRestorable(ctx, "project", ref, Number(locked.deleted_ms));
    await rows(tx, sql`update projects set deleted_at = null where id = ${project.id}::uuid returning id`);
    await recordAudit(auditQueryFromOrm(tx), actor, { action: "project.restore", subject: { kind: "project", id: project.id }, projectId: project.id, before: { deletedAt: iso(locked.deleted_ms) } });
    return toProject({ ...project, deletedAt: null });
  });
}

/** Hard-deletes a project now (admin), with all its runs, their points and artifacts records, and its datasets. */
export async function purgeProject({ ctx, actor, ref }: { ctx: ServerContext; actor: Actor; ref: string }): Promise<ProjectDeletion> {
  const project = await authorizeProject(ctx.db.orm, actor, ref, "admin", true);
  const { counts, runIds } = await ctx.db.orm.transaction(async (tx) => {
    const locked = await lockProject(tx, project.id);
    const purged = await purgeProjectRows(tx, project.id);
    await recordAudit(auditQueryFromOrm(tx), actor, {
      action: "project.purge",
      subject: { kind: "project", id: project.id },
      projectId: project.id,
      before: { name: project.name, deletedAt: locked.deleted_ms === null ? null : iso(locked.deleted_ms) },
      after: purged.counts,
    });
    return purged;
  });
  forgetRuns(ctx, runIds);
  return { id: project.id, name: project.name, purged: true, deletedAt: null, purgeAt: null, removed: counts };
}
