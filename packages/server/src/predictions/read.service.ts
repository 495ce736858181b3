import type { PredictionRecord } from "@cairn/core";
import type { z } from "zod";
import { sql } from "drizzle-orm";
import { authorizeProject } from "../auth/access.js";
import type { Actor } from "../auth/actor.js";
import { rows } from "../db/client.js";
import { NotFoundError } from "../http/errors.js";
import type { ServerContext } from "../server-context.js";
import { idTimeOf } from "./prediction-time.js";

type Record_ = z.infer<typeof PredictionRecord>;

/** One stored prediction with its label (for debugging and the UI); the id's time finds its partition. */
export async function getPrediction({ ctx, actor, projectRef, id }: { ctx: ServerContext; actor: Actor; projectRef: string; id: string }): Promise<Record_> {
  const project = await authorizeProject(ctx.db.orm, actor, projectRef, "reader");
  const key = id.toLowerCase();
  const [r] = await rows<{ id: string; version: string; ts: number; features: string; output: string; score: number | null; latency: number | null; label: string | null }>(
    ctx.db.orm,
    sql`select p.id::text as id, p.model_version_id::text as version, (extract(epoch from p.ts) * 1000)::float8 as ts, p.features::text as features,
          p.output::text as output, p.score, p.latency_ms as latency, l.label::text as label
        from predictions p left join prediction_labels l on l.prediction_id = p.id and l.project_id = p.project_id
        where p.id = ${key}::uuid and p.id_time = timestamptz 'epoch' + ${idTimeOf(key)}::int8 * interval '1 millisecond' and p.project_id = ${project.id}::uuid`,
  );
  if (!r) throw new NotFoundError("prediction", id);
  return {
    id: r.id,
    modelVersionId: r.version,
    timestamp: new Date(Number(r.ts)).toISOString(),
    features: JSON.parse(r.features),
    output: JSON.parse(r.output),
    score: r.score === null ? null : Number(r.score),
    latencyMs: r.latency === null ? null : Number(r.latency),
    label: r.label === null ? null : JSON.parse(r.label),
  };
}
