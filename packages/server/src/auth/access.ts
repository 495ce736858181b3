import { isUuid, type Role } from "@cairn/core";
import { sql } from "drizzle-orm";
import { rows, type Executor } from "../db/client.js";
import { NotFoundError } from "../http/errors.js";
import { findProject } from "../projects/projects.service.js";
import type { ServerContext } from "../server-context.js";
import { type Actor, authorize } from "./actor.js";

/** The project a run belongs to, looked up from the run itself (never trusted from the URL). */
export async function runOwner(ctx: ServerContext, runId: string): Promise<{ id: string; name: string } | undefined> {
  if (!isUuid(runId)) return undefined;
  const cached = ctx.runOwners.get(runId);
  if (cached) return cached;
  const [row] = await rows<{ id: string; name: string }>(
    ctx.db.orm,
    sql`select p.id::text as id, p.name from runs r join projects p on p.id = r.project_id where r.id = ${runId}::uuid`,
  );
  if (!row) return undefined;
  if (ctx.runOwners.size > 100_000) ctx.runOwners.clear();
  ctx.runOwners.set(runId, row);
  return row;
}

/** 404 unless the run exists and the caller may see its project; 403 if the role is too low. */
export async function authorizeRun(ctx: ServerContext, actor: Actor, runId: string, needed: Role): Promise<{ id: string; name: string }> {
  const owner = await runOwner(ctx, runId);
  if (!owner) throw new NotFoundError("run", runId);
  authorize(actor, owner, needed, "run", runId);
  return owner;
}

/** The project by name or id, if the caller may see it (else the same 404 as a missing one). */
export async function authorizeProject(db: Executor, actor: Actor, ref: string, needed: Role) {
  const project = await findProject(db, ref);
  if (!project) throw new NotFoundError("project", ref);
  authorize(actor, project, needed, "project", ref);
  return project;
}
