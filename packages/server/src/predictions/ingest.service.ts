import { aggregateLabels, aggregatePredictionColumns, type CompiledReference, type LabelPair, type LogPredictionsResult, mergeWindowAggregates, type PredictionOutput } from "@cairn/core";
import { auditQueryFromBulk, recordAudits } from "../audit/audit.service.js";
import { authorizeProject } from "../auth/access.js";
import type { Actor } from "../auth/actor.js";
import type { BulkTx } from "../db/bulk.js";
import { pgErrorCode, UNIQUE_VIOLATION, withDeadlockRetry } from "../db/errors.js";
import { ValidationError } from "../http/errors.js";
import type { ServerContext } from "../server-context.js";
import { featureColumns, type IngestBatch } from "./batch.js";
import { encodePredictionsBinary, PREDICTION_COLUMNS, type RowPlacement } from "./copy-encode.js";
import { dayOf, ensurePartitions } from "./partitions.js";
import { idTimeOf, timeBounds } from "./prediction-time.js";
import { loadReferences, resolveVersions, versionKey } from "./versions.js";
import { appendWindowParts, hourOf, type WindowPart } from "./windows.js";

interface Prepared extends RowPlacement {
  /** The rows to store, in batch order: in-batch repeats of an id keep the first. */
  rows: number[];
  repeats: number;
}

/** Checks times and places each row (version, lowercased id, times). */
function prepareRows(b: IngestBatch, pairVersionIds: readonly string[], now: number, retentionMs: number): Prepared {
  const { oldest, newest } = timeBounds(now, retentionMs);
  const n = b.count;
  const seen = new Set<string>();
  const rows: number[] = [];
  const ids = new Array<string>(n);
  const versionIds = new Array<string>(n);
  const idTimes = new Float64Array(n);
  const times = new Float64Array(n);
  const errors: Array<{ path: string; message: string }> = [];
  for (let i = 0; i < n; i++) {
    const id = b.ids[i]!.toLowerCase();
    const idTime = idTimeOf(id);
    const t = b.timestamps[i]!;
    const ts = Number.isNaN(t) ? idTime : t;
    if (idTime < oldest || idTime > newest) errors.push({ path: `predictions[${i}].id`, message: idTime < oldest ? "its time is older than the retention period" : "its time is more than a day in the future" });
    else if (ts < oldest || ts > newest) errors.push({ path: `predictions[${i}].timestamp`, message: ts < oldest ? "older than the retention period" : "more than a day in the future" });
    if (errors.length > 0 || seen.has(id)) continue;
    seen.add(id);
    ids[i] = id;
    versionIds[i] = pairVersionIds[b.pairOf[i]!]!;
    idTimes[i] = idTime;
    times[i] = ts;
    rows.push(i);
  }
  if (errors.length > 0) throw new ValidationError(`invalid predictions: ${errors.slice(0, 3).map((e) => `${e.path}: ${e.message}`).join("; ")}`, errors.slice(0, 100));
  return { rows, repeats: n - rows.length, ids, versionIds, idTimes, times };
}

const windowKey = (version: string, start: number) => `${version} ${start}`;

/** One aggregate per (version, hour) of the rows, against each version's reference, from the batch's columns. */
function aggregateByWindow(b: IngestBatch, place: Prepared, rows: readonly number[], refs: Map<string, CompiledReference>): Map<string, WindowPart> {
  const groups = new Map<string, { version: string; start: number; rows: number[] }>();
  for (const i of rows) {
    const start = hourOf(place.times[i]!);
    const version = place.versionIds[i]!;
    const key = windowKey(version, start);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { version, start, rows: [] }));
    g.rows.push(i);
  }
  const parts = new Map<string, WindowPart>();
  for (const [key, g] of groups) {
    const n = g.rows.length;
    const outputs = new Array<PredictionOutput>(n);
    const scores = new Float64Array(n);
    const latencies = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      const i = g.rows[j]!;
      outputs[j] = b.outputs[i]!;
      scores[j] = b.scores[i]!;
      latencies[j] = b.latencies[i]!;
    }
    const aggregate = aggregatePredictionColumns({ count: n, features: featureColumns(b, g.rows), outputs, scores, latencies }, refs.get(g.version)!);
    parts.set(key, { modelVersionId: g.version, windowStart: g.start, aggregate });
  }
  return parts;
}

/** Labels that were waiting for these predictions, matched now; their figures join the predictions' windows. */
async function matchPendingLabels(tx: BulkTx, projectId: string, idsOf: () => readonly string[]): Promise<Array<{ id: string; label: LabelPair["label"] }>> {
  // Nearly always none are waiting: one probe of the pending-labels index spares 10,000 lookups.
  const [waiting] = await tx.query(`select 1 as x from prediction_labels where not matched and project_id = $1::uuid limit 1`, [projectId]);
  if (!waiting) return [];
  const ids = idsOf();
  if (ids.length === 0) return [];
  const matched = await tx.query<{ id: string; label: string }>(
    `update prediction_labels l set matched = true
     where l.prediction_id = any($2::uuid[]) and l.project_id = $1::uuid and not l.matched
     returning l.prediction_id::text as id, l.label::text as label`,
    [projectId, `{${ids.join(",")}}`],
  );
  return matched.map((m) => ({ id: m.id, label: JSON.parse(m.label) as LabelPair["label"] }));
}

function addLabelParts(parts: Map<string, WindowPart>, matched: ReadonlyArray<{ id: string; label: LabelPair["label"] }>, b: IngestBatch, place: Prepared, rows: readonly number[]): void {
  if (matched.length === 0) return;
  const byId = new Map(rows.map((i) => [place.ids[i]!, i]));
  const pairs = new Map<string, { version: string; start: number; pairs: LabelPair[] }>();
  for (const m of matched) {
    const i = byId.get(m.id)!;
    const start = hourOf(place.times[i]!);
    const version = place.versionIds[i]!;
    const key = windowKey(version, start);
    let g = pairs.get(key);
    if (!g) pairs.set(key, (g = { version, start, pairs: [] }));
    g.pairs.push({ label: m.label, output: b.outputs[i]! });
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

/**
 * Inserts the staged rows that are new; returns how many were inserted and, when that is
 * fewer than `expected`, their ids. Nearly every batch is all new, so the rows first go in by
 * a plain INSERT under a savepoint, without ON CONFLICT's speculative insertion (about a fifth
 * of PostgreSQL's work per row here); a stored id makes it fail on the primary key, and then
 * the batch goes in again with ON CONFLICT DO NOTHING, skipping what is stored. Another
 * transaction inserting one of these ids concurrently makes the plain INSERT wait for it,
 * then fail (it committed: the fallback skips the row) or go on (it rolled back).
 */
async function insertStaged(tx: BulkTx, expected: number): Promise<{ inserted: number; ids: Set<string> | undefined }> {
  await tx.query("savepoint all_new");
  try {
    await tx.query(`insert into predictions (${PREDICTION_COLUMNS}) select ${PREDICTION_COLUMNS} from ${STAGING}`);
    await tx.query("release savepoint all_new");
    return { inserted: expected, ids: undefined };
  } catch (e) {
    if (pgErrorCode(e) !== UNIQUE_VIOLATION) throw e;
    await tx.query("rollback to savepoint all_new");
  }
  // The ids come back only when some row was skipped (a re-sent batch).
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
export async function ingestPredictions({ ctx, actor, projectRef, batch }: { ctx: ServerContext; actor: Actor; projectRef: string; batch: IngestBatch }): Promise<LogPredictionsResult> {
  const project = await authorizeProject(ctx.db.orm, actor, projectRef, "writer");
  const versions = await resolveVersions(ctx.db.orm, project.id, batch.pairs);
  const pairVersionIds = batch.pairs.map((p) => versions.get(versionKey(p.model, p.version))!);
  const place = prepareRows(batch, pairVersionIds, Date.now(), ctx.config.predictionRetentionMs);
  const { rows, repeats } = place;
  const days = new Set<number>();
  for (const i of rows) days.add(dayOf(place.idTimes[i]!));
  await ensurePartitions(ctx.db, days);
  const refs = await loadReferences(ctx.db.orm, versions.values());
  const copyAll = encodePredictionsBinary(project.id, batch, place, rows);
  // Aggregated before the transaction, so this CPU work overlaps other requests' database work;
  // nearly every batch is all new, and one with stored ids is aggregated again for the new rows.
  const speculative = aggregateByWindow(batch, place, rows, refs);
  const inserted = await withDeadlockRetry(() =>
    ctx.db.bulk.transaction(async (tx) => {
      await tx.query(`create temp table if not exists ${STAGING} (like predictions) on commit delete rows`);
      await tx.copyBinary(STAGING, PREDICTION_COLUMNS, copyAll);
      const { inserted, ids } = await insertStaged(tx, rows.length);
      let parts = new Map(speculative); // a retried transaction starts from the untouched aggregates
      let fresh = rows;
      if (ids !== undefined) {
        fresh = rows.filter((i) => ids.has(place.ids[i]!));
        parts = aggregateByWindow(batch, place, fresh, refs);
      }
      addLabelParts(parts, await matchPendingLabels(tx, project.id, () => fresh.map((i) => place.ids[i]!)), batch, place, fresh);
      await appendWindowParts(tx, [...parts.values()]);
      const duplicates = rows.length - inserted + repeats;
      await recordAudits(auditQueryFromBulk(tx), [
        { actor, event: { action: "predictions.log", subject: { kind: "project", id: project.id }, projectId: project.id, after: { predictions: batch.count, accepted: inserted, duplicates } } },
      ]);
      return inserted;
    }),
  );
  ctx.ops.predictionsIngested.inc(inserted);
  return { accepted: inserted, duplicates: rows.length - inserted + repeats };
}
