import { TERMINAL_STATUSES, uuidv7, type CreateRun, type Heartbeat, type Run, type RunStatus, type UpdateRun } from "@cairn/core";
import { type SQL, sql } from "drizzle-orm";
import { rows, type Executor } from "../db/client.js";
import { ConflictError, NotFoundError, ValidationError } from "../http/errors.js";
import { auditQueryFromOrm, recordAudit } from "../audit/audit.service.js";
import type { Actor } from "../auth/actor.js";
import { authorizeProject, authorizeRun } from "../auth/access.js";
import type { ServerContext } from "../server-context.js";
import { mergeParams } from "./params.service.js";
import { withPurgeAt } from "../projects/projects.service.js";
import { LIVE_RUN, loadRunRow, loadSummaries, requireRunRow, RUN_COLUMNS, toRun, type RunRow } from "./run-rows.js";
import { randomRunName } from "./run-names.js";

async function withSummaries(db: Executor, row: RunRow): Promise<Run> {
  const summaries = await loadSummaries(db, [row.id]);
  return toRun(row, summaries.get(row.id) ?? {});
}

/**
 * Creates a run. A client-supplied id makes this idempotent: re-sending the same
 * create returns the stored run (`created: false`), so an SDK retry never forks a run.
 */
export async function createRun({ ctx, actor, projectRef, input }: { ctx: ServerContext; actor: Actor; projectRef: string; input: CreateRun }): Promise<{ run: Run; created: boolean }> {
  return ctx.db.orm.transaction(async (tx) => {
    const project = await authorizeProject(tx, actor, projectRef, "writer");
    const id = input.id ?? uuidv7();
    if (input.parentId) {
      const [parent] = await rows<{ project_id: string }>(tx, sql`select project_id::text as project_id from runs where id = ${input.parentId}::uuid and deleted_at is null`);
      if (!parent || parent.project_id !== project.id) {
        throw new ValidationError("parent run not found in this project", [{ path: "parentId", message: "no such run in this project" }]);
      }
      if (input.parentId === id) throw new ValidationError("a run cannot be its own parent", [{ path: "parentId", message: "equals the run id" }]);
    }
    if (input.retrainedFrom) {
      const [origin] = await rows<{ project_id: string }>(tx, sql`select project_id::text as project_id from runs where id = ${input.retrainedFrom}::uuid and deleted_at is null`);
      if (!origin || origin.project_id !== project.id || input.retrainedFrom === id) {
        throw new ValidationError("the run this one re-executes was not found in this project", [{ path: "retrainedFrom", message: "no such run in this project" }]);
      }
    }
    const startedAt = input.startedAt !== undefined ? new Date(input.startedAt).toISOString() : null;
    const inserted = await rows<RunRow>(
      tx,
      sql`insert into runs as r (id, project_id, name, parent_id, notes, tags, params, started_at, source, environment, retrained_from)
          values (${id}::uuid, ${project.id}::uuid, ${input.name ?? randomRunName()}, ${input.parentId ?? null}::uuid,
                  ${input.notes ?? ""}, ${JSON.stringify(input.tags ?? {})}::jsonb, ${JSON.stringify(input.params ?? {})}::jsonb,
                  coalesce(${startedAt}::timestamptz, now()),
                  ${input.source ? JSON.stringify(input.source) : null}::jsonb, ${input.environment ? JSON.stringify(input.environment) : null}::jsonb,
                  ${input.retrainedFrom ?? null}::uuid)
          on conflict (id) do nothing
          returning ${RUN_COLUMNS}`,
    );
    if (inserted[0]) {
      const run = toRun(inserted[0], {});
      await recordAudit(auditQueryFromOrm(tx), actor, {
        action: "run.create",
        subject: { kind: "run", id: run.id },
        projectId: project.id,
        after: { name: run.name, parentId: run.parentId, tags: run.tags, params: run.params, notes: run.notes, retrainedFrom: run.retrainedFrom },
      });
      return { run, created: true };
    }

    const existing = await requireRunRow(tx, id, true, true);
    if (existing.project_id !== project.id) {
      throw new ConflictError("a run with this id exists in another project", [{ path: "id", message: "already used" }]);
    }
    if (existing.deleted_ms !== null) {
      throw new ConflictError("a run with this id was deleted; restore it first (POST /runs/{runId}/restore)", [{ path: "id", message: "belongs to a deleted run" }]);
    }
    if (input.params && Object.keys(input.params).length > 0) await mergeParams(tx, actor, existing, input.params);
    return { run: await withSummaries(tx, (await loadRunRow(tx, id))!), created: false };
  });
}

/** A soft-deleted run is not found unless `includeDeleted`; then it carries `deletedAt` and `purgeAt`. */
export async function getRun({ ctx, actor, runId, includeDeleted = false }: { ctx: ServerContext; actor: Actor; runId: string; includeDeleted?: boolean }): Promise<Run> {
  await authorizeRun(ctx, actor, runId, "reader", includeDeleted);
  return withPurgeAt(ctx, await withSummaries(ctx.db.orm, await requireRunRow(ctx.db.orm, runId, false, includeDeleted)));
}

/** running ⇄ crashed are the server's to decide; a finished run may be resumed. */
function checkTransition(from: RunStatus, to: RunStatus): void {
  if (from === to) return;
  if (to === "running" || TERMINAL_STATUSES.includes(to)) return;
  throw new ConflictError(`cannot move a run from ${from} to ${to}`, [{ path: "status", message: `not allowed from ${from}` }]);
}

export async function updateRun({ ctx, actor, runId, input }: { ctx: ServerContext; actor: Actor; runId: string; input: UpdateRun }): Promise<Run> {
  await authorizeRun(ctx, actor, runId, "writer");
  return ctx.db.orm.transaction(async (tx) => {
    const row = await requireRunRow(tx, runId, true);
    const from = row.status as RunStatus;
    const to = input.status ?? from;
    checkTransition(from, to);

    let endedAt: string | null | undefined; // undefined = leave as is
    if (input.endedAt !== undefined) endedAt = new Date(input.endedAt).toISOString();
    else if (to !== from && TERMINAL_STATUSES.includes(to)) endedAt = new Date().toISOString();
    else if (to === "running" && from !== "running") endedAt = null;

    const set: Record<string, string> = {};
    const remove: string[] = [];
    for (const [k, v] of Object.entries(input.tags ?? {})) {
      if (v === null) remove.push(k);
      else set[k] = v;
    }
    const [updated] = await rows<RunRow>(
      tx,
      sql`update runs as r set
            status = ${to},
            name = coalesce(${input.name ?? null}, r.name),
            notes = coalesce(${input.notes ?? null}, r.notes),
            tags = (r.tags || ${JSON.stringify(set)}::jsonb) - ${sql.param(remove)}::text[],
            ended_at = case when ${endedAt === undefined} then r.ended_at else ${endedAt ?? null}::timestamptz end,
            heartbeat_at = case when ${to === "running" && from !== "running"} then now() else r.heartbeat_at end
          where r.id = ${runId}::uuid
          returning ${RUN_COLUMNS}`,
    );
    const after = toRun(updated!, {});
    const before = toRun(row, {});
    const changed = (["status", "name", "notes", "tags", "endedAt"] as const).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
    if (changed.length > 0) {
      await recordAudit(auditQueryFromOrm(tx), actor, {
        action: "run.update",
        subject: { kind: "run", id: runId },
        projectId: row.project_id,
        before: Object.fromEntries(changed.map((k) => [k, before[k]])),
        after: Object.fromEntries(changed.map((k) => [k, after[k]])),
      });
    }
    return withSummaries(tx, updated!);
  });
}

const lastTouched = new Map<string, number>();
const TOUCH_EVERY_MS = 10_000;

/**
 * Logging data is a sign of life too, so clients that never send heartbeats are not
 * marked crashed while they write. Throttled per run: one small UPDATE per 10 s at most.
 */
export async function touchRun(ctx: ServerContext, actor: Actor, runId: string): Promise<void> {
  const now = Date.now();
  if (now - (lastTouched.get(runId) ?? 0) < TOUCH_EVERY_MS) return;
  lastTouched.set(runId, now);
  if (lastTouched.size > 100_000) lastTouched.clear();
  await beat(ctx, actor, runId, sql`status in ('running', 'crashed')`);
}

/**
 * Records liveness. The timestamp alone is not audited (it changes every 30 s), but a
 * crashed run coming back to life is a status change, audited with who revived it.
 */
async function beat(ctx: ServerContext, actor: Actor, runId: string, only: SQL) {
  return ctx.db.orm.transaction(async (tx) => {
    const [row] = await rows<{ status: RunStatus; was: RunStatus; project_id: string; heartbeat_ms: number }>(
      tx,
      sql`with old as (select r.id, r.status from runs r where r.id = ${runId}::uuid and ${LIVE_RUN} and ${only} for update of r)
          update runs r set heartbeat_at = now(), status = case when r.status = 'crashed' then 'running' else r.status end
          from old where r.id = old.id
          returning r.status, old.status as was, r.project_id::text as project_id,
                    (extract(epoch from r.heartbeat_at) * 1000)::float8 as heartbeat_ms`,
    );
    if (row && row.was !== row.status) {
      await recordAudit(auditQueryFromOrm(tx), actor, {
        action: "run.update",
        subject: { kind: "run", id: runId },
        projectId: row.project_id,
        before: { status: row.was },
        after: { status: row.status },
      });
    }
    return row;
  });
}

/** The SDK's liveness signal; a crashed run that beats again is running again. */
export async function recordHeartbeat({ ctx, actor, runId }: { ctx: ServerContext; actor: Actor; runId: string }): Promise<Heartbeat> {
  await authorizeRun(ctx, actor, runId, "writer");
  const row = await beat(ctx, actor, runId, sql`true`);
  if (!row) throw new NotFoundError("run", runId);
  return { status: row.status, heartbeatAt: new Date(Number(row.heartbeat_ms)).toISOString() };
}
