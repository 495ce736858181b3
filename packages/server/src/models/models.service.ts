import { type CreateModel, ModelName, type RegisteredModel, type UpdateModel, uuidv7 } from "@cairn/core";
import { sql } from "drizzle-orm";
import { type AuditEventInput, auditQueryFromOrm, recordAudit } from "../audit/audit.service.js";
import type { Actor } from "../auth/actor.js";
import { rows, type Executor } from "../db/client.js";
import { liveProject } from "../datasets/dataset-rows.js";
import { decodeCursor, encodeCursor } from "../http/cursor.js";
import type { ServerContext } from "../server-context.js";
import { requireStorable } from "./storable.js";
import { findModel, MODEL_COLUMNS, type ModelRow, requireModel, toRegisteredModel } from "./model-rows.js";

/**
 * Inserts the model unless it exists and returns it locked (`for update`): registrations of
 * one model serialise on this row, which keeps version numbers gapless. It records no audit
 * event: the caller appends `modelCreatedEvent` with its own events as its transaction's
 * last statement. The audit lock is global and held until COMMIT, so taking it here, before
 * the caller's other row locks (a registration's blob rows), made registrations deadlock
 * with each other across requests (found by the concurrency scenario of the reliability suite).
 */
export async function ensureModel(
  tx: Executor,
  project: { id: string },
  input: { name: string; description?: string | undefined; tags?: Record<string, string> | undefined },
): Promise<{ model: ModelRow; created: boolean }> {
  const inserted = await rows<{ id: string }>(
    tx,
    sql`insert into registered_models (id, project_id, name, description, tags)
        values (${uuidv7()}::uuid, ${project.id}::uuid, ${input.name}, ${input.description ?? ""}, ${JSON.stringify(input.tags ?? {})}::jsonb)
        on conflict (project_id, name) do nothing returning id::text as id`,
  );
  const model = (await findModel(tx, project.id, input.name, true))!;
  return { model, created: inserted.length > 0 };
}

/** The audit event of a model that `ensureModel` created. */
export function modelCreatedEvent(project: { id: string }, model: ModelRow): AuditEventInput {
  return {
    action: "model.create",
    subject: { kind: "model", id: model.id },
    projectId: project.id,
    after: { name: model.name, description: model.description, tags: toRegisteredModel(model).tags },
  };
}

/** Creates the model, or returns the existing one unchanged (`created: false`). */
export async function createModel({ ctx, actor, projectRef, input }: { ctx: ServerContext; actor: Actor; projectRef: string; input: CreateModel }) {
  requireStorable(input);
  return ctx.db.orm.transaction(async (tx) => {
    const project = await liveProject(tx, actor, projectRef, "writer");
    const { model, created } = await ensureModel(tx, project, input);
    if (created) await recordAudit(auditQueryFromOrm(tx), actor, modelCreatedEvent(project, model));
    return { model: toRegisteredModel(model), created };
  });
}

const isNameCursor = (v: unknown): v is { name: string } => typeof v === "object" && v !== null && ModelName.safeParse((v as { name?: unknown }).name).success;

/** A project's models by name (byte order), each with its latest version and aliases. */
export async function listModels({ ctx, actor, projectRef, limit, cursor }: { ctx: ServerContext; actor: Actor; projectRef: string; limit: number; cursor?: string | undefined }) {
  const after = cursor ? decodeCursor(cursor, isNameCursor).name : undefined;
  const project = await liveProject(ctx.db.orm, actor, projectRef, "reader");
  const found = await rows<ModelRow>(
    ctx.db.orm,
    sql`select ${MODEL_COLUMNS} from registered_models m where m.project_id = ${project.id}::uuid
        ${after !== undefined ? sql`and m.name collate "C" > ${after}` : sql``}
        order by m.name collate "C" limit ${limit + 1}`,
  );
  const page = found.slice(0, limit);
  return { models: page.map(toRegisteredModel), nextCursor: found.length > limit ? encodeCursor({ name: page[page.length - 1]!.name }) : null };
}

export async function getModel({ ctx, actor, projectRef, name }: { ctx: ServerContext; actor: Actor; projectRef: string; name: string }): Promise<RegisteredModel> {
  const project = await liveProject(ctx.db.orm, actor, projectRef, "reader");
  return toRegisteredModel(await requireModel(ctx.db.orm, project.id, name));
}

/** Description and tags (a null tag value removes the tag); a change is audited, a no-op changes nothing. */
export async function updateModel({ ctx, actor, projectRef, name, input }: { ctx: ServerContext; actor: Actor; projectRef: string; name: string; input: UpdateModel }): Promise<RegisteredModel> {
  requireStorable(input);
  return ctx.db.orm.transaction(async (tx) => {
    const project = await liveProject(tx, actor, projectRef, "writer");
    const before = toRegisteredModel(await requireModel(tx, project.id, name, true));
    const next = { description: input.description ?? before.description, tags: applyTagUpdates(before.tags, input.tags) };
    const changed = (["description", "tags"] as const).filter((k) => canonical(before[k]) !== canonical(next[k]));
    if (changed.length === 0) return before;
    await tx.execute(
      sql`update registered_models set description = ${next.description}, tags = ${JSON.stringify(next.tags)}::jsonb, updated_at = now() where id = ${before.id}::uuid`,
    );
    await recordAudit(auditQueryFromOrm(tx), actor, {
      action: "model.update",
      subject: { kind: "model", id: before.id },
      projectId: project.id,
      before: Object.fromEntries(changed.map((k) => [k, before[k]])),
      after: Object.fromEntries(changed.map((k) => [k, next[k]])),
    });
    return toRegisteredModel((await findModel(tx, project.id, name))!);
  });
}

/** jsonb orders keys its own way: compare tag sets by content. */
export const canonical = (v: string | Record<string, string>) => JSON.stringify(typeof v === "string" ? v : applyTagUpdates(v, undefined));

/** `{k: "v"}` sets, `{k: null}` removes; keys keep a stable (sorted) order so comparisons see content only. */
export function applyTagUpdates(tags: Record<string, string>, updates: Record<string, string | null> | undefined): Record<string, string> {
  const out: Record<string, string> = { ...tags };
  for (const [k, v] of Object.entries(updates ?? {})) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
