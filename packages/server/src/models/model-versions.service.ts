import type { ModelVersion, ModelVersionListQuery, UpdateModelVersion } from "@cairn/core";
import { sql } from "drizzle-orm";
import { auditQueryFromOrm, recordAudit } from "../audit/audit.service.js";
import type { Actor } from "../auth/actor.js";
import { liveProject } from "../datasets/dataset-rows.js";
import { decodeCursor, encodeCursor } from "../http/cursor.js";
import type { ServerContext } from "../server-context.js";
import { loadVersions, requireModel, resolveVersion } from "./model-rows.js";
import { applyTagUpdates, canonical } from "./models.service.js";
import { requireStorable } from "./storable.js";

type VersionScope = { ctx: ServerContext; actor: Actor; projectRef: string; name: string };

/** A version by number or `latest`; the caller needs `role` on the (live) project. */
export async function getModelVersion({ ctx, actor, projectRef, name, ref }: VersionScope & { ref: string }): Promise<ModelVersion> {
  const project = await liveProject(ctx.db.orm, actor, projectRef, "reader");
  const model = await requireModel(ctx.db.orm, project.id, name);
  return resolveVersion(ctx.db.orm, model, ref);
}

const MAX_VERSION = 2_147_483_647;
const isVersionCursor = (v: unknown): v is { v: number } => typeof v === "object" && v !== null && Number.isInteger((v as { v?: unknown }).v) && (v as { v: number }).v >= 1 && (v as { v: number }).v <= MAX_VERSION;

/** Newest first. */
export async function listModelVersions({ ctx, actor, projectRef, name, limit, cursor, archived }: VersionScope & { limit: number; cursor?: string | undefined; archived: NonNullable<ModelVersionListQuery["archived"]> }) {
  const before = cursor ? decodeCursor(cursor, isVersionCursor).v : undefined;
  const project = await liveProject(ctx.db.orm, actor, projectRef, "reader");
  const model = await requireModel(ctx.db.orm, project.id, name);
  const filter = archived === "exclude" ? sql`and not v.archived` : archived === "only" ? sql`and v.archived` : sql``;
  const found = await loadVersions(
    ctx.db.orm,
    sql`v.model_id = ${model.id}::uuid ${filter} ${before !== undefined ? sql`and v.version < ${before}::int` : sql``}`,
    sql`order by v.version desc limit ${limit + 1}`,
  );
  const page = found.slice(0, limit);
  return { versions: page, nextCursor: found.length > limit ? encodeCursor({ v: page[page.length - 1]!.version }) : null };
}

/** Versions are immutable: only the description, tags and the archived flag change (the body's schema admits nothing else). */
export async function updateModelVersion({ ctx, actor, projectRef, name, ref, input }: VersionScope & { ref: string; input: UpdateModelVersion }): Promise<ModelVersion> {
  requireStorable(input);
  return ctx.db.orm.transaction(async (tx) => {
    const project = await liveProject(tx, actor, projectRef, "writer");
    const model = await requireModel(tx, project.id, name, true);
    const before = await resolveVersion(tx, model, ref);
    const next = { description: input.description ?? before.description, tags: applyTagUpdates(before.tags, input.tags), archived: input.archived ?? before.archived };
    const same = (k: keyof typeof next) => (k === "archived" ? before.archived === next.archived : canonical(before[k]) === canonical(next[k]));
    const changed = (["description", "tags", "archived"] as const).filter((k) => !same(k));
    if (changed.length === 0) return before;
    await tx.execute(
      sql`update model_versions set description = ${next.description}, tags = ${JSON.stringify(next.tags)}::jsonb, archived = ${next.archived} where id = ${before.id}::uuid`,
    );
    await recordAudit(auditQueryFromOrm(tx), actor, {
      action: "model_version.update",
      subject: { kind: "model_version", id: before.id },
      projectId: project.id,
      before: Object.fromEntries(changed.map((k) => [k, before[k]])),
      after: { model: model.name, version: before.version, ...Object.fromEntries(changed.map((k) => [k, next[k]])) },
    });
    const [after] = await loadVersions(tx, sql`v.id = ${before.id}::uuid`);
    return after!;
  });
}
