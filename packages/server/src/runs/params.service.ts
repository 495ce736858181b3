import type { FieldError, Params, ParamValue } from "@cairn/core";
import { sql } from "drizzle-orm";
import { rows, type Executor } from "../db/client.js";
import { ConflictError } from "../http/errors.js";
import { auditQueryFromOrm, recordAudit } from "../audit/audit.service.js";
import { authorizeRun } from "../auth/access.js";
import type { Actor } from "../auth/actor.js";
import type { ServerContext } from "../server-context.js";
import { requireRunRow, type RunRow } from "./run-rows.js";

const sameParam = (a: ParamValue, b: ParamValue) => typeof a === typeof b && a === b;

/**
 * Params are immutable: the same value again is a no-op, a different one is a 409
 * naming every conflicting key, and nothing of the request is written then.
 * The caller holds the run row lock, so two writers cannot both "set first".
 */
export async function mergeParams(tx: Executor, actor: Actor, row: RunRow, params: Params): Promise<Params> {
  const stored: Params = typeof row.params === "string" ? JSON.parse(row.params) : row.params;
  const conflicts: FieldError[] = [];
  const fresh: Params = {};
  for (const [k, v] of Object.entries(params)) {
    if (!(k in stored)) fresh[k] = v;
    else if (!sameParam(stored[k]!, v)) conflicts.push({ path: `params.${k}`, message: `already set to ${JSON.stringify(stored[k])}` });
  }
  if (conflicts.length > 0) {
    throw new ConflictError(`params are immutable: ${conflicts.map((c) => c.path.slice(7)).join(", ")} already set to a different value`, conflicts);
  }
  if (Object.keys(fresh).length === 0) return stored;
  const [updated] = await rows<{ params: Params | string }>(
    tx,
    sql`update runs set params = params || ${JSON.stringify(fresh)}::jsonb where id = ${row.id}::uuid returning params`,
  );
  await recordAudit(auditQueryFromOrm(tx), actor, {
    action: "run.params",
    subject: { kind: "run", id: row.id },
    projectId: row.project_id,
    after: fresh,
  });
  const p = updated!.params;
  return typeof p === "string" ? (JSON.parse(p) as Params) : p;
}

export async function logParams({ ctx, actor, runId, params }: { ctx: ServerContext; actor: Actor; runId: string; params: Params }): Promise<Params> {
  await authorizeRun(ctx, actor, runId, "writer");
  return ctx.db.orm.transaction(async (tx) => mergeParams(tx, actor, await requireRunRow(tx, runId, true), params));
}

export async function getParams({ ctx, actor, runId }: { ctx: ServerContext; actor: Actor; runId: string }): Promise<Params> {
  await authorizeRun(ctx, actor, runId, "reader");
  const row = await requireRunRow(ctx.db.orm, runId);
  return typeof row.params === "string" ? (JSON.parse(row.params) as Params) : row.params;
}
