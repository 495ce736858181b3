import { aggregateLabels, type LabelIn, type LabelPair, type LogLabelsResult, type PredictionOutput } from "@cairn/core";
import { auditQueryFromBulk, recordAudits } from "../audit/audit.service.js";
import { authorizeProject } from "../auth/access.js";
import type { Actor } from "../auth/actor.js";
import type { BulkTx } from "../db/bulk.js";
import type { Database } from "../db/client.js";
import type { ServerContext } from "../server-context.js";
import { idTimeOf } from "./prediction-time.js";
import { appendWindowParts, hourOf, type WindowPart } from "./windows.js";

/** A label matched to its stored prediction: what its window part is made of. */
interface MatchedLabel {
  version: string;
  ts: number | string;
  output: PredictionOutput | string;
  label: LabelPair["label"] | string;
}

const parseJson = <T>(v: T | string): T => (typeof v === "string" ? (JSON.parse(v) as T) : v);

/** Window parts of matched labels: per the prediction's version and hour. */
function labelParts(matched: readonly MatchedLabel[]): WindowPart[] {
  const groups = new Map<string, { version: string; start: number; pairs: LabelPair[] }>();
  for (const m of matched) {
    const start = hourOf(Number(m.ts));
    const key = `${m.version} ${start}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { version: m.version, start, pairs: [] }));
    g.pairs.push({ label: parseJson(m.label), output: parseJson(m.output) });
  }
  return [...groups.values()].map((g) => ({ modelVersionId: g.version, windowStart: g.start, aggregate: aggregateLabels(g.pairs) }));
}

const MATCHED_COLUMNS = `l.prediction_id::text as id, l.label::text as label, f.model_version_id::text as version, (extract(epoch from f.ts) * 1000)::float8 as ts, f.output::text as output`;

/**
 * Stores ground truth by prediction id. A label is matched at once when its prediction is
 * stored (one join that reaches a single partition per label through the id's time) and
 * its figures are appended to the prediction's window; otherwise it waits, and the
 * prediction's arrival matches it. Once matched a label is immutable (counted once); a
 * pending one may be replaced by sending it again.
 */
export async function ingestLabels({ ctx, actor, projectRef, labels }: { ctx: ServerContext; actor: Actor; projectRef: string; labels: LabelIn[] }): Promise<LogLabelsResult> {
  const project = await authorizeProject(ctx.db.orm, actor, projectRef, "writer");
  const now = Date.now();
  const unique = new Map<string, LabelIn>();
  for (const l of labels) if (!unique.has(l.predictionId.toLowerCase())) unique.set(l.predictionId.toLowerCase(), l);
  const batch = JSON.stringify(
    [...unique].map(([id, l]) => ({ id, t: idTimeOf(id), label: l.label, at: new Date(l.timestamp ?? now).toISOString() })),
  );
  return ctx.db.bulk.transaction(async (tx) => {
    await tx.query(
      `insert into prediction_labels as l (prediction_id, project_id, label, labelled_at)
       select (e->>'id')::uuid, $1::uuid, e->'label', (e->>'at')::timestamptz from jsonb_array_elements($2::text::jsonb) as e
       on conflict (prediction_id) do update set label = excluded.label, labelled_at = excluded.labelled_at, received_at = now()
         where not l.matched and l.project_id = excluded.project_id`,
      [project.id, batch],
    );
    const matched = await tx.query<MatchedLabel>(
      `with b as (select (e->>'id')::uuid as id, timestamptz 'epoch' + (e->>'t')::int8 * interval '1 millisecond' as t from jsonb_array_elements($2::text::jsonb) as e),
            f as (select p.id, p.model_version_id, p.ts, p.output from b join predictions p on p.id = b.id and p.id_time = b.t where p.project_id = $1::uuid)
       update prediction_labels l set matched = true from f
       where l.prediction_id = f.id and l.project_id = $1::uuid and not l.matched
       returning ${MATCHED_COLUMNS}`,
      [project.id, batch],
    );
    await appendWindowParts(tx, labelParts(matched));
    const [pending] = await tx.query<{ n: number }>(
      `select count(*)::int as n from prediction_labels l join jsonb_array_elements($2::text::jsonb) as e on l.prediction_id = (e->>'id')::uuid
       where l.project_id = $1::uuid and not l.matched`,
      [project.id, batch],
    );
    await recordAudits(auditQueryFromBulk(tx), [
      { actor, event: { action: "labels.log", subject: { kind: "project", id: project.id }, projectId: project.id, after: { labels: labels.length, matched: matched.length, pending: Number(pending!.n) } } },
    ]);
    return { accepted: unique.size, pending: Number(pending!.n) };
  }).then((result) => {
    ctx.ops.labelsIngested.inc(result.accepted);
    return result;
  });
}

/**
 * A label and its prediction committed at the same moment by two requests can each miss
 * the other; this periodic pass matches such pairs (recent pending labels whose prediction
 * is now stored). Returns how many it matched.
 */
export async function matchStragglers(db: Database, recentMs = 3_600_000): Promise<number> {
  return db.bulk.transaction(async (tx: BulkTx) => {
    const matched = await tx.query<MatchedLabel>(
      `with f as (
         select l.prediction_id as id, p.model_version_id, p.ts, p.output from prediction_labels l
         join predictions p on p.id = l.prediction_id and p.id_time = cairn_uuidv7_time(l.prediction_id) and p.project_id = l.project_id
         where not l.matched and l.received_at > now() - $1 * interval '1 millisecond'
         limit 10000)
       update prediction_labels l set matched = true from f where l.prediction_id = f.id and not l.matched
       returning ${MATCHED_COLUMNS}`,
      [recentMs],
    );
    await appendWindowParts(tx, labelParts(matched));
    return matched.length;
  });
}
