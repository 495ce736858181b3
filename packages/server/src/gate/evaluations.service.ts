import { type GateEvaluation, isUuid } from "@cairn/core";
import { sql } from "drizzle-orm";
import type { Actor } from "../auth/actor.js";
import { liveProject } from "../datasets/dataset-rows.js";
import { rows } from "../db/client.js";
import { decodeCursor, encodeCursor } from "../http/cursor.js";
import { NotFoundError } from "../http/errors.js";
import { requireModel } from "../models/model-rows.js";
import type { ServerContext } from "../server-context.js";
import { EVALUATION_COLUMNS, type EvaluationRow, toGateEvaluation } from "./gate-rows.js";

const isIdCursor = (v: unknown): v is { id: string } => typeof v === "object" && v !== null && typeof (v as { id?: unknown }).id === "string" && isUuid((v as { id: string }).id);

/** Newest first (ids are UUIDv7, so id order is time order); `alias` narrows to one alias. */
export async function listEvaluations({ ctx, actor, projectRef, name, alias, limit, cursor }: { ctx: ServerContext; actor: Actor; projectRef: string; name: string; alias?: string | undefined; limit: number; cursor?: string | undefined }) {
  const before = cursor ? decodeCursor(cursor, isIdCursor).id : undefined;
  const project = await liveProject(ctx.db.orm, actor, projectRef, "reader");
  const model = await requireModel(ctx.db.orm, project.id, name);
  const found = await rows<EvaluationRow>(
    ctx.db.orm,
    sql`select ${EVALUATION_COLUMNS} from gate_evaluations e join registered_models m on m.id = e.model_id
        where e.model_id = ${model.id}::uuid ${alias === undefined ? sql`` : sql`and e.alias = ${alias}`}
          ${before === undefined ? sql`` : sql`and e.id < ${before}::uuid`}
        order by e.id desc limit ${limit + 1}`,
  );
  const page = found.slice(0, limit);
  return { evaluations: page.map(toGateEvaluation), nextCursor: found.length > limit ? encodeCursor({ id: page[page.length - 1]!.id }) : null };
}

export async function getEvaluation({ ctx, actor, projectRef, name, id }: { ctx: ServerContext; actor: Actor; projectRef: string; name: string; id: string }): Promise<GateEvaluation> {
  const project = await liveProject(ctx.db.orm, actor, projectRef, "reader");
  const model = await requireModel(ctx.db.orm, project.id, name);
  if (!isUuid(id)) throw new NotFoundError("gate evaluation", id);
  const [row] = await rows<EvaluationRow>(
    ctx.db.orm,
    sql`select ${EVALUATION_COLUMNS} from gate_evaluations e join registered_models m on m.id = e.model_id where e.id = ${id.toLowerCase()}::uuid and e.model_id = ${model.id}::uuid`,
  );
  if (!row) throw new NotFoundError("gate evaluation", id);
  return toGateEvaluation(row);
}
