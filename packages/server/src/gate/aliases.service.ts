import { type AliasMove, type ModelAlias, uuidv7 } from "@cairn/core";
import { sql } from "drizzle-orm";
import { auditQueryFromOrm, recordAudit } from "../audit/audit.service.js";
import type { Actor } from "../auth/actor.js";
import { liveProject } from "../datasets/dataset-rows.js";
import { rows, type Executor } from "../db/client.js";
import { NotFoundError } from "../http/errors.js";
import { loadVersions, requireModel } from "../models/model-rows.js";
import type { ServerContext } from "../server-context.js";
import { findHolder } from "./evidence.service.js";
import { MOVE_COLUMNS, type MoveRow, toAliasMove } from "./gate-rows.js";

/** History kept in a response; older moves stay in the database and the audit log. */
const HISTORY_LIMIT = 1000;

async function history(db: Executor, modelId: string, alias: string): Promise<AliasMove[]> {
  const found = await rows<MoveRow>(
    db,
    sql`select ${MOVE_COLUMNS} from alias_moves am where am.model_id = ${modelId}::uuid and am.alias = ${alias}
        order by am.moved_at desc, am.id desc limit ${HISTORY_LIMIT}`,
  );
  return found.map(toAliasMove);
}

/** Where the alias points (with the version whole) and its moves, newest first. */
export async function aliasView(db: Executor, model: { id: string; name: string }, alias: string): Promise<ModelAlias> {
  const holder = await findHolder(db, model.id, alias);
  const [modelVersion] = holder ? await loadVersions(db, sql`v.id = ${holder.id}::uuid`) : [];
  return { modelId: model.id, modelName: model.name, alias, version: holder?.version ?? null, modelVersion: modelVersion ?? null, history: await history(db, model.id, alias) };
}

/** An alias that points somewhere, ever did, or has a policy; else 404. */
export async function getAlias({ ctx, actor, projectRef, name, alias }: { ctx: ServerContext; actor: Actor; projectRef: string; name: string; alias: string }): Promise<ModelAlias> {
  const project = await liveProject(ctx.db.orm, actor, projectRef, "reader");
  const model = await requireModel(ctx.db.orm, project.id, name);
  const view = await aliasView(ctx.db.orm, model, alias);
  if (view.version === null && view.history.length === 0) {
    const [policy] = await rows<{ ok: number }>(ctx.db.orm, sql`select 1 as ok from model_policies where model_id = ${model.id}::uuid and alias = ${alias} limit 1`);
    if (!policy) throw new NotFoundError(`alias of model ${JSON.stringify(name)}`, alias);
  }
  return view;
}

/** Every alias the model has: pointing now, moved before, or with a policy. */
export async function listAliases({ ctx, actor, projectRef, name }: { ctx: ServerContext; actor: Actor; projectRef: string; name: string }): Promise<{ aliases: ModelAlias[] }> {
  const project = await liveProject(ctx.db.orm, actor, projectRef, "reader");
  const model = await requireModel(ctx.db.orm, project.id, name);
  const names = await rows<{ alias: string }>(
    ctx.db.orm,
    sql`select alias from (select alias from model_aliases where model_id = ${model.id}::uuid
        union select alias from alias_moves where model_id = ${model.id}::uuid
        union select alias from model_policies where model_id = ${model.id}::uuid) a
        order by alias collate "C"`,
  );
  const aliases: ModelAlias[] = [];
  for (const { alias } of names) aliases.push(await aliasView(ctx.db.orm, model, alias));
  return { aliases };
}

/** Points the alias nowhere; the history keeps a move to null. No policy is involved in removing. */
export async function removeAlias({ ctx, actor, projectRef, name, alias, reason }: { ctx: ServerContext; actor: Actor; projectRef: string; name: string; alias: string; reason?: string | undefined }): Promise<ModelAlias> {
  return ctx.db.orm.transaction(async (tx) => {
    const project = await liveProject(tx, actor, projectRef, "writer");
    const model = await requireModel(tx, project.id, name, true);
    const holder = await findHolder(tx, model.id, alias);
    if (!holder) throw new NotFoundError(`alias of model ${JSON.stringify(name)}`, alias);
    await tx.execute(sql`delete from model_aliases where model_id = ${model.id}::uuid and alias = ${alias}`);
    await insertMove(tx, { modelId: model.id, alias, from: holder.version, to: null, actor, reason: reason ?? null, evaluationId: null, forced: false });
    await recordAudit(auditQueryFromOrm(tx), actor, {
      action: "alias.remove",
      subject: { kind: "model", id: model.id },
      projectId: project.id,
      before: { alias, version: holder.version },
      after: { alias, version: null, reason: reason ?? null },
    });
    return aliasView(tx, model, alias);
  });
}

/**
 * One history row. `clock_timestamp()`, not the transaction's start time: moves serialise on
 * the model's row lock, so the time it is taken after the lock orders them as they happened.
 */
export async function insertMove(
  tx: Executor,
  m: { modelId: string; alias: string; from: number | null; to: number | null; actor: Actor; reason: string | null; evaluationId: string | null; forced: boolean },
): Promise<void> {
  await tx.execute(
    sql`insert into alias_moves (id, model_id, alias, from_version, to_version, actor, reason, evaluation_id, forced, moved_at)
        values (${uuidv7()}::uuid, ${m.modelId}::uuid, ${m.alias}, ${m.from}::int, ${m.to}::int, ${m.actor.name}, ${m.reason},
                ${m.evaluationId}::uuid, ${m.forced}, clock_timestamp())`,
  );
}
