import { isUuid, ProjectName, roleRank, uuidv7, type CreateProject, type DeletedFilter, type ProductionModel, type Project } from "@cairn/core";
import { and, asc, eq, gt, inArray, isNotNull, isNull, sql } from "drizzle-orm";
import { auditQueryFromOrm, recordAudit } from "../audit/audit.service.js";
import { type Actor, authorize, hasProject, requireRole } from "../auth/actor.js";
import { pgErrorCode, UNIQUE_VIOLATION } from "../db/errors.js";
import { projects } from "../db/schema/index.js";
import type { Executor } from "../db/client.js";
import { ConflictError, ForbiddenError, NotFoundError } from "../http/errors.js";
import { decodeCursor, encodeCursor } from "../http/cursor.js";
import type { ServerContext } from "../server-context.js";

type ProjectRow = typeof projects.$inferSelect;

export function toProject(row: ProjectRow): Project {
  return { id: row.id, name: row.name, description: row.description, createdAt: row.createdAt.toISOString(), deletedAt: row.deletedAt?.toISOString() ?? null };
}

/** When the retention sweep purges a soft-deleted run or project (the same rule for both). */
export function withPurgeAt<T extends { deletedAt: string | null }>(ctx: ServerContext, o: T): T & { purgeAt: string | null } {
  return { ...o, purgeAt: o.deletedAt === null ? null : new Date(Date.parse(o.deletedAt) + ctx.config.deletedRetentionMs).toISOString() };
}

export async function createProject({ ctx, actor, input }: { ctx: ServerContext; actor: Actor; input: CreateProject }): Promise<Project> {
  if (!hasProject(actor, input.name) || roleRank(actor.role) < roleRank("writer")) {
    throw new ForbiddenError(`this key may not create project ${JSON.stringify(input.name)} (needs the writer role on it)`);
  }
  try {
    return await ctx.db.orm.transaction(async (tx) => {
      const [row] = await tx
        .insert(projects)
        .values({ id: uuidv7(), name: input.name, description: input.description ?? "" })
        .returning();
      const project = toProject(row!);
      await recordAudit(auditQueryFromOrm(tx), actor, {
        action: "project.create",
        subject: { kind: "project", id: project.id },
        projectId: project.id,
        after: { name: project.name, description: project.description },
      });
      return project;
    });
  } catch (e) {
    if (pgErrorCode(e) === UNIQUE_VIOLATION) {
      throw new ConflictError(`project ${JSON.stringify(input.name)} already exists`, [{ path: "name", message: "is taken" }]);
    }
    throw e;
  }
}

/** Looks a project up by id or by name (names can never look like a UUID). */
export async function findProject(db: Executor, ref: string): Promise<ProjectRow | undefined> {
  if (!isUuid(ref) && !ProjectName.safeParse(ref).success) return undefined; // cannot exist; never reaches SQL
  const [row] = await db
    .select()
    .from(projects)
    .where(isUuid(ref) ? eq(projects.id, ref.toLowerCase()) : eq(projects.name, ref))
    .limit(1);
  return row;
}

export async function getProject({ ctx, actor, ref }: { ctx: ServerContext; actor: Actor; ref: string }): Promise<Project> {
  const row = await findProject(ctx.db.orm, ref);
  if (!row || row.deletedAt) throw new NotFoundError("project", ref);
  authorize(actor, row, "reader", "project", ref);
  return toProject(row);
}

const isNameCursor = (v: unknown): v is { name: string } =>
  typeof v === "object" && v !== null && ProjectName.safeParse((v as { name?: unknown }).name).success;

/**
 * What the projects page shows next to each project, computed in the listing query itself
 * (correlated subqueries over the page's rows, no round trip per project): live runs, the
 * latest start/heartbeat/end of a live run, and the models whose `production` alias is set.
 * Timestamps travel as epoch ms and json as text, so both drivers give the same shapes. The
 * outer column is spelled `projects.id`: drizzle prints it unqualified, ambiguous in a subquery.
 */
const summaryColumns = {
  runCount: sql<number>`(select count(*)::int from runs r where r.project_id = projects.id and r.deleted_at is null)`.mapWith(Number),
  lastActivityMs: sql<number | null>`(select (extract(epoch from max(greatest(r.started_at, r.heartbeat_at, r.ended_at))) * 1000)::float8
      from runs r where r.project_id = projects.id and r.deleted_at is null)`,
  productionModels: sql<string>`(select coalesce(json_agg(json_build_object('name', m.name, 'version', v.version) order by m.name), '[]'::json)::text
      from registered_models m
      join model_aliases a on a.model_id = m.id and a.alias = 'production'
      join model_versions v on v.id = a.model_version_id
      where m.project_id = projects.id)`,
};

/** Only the projects the caller's key covers; soft-deleted ones (the trash) only for admins who ask. */
export async function listProjects({ ctx, actor, limit, cursor, deleted = "exclude" }: { ctx: ServerContext; actor: Actor; limit: number; cursor?: string; deleted?: DeletedFilter }) {
  if (deleted !== "exclude") requireRole(actor, "admin");
  const after = cursor ? decodeCursor(cursor, isNameCursor).name : undefined;
  const rows = await ctx.db.orm
    .select({ project: projects, ...summaryColumns })
    .from(projects)
    .where(
      and(
        after !== undefined ? gt(projects.name, after) : undefined,
        actor.projects === "*" ? undefined : inArray(projects.name, actor.projects),
        deleted === "exclude" ? isNull(projects.deletedAt) : deleted === "only" ? isNotNull(projects.deletedAt) : undefined,
      ),
    )
    .orderBy(asc(projects.name))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  return {
    projects: page.map((row) => ({
      ...withPurgeAt(ctx, toProject(row.project)),
      runCount: Number(row.runCount),
      lastActivityAt: row.lastActivityMs === null ? null : new Date(Number(row.lastActivityMs)).toISOString(),
      productionModels: (typeof row.productionModels === "string" ? JSON.parse(row.productionModels) : row.productionModels) as ProductionModel[],
    })),
    nextCursor: rows.length > limit ? encodeCursor({ name: page[page.length - 1]!.project.name }) : null,
  };
}
