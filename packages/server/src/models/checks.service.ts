import { type CheckResult, type CreateCheckResult, isUuid, uuidv7 } from "@cairn/core";
import { sql } from "drizzle-orm";
import type { z } from "zod";
import { auditQueryFromOrm, recordAudit } from "../audit/audit.service.js";
import type { Actor } from "../auth/actor.js";
import { rows, type Executor } from "../db/client.js";
import { liveProject } from "../datasets/dataset-rows.js";
import { decodeCursor, encodeCursor } from "../http/cursor.js";
import { ConflictError, ValidationError } from "../http/errors.js";
import type { ServerContext } from "../server-context.js";
import { CHECK_COLUMNS, type CheckRow, requireModel, resolveVersion, toCheckResult } from "./model-rows.js";
import { requireStorable } from "./storable.js";

export type ParsedCheck = z.output<typeof CreateCheckResult>;
type VersionScope = { ctx: ServerContext; actor: Actor; projectRef: string; name: string; ref: string };

const CHECK_SELECT = sql`select ${CHECK_COLUMNS} from check_results c join model_versions v on v.id = c.model_version_id`;

/** Every dataset version named must belong to the project: a 400 naming `datasets[i].datasetVersionId` otherwise. */
export async function requireProjectDatasets(tx: Executor, projectId: string, datasets: ParsedCheck["datasets"]): Promise<void> {
  if (datasets.length === 0) return;
  const known = new Set(
    (
      await rows<{ id: string }>(
        tx,
        sql`select v.id::text as id from dataset_versions v join datasets d on d.id = v.dataset_id
            where v.id = any(${sql.param([...new Set(datasets.map((d) => d.datasetVersionId.toLowerCase()))])}::uuid[]) and d.project_id = ${projectId}::uuid`,
      )
    ).map((r) => r.id),
  );
  const errors = datasets.flatMap((d, i) => (known.has(d.datasetVersionId.toLowerCase()) ? [] : [{ path: `datasets[${i}].datasetVersionId`, message: "no such dataset version in this project" }]));
  if (errors.length > 0) throw new ValidationError("a dataset version was not found in this project", errors);
}

/** Stores one check result row (client or server) and audits it; the caller holds the transaction. */
export async function insertCheck(
  tx: Executor,
  actor: Actor,
  projectId: string,
  version: { id: string; version: number; modelName: string },
  check: ParsedCheck & { id: string; source: CheckResult["source"] },
): Promise<CheckResult> {
  const datasets = check.datasets.map((d) => ({ datasetVersionId: d.datasetVersionId.toLowerCase(), role: d.role }));
  await tx.execute(
    sql`insert into check_results (id, model_version_id, kind, name, status, figures, datasets, tool, source, created_by)
        values (${check.id}::uuid, ${version.id}::uuid, ${check.kind}, ${check.name ?? null}, ${check.status}, ${JSON.stringify(check.figures)}::jsonb,
                ${JSON.stringify(datasets)}::jsonb, ${check.tool ? JSON.stringify(check.tool) : null}::jsonb, ${check.source}, ${actor.name})`,
  );
  const [row] = await rows<CheckRow>(tx, sql`${CHECK_SELECT} where c.id = ${check.id}::uuid`);
  await recordAudit(auditQueryFromOrm(tx), actor, {
    action: "check.create",
    subject: { kind: "check_result", id: check.id },
    projectId,
    after: { model: version.modelName, version: version.version, kind: check.kind, name: check.name ?? null, status: check.status, source: check.source, datasets },
  });
  return toCheckResult(row!);
}

/**
 * Records a check result against a version, figures stored as sent. A client id seen before
 * returns the stored result (`created: false`); the same id on another version is a 409.
 */
export async function createCheck({ ctx, actor, projectRef, name, ref, input: parsed }: VersionScope & { input: ParsedCheck }): Promise<{ check: CheckResult; created: boolean }> {
  requireStorable(parsed);
  const id = parsed.id?.toLowerCase() ?? uuidv7();
  return ctx.db.orm.transaction(async (tx) => {
    const project = await liveProject(tx, actor, projectRef, "writer");
    // The model's lock orders a retry after its original, so the id lookup below sees it.
    const model = await requireModel(tx, project.id, name, true);
    const version = await resolveVersion(tx, model, ref);
    const [stored] = await rows<CheckRow>(tx, sql`${CHECK_SELECT} where c.id = ${id}::uuid`);
    if (stored) {
      if (stored.model_version_id !== version.id) throw new ConflictError("this id belongs to a check result of another version", [{ path: "id", message: "already used" }]);
      return { check: toCheckResult(stored), created: false };
    }
    await requireProjectDatasets(tx, project.id, parsed.datasets);
    return { check: await insertCheck(tx, actor, project.id, version, { ...parsed, id, source: "client" }), created: true };
  });
}

const isCheckCursor = (v: unknown): v is { us: string; id: string } =>
  typeof v === "object" && v !== null && typeof (v as { us?: unknown }).us === "string" && /^\d{1,16}$/.test((v as { us: string }).us) && typeof (v as { id?: unknown }).id === "string" && isUuid((v as { id: string }).id);

/** Newest first (by time stored, then id), optionally of one kind. */
export async function listChecks({ ctx, actor, projectRef, name, ref, kind, limit, cursor }: VersionScope & { kind?: string | undefined; limit: number; cursor?: string | undefined }) {
  const after = cursor ? decodeCursor(cursor, isCheckCursor) : undefined;
  const project = await liveProject(ctx.db.orm, actor, projectRef, "reader");
  const model = await requireModel(ctx.db.orm, project.id, name);
  const version = await resolveVersion(ctx.db.orm, model, ref);
  const found = await rows<CheckRow & { us: string }>(
    ctx.db.orm,
    sql`select ${CHECK_COLUMNS}, (extract(epoch from c.created_at) * 1000000)::bigint::text as us
        from check_results c join model_versions v on v.id = c.model_version_id
        where c.model_version_id = ${version.id}::uuid ${kind !== undefined ? sql`and c.kind = ${kind}` : sql``}
        ${after ? sql`and ((extract(epoch from c.created_at) * 1000000)::bigint, c.id) < (${after.us}::bigint, ${after.id}::uuid)` : sql``}
        order by c.created_at desc, c.id desc limit ${limit + 1}`,
  );
  const page = found.slice(0, limit);
  const last = page[page.length - 1];
  return { checks: page.map(toCheckResult), nextCursor: found.length > limit && last ? encodeCursor({ us: last.us, id: last.id }) : null };
}
