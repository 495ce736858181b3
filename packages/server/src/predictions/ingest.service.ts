import { aggregateLabels, aggregatePredictions, type CompiledReference, type LabelPair, type LogPredictionsResult, mergeWindowAggregates, type PredictionIn } from "@cairn/core";
import { auditQueryFromBulk, recordAudits } from "../audit/audit.service.js";
import { authorizeProject } from "../auth/access.js";
import type { Actor } from "../auth/actor.js";
import type { BulkTx } from "../db/bulk.js";
import { withDeadlockRetry } from "../db/errors.js";
import { ValidationError } from "../http/errors.js";
import type { ServerContext } from "../server-context.js";
import { encodePredictionsBinary, PREDICTION_COLUMNS, type StoredPrediction } from "./copy-encode.js";
import { dayOf, ensurePartitions } from "./partitions.js";
import { idTimeOf, timeBounds } from "./prediction-time.js";
import { loadReferences, resolveVersions, versionKey } from "./versions.js";
import { appendWindowParts, hourOf, type WindowPart } from "./windows.js";

interface Row {
  input: PredictionIn;
  stored: StoredPrediction;
}

/** Checks times and builds the rows to store; in-batch repeats of an id keep the first. */
function prepareRows(predictions: readonly PredictionIn[], versions: Map<string, string>, now: number, retentionMs: number): { rows: Row[]; repeats: number } {
  const { oldest, newest } = timeBounds(now, retentionMs);
  const seen = new Set<string>();
  const rows: Row[] = [];
  const errors: Array<{ path: string; message: string }> = [];
  predictions.forEach((p, i) => {
    const id = p.id.toLowerCase();
    const idTime = idTimeOf(id);
    const ts = p.timestamp ?? idTime;
    if (idTime < oldest || idTime > newest) errors.push({ path: `predictions[${i}].id`, message: idTime < oldest ? "its time is older than the retention period" : "its time is more than a day in the future" });
    else if (ts < oldest || ts > newest) errors.push({ path: `predictions[${i}].timestamp`, message: ts < oldest ? "older than the retention period" : "more than a day in the future" });
    if (errors.length > 0 || seen.has(id)) return;
    seen.add(id);
    rows.push({
      input: p,
      stored: {
        modelVersionId: versions.get(versionKey(p.model, p.version))!,
        id,
        idTime,
        ts,
        features: JSON.stringify(p.features),
        output: JSON.stringify(p.output),
        score: p.score ?? null,
        latencyMs: p.latencyMs ?? null,
      },
    });
  });
  if (errors.length > 0) throw new ValidationError(`invalid predictions: ${errors.slice(0, 3).map((e) => `${e.path}: ${e.message}`).join("; ")}`, errors.slice(0, 100));
  return { rows, repeats: predictions.length - rows.length };
}

const windowKey = (version: string, start: number) => `${version} ${start}`;

/** One aggregate per (version, hour) of the rows, against each version's reference. */
function aggregateByWindow(rows: readonly Row[], refs: Map<string, CompiledReference>): Map<string, WindowPart> {
  const groups = new Map<string, { version: string; start: number; rows: PredictionIn[] }>();
  for (const r of rows) {
    const start = hourOf(r.stored.ts);
    const key = windowKey(r.stored.modelVersionId, start);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { version: r.stored.modelVersionId, start, rows: [] }));
    g.rows.push(r.input);
  }
  const parts = new Map<string, WindowPart>();
  for (const [key, g] of groups) parts.set(key, { modelVersionId: g.version, windowStart: g.start, aggregate: aggregatePredictions(g.rows, refs.get(g.version)!) });
  return parts;
}

/** Labels that were waiting for these predictions, matched now; their figures join the predictions' windows. */
async function matchPendingLabels(tx: BulkTx, projectId: string, ids: readonly string[]): Promise<Array<{ id: string; label: LabelPair["label"] }>> {
  // Nearly always none are waiting: one probe of the pending-labels index spares 10,000 lookups.
  const [waiting] = await tx.query(`select 1 as x from prediction_labels where not matched and project_id = $1::uuid limit 1`, [projectId]);
  if (!waiting || ids.length === 0) return [];
  const matched = await tx.query<{ id: string; label: string }>(
    `update prediction_labels l set matched = true
     where l.prediction_id = any($2::uuid[]) and l.project_id = $1::uuid and not l.matched
     returning l.prediction_id::text as id, l.label::text as label`,
    [projectId, `{${ids.join(",")}}`],
  );
  return matched.map((m) => ({ id: m.id, label: JSON.parse(m.label) as LabelPair["label"] }));
}

function addLabelParts(parts: Map<string, WindowPart>, matched: ReadonlyArray<{ id: string; label: LabelPair["label"] }>, byId: Map<string, Row>): void {
  const pairs = new Map<string, { version: string; start: number; pairs: LabelPair[] }>();
  for (const m of matched) {
    const r = byId.get(m.id)!;
    const start = hourOf(r.stored.ts);
    const key = windowKey(r.stored.modelVersionId, start);
    let g = pairs.get(key);
    if (!g) pairs.set(key, (g = { version: r.stored.modelVersionId, start, pairs: [] }));
    g.pairs.push({ label: m.label, output: r.input.output });
  }
  for (const [key, g] of pairs) {
    const agg = aggregateLabels(g.pairs);
    const part = parts.get(key);
    parts.set(key, part ? { ...part, aggregate: mergeWindowAggregates(part.aggregate, agg) } : { modelVersionId: g.version, windowStart: g.start, aggregate: agg });
  }
}

/**
 * The batch is first loaded by binary COPY into a session-local temporary table (no keys,
 * no WAL, emptied at commit), which cannot fail on a duplicate id; then one
 * `INSERT … SELECT … ON CONFLICT DO NOTHING` moves it into the partitioned table, whose
 * primary key (id, id_time) makes a re-sent prediction a no-op. No lock serialises
 * batches: two requests carrying the same id at once meet in the unique index (the second
 * waits for the first to commit, then skips the row); overlapping batches that deadlock
 * there are retried by withDeadlockRetry. (A COPY straight into the keyed table would need
 * that duplicate check under a global lock: a COPY failing on a key is what must never
 * happen, postgres.js 3.4.9 never settles one, see db/bulk.ts.)
 */
const STAGING = "prediction_staging";

/** Inserts the staged rows that are new; returns how many were inserted and, when that is fewer than `expected`, their ids. */
async function insertStaged(tx: BulkTx, expected: number): Promise<{ inserted: number; ids: Set<string> | undefined }> {
  // The ids come back only when some row was skipped (a re-sent batch): nearly always just the count.
  const [r] = await tx.query<{ n: number; ids: string | null }>(
    `with ins as (insert into predictions (${PREDICTION_COLUMNS}) select ${PREDICTION_COLUMNS} from ${STAGING} on conflict do nothing returning id)
     select count(*)::int as n, case when count(*) < $1::int then coalesce(string_agg(id::text, ','), '') end as ids from ins`,
    [expected],
  );
  const inserted = Number(r!.n);
  return { inserted, ids: r!.ids === null || r!.ids === undefined ? undefined : new Set(r!.ids === "" ? [] : r!.ids.split(",")) };
}

/**
 * Stores a batch of predictions (staged by binary COPY, then inserted unless the id is
 * already stored), so a re-sent prediction is stored and counted once. Only the rows
 * actually inserted are aggregated into window parts, appended in the same transaction
 * with labels that were waiting for them.
 */
export async function ingestPredictions({ ctx, actor, projectRef, predictions }: { ctx: ServerContext; actor: Actor; projectRef: string; predictions: PredictionIn[] }): Promise<LogPredictionsResult> {
  const project = await authorizeProject(ctx.db.orm, actor, projectRef, "writer");
  const versions = await resolveVersions(ctx.db.orm, project.id, predictions);
  const { rows, repeats } = prepareRows(predictions, versions, Date.now(), ctx.config.predictionRetentionMs);
  await ensurePartitions(ctx.db, rows.map((r) => dayOf(r.stored.idTime)));
  const refs = await loadReferences(ctx.db.orm, versions.values());
  const copyAll = encodePredictionsBinary(project.id, rows.map((r) => r.stored));
  const byId = new Map(rows.map((r) => [r.stored.id, r]));
  // Aggregated before the transaction, so this CPU work overlaps other requests' database work;
  // nearly every batch is all new, and one with stored ids is aggregated again for the new rows.
  const speculative = aggregateByWindow(rows, refs);
  const inserted = await withDeadlockRetry(() =>
    ctx.db.bulk.transaction(async (tx) => {
      await tx.query(`create temp table if not exists ${STAGING} (like predictions) on commit delete rows`);
      await tx.copyBinary(STAGING, PREDICTION_COLUMNS, copyAll);
      const { inserted, ids } = await insertStaged(tx, rows.length);
      let parts = new Map(speculative); // a retried transaction starts from the untouched aggregates
      let fresh = rows;
      if (ids !== undefined) {
        fresh = rows.filter((r) => ids.has(r.stored.id));
        parts = aggregateByWindow(fresh, refs);
      }
      addLabelParts(parts, await matchPendingLabels(tx, project.id, fresh.map((r) => r.stored.id)), byId);
      await appendWindowParts(tx, [...parts.values()]);
      const duplicates = rows.length - inserted + repeats;
      await recordAudits(auditQueryFromBulk(tx), [
        { actor, event: { action: "predictions.log", subject: { kind: "project", id: project.id }, projectId: project.id, after: { predictions: predictions.length, accepted: inserted, duplicates } } },
      ]);
      return inserted;
    }),
  );
  ctx.ops.predictionsIngested.inc(inserted);
  return { accepted: inserted, duplicates: rows.length - inserted + repeats };
}
