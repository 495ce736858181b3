import type { ColumnProfile, DatasetProfile, MonitoringWindowSize } from "@cairn/core";
import { mergeProfiles, ProfileMergeError } from "@cairn/core";
import { sql } from "drizzle-orm";
import type { Actor } from "../auth/actor.js";
import { rows } from "../db/client.js";
import { liveProject } from "../datasets/dataset-rows.js";
import { requireModel } from "../models/model-rows.js";
import type { ServerContext } from "../server-context.js";
import { datasetVersionProfile, monitoredVersions } from "./monitored-versions.js";
import { parseInstant, windowMs } from "./report-range.js";

/**
 * One feature's profile in the window holding `start` (every version, or one) beside the
 * training profile's column: what the UI shows when a cell of the drift heatmap is clicked.
 * Only this endpoint reads the window profiles.
 */
export async function getFeatureDistribution({
  ctx,
  actor,
  projectRef,
  name,
  query,
}: {
  ctx: ServerContext;
  actor: Actor;
  projectRef: string;
  name: string;
  query: { feature: string; start?: string | undefined; window: MonitoringWindowSize; version?: number | undefined };
}): Promise<{ feature: string; reference: ColumnProfile | null; current: ColumnProfile | null }> {
  const size = windowMs(query.window);
  const from = Math.floor((query.start === undefined ? Date.now() : parseInstant(query.start, "start")) / size) * size;
  const db = ctx.db.orm;
  const project = await liveProject(db, actor, projectRef, "reader");
  const model = await requireModel(db, project.id, name);
  const versions = await monitoredVersions(db, model.id, model.name, query.version);
  const ids = versions.map((v) => v.id);
  const found = ids.length
    ? await rows<{ version_id: string; profile: string | null }>(
        db,
        sql`select w.model_version_id::text as version_id, (w.aggregate -> 'profile')::text as profile from prediction_windows w
            where w.model_version_id = any(${sql.param(ids)}::uuid[]) and w.window_start >= ${new Date(from).toISOString()}::timestamptz and w.window_start < ${new Date(from + size).toISOString()}::timestamptz
            union all
            select p.model_version_id::text, (p.aggregate -> 'profile')::text from prediction_window_parts p
            where p.model_version_id = any(${sql.param(ids)}::uuid[]) and p.window_start >= ${new Date(from).toISOString()}::timestamptz and p.window_start < ${new Date(from + size).toISOString()}::timestamptz`,
      )
    : [];
  let merged: DatasetProfile | null = null;
  for (const r of found) {
    const p = r.profile && r.profile !== "null" ? (JSON.parse(r.profile) as DatasetProfile) : null;
    // Only the feature is needed: merging one column is much cheaper than whole profiles.
    const one = p ? { ...p, columns: p.columns.filter((c) => c.name === query.feature) } : null;
    merged = mergeColumn(merged, one);
  }
  // The version drift is measured against: the one asked for, else the newest with data in the window.
  const withData = new Set(found.map((r) => r.version_id));
  const refVersion = versions.find((v) => withData.has(v.id)) ?? versions[0];
  const training = refVersion?.train ? await datasetVersionProfile(db, refVersion.train.datasetVersionId) : null;
  return {
    feature: query.feature,
    reference: training?.columns.find((c) => c.name === query.feature) ?? null,
    current: merged?.columns.find((c) => c.name === query.feature) ?? null,
  };
}

/** As the window aggregates merge profiles; a feature sent with two types keeps the side with more values. */
function mergeColumn(a: DatasetProfile | null, b: DatasetProfile | null): DatasetProfile | null {
  if (!a || !b) return a ?? b;
  try {
    return mergeProfiles(a, b, { topK: 50, histogramBins: 10 });
  } catch (e) {
    if (!(e instanceof ProfileMergeError)) throw e;
    return (a.columns[0]?.count ?? 0) >= (b.columns[0]?.count ?? 0) ? a : b;
  }
}
