import {
  compileReference,
  emptyWindowAggregate,
  mergeWindowAggregates,
  type MonitoringDriftMethod,
  type MonitoringReport,
  type MonitoringWindow,
  type MonitoringWindowSize,
  summariseWindow,
  type SummaryReference,
  type WindowAggregate,
  type WindowSummary,
} from "@cairn/core";
import type { Actor } from "../auth/actor.js";
import type { Executor } from "../db/client.js";
import { liveProject } from "../datasets/dataset-rows.js";
import { requireModel } from "../models/model-rows.js";
import type { ServerContext } from "../server-context.js";
import { datasetVersionProfile, type MonitoredVersion, monitoredVersions } from "./monitored-versions.js";
import { countOrphanedLabels, DEFAULT_LABEL_PENDING_HOURS } from "./orphaned-labels.js";
import { HOUR_MS, reportRange } from "./report-range.js";
import { type HourlyAggregates, readHourlyAggregates } from "./window-reader.js";

export interface MonitoringReportInput {
  projectId: string;
  model: { id: string; name: string };
  /** One version; every version of the model when omitted. */
  version?: number | undefined;
  from?: string | undefined;
  to?: string | undefined;
  window: MonitoringWindowSize;
  method?: MonitoringDriftMethod | undefined;
  /** Unmatched labels older than this are orphaned. */
  labelPendingHours?: number | undefined;
  /** The time `to` defaults to (tests and the scheduler pass their own). */
  now?: number;
}

/**
 * Figures of windows made only of compacted hours, by the hours' identities and the report's
 * settings: a compacted hour changes only when compaction merges newer parts into it (its
 * stamp changes), so a repeated 30-day view recomputes just its latest hours.
 */
const summaries = new Map<string, WindowSummary>();
// A window's figures are ~2–4 KB: 20,000 of them stay under ~80 MB.
const SUMMARY_CACHE_MAX = 20_000;

function rememberSummary(key: string, summary: WindowSummary): void {
  if (summaries.size >= SUMMARY_CACHE_MAX) summaries.delete(summaries.keys().next().value!);
  summaries.set(key, summary);
}

/**
 * Which version's training profile drift is measured against: the requested version, or
 * without one the newest version with predictions in the range (the newest version when
 * none has any).
 */
function referenceVersion(versions: MonitoredVersion[], hourly: HourlyAggregates): MonitoredVersion | undefined {
  return versions.find((v) => (hourly.get(v.id)?.size ?? 0) > 0) ?? versions[0];
}

/**
 * The monitoring report of a model from its stored hourly aggregates (never the predictions):
 * one entry per window, days merging their 24 hours, versions merged per window. Drift bins
 * are only comparable between versions trained on the same dataset version, so without
 * `version` only those versions' predictions count in drift.
 */
export async function computeMonitoringReport(db: Executor, input: MonitoringReportInput): Promise<MonitoringReport> {
  const range = reportRange(input, input.now);
  const versions = await monitoredVersions(db, input.model.id, input.model.name, input.version);
  const hourly = await readHourlyAggregates(
    db,
    versions.map((v) => v.id),
    range.from,
    range.to,
    mergeWindowAggregates,
  );
  const refVersion = referenceVersion(versions, hourly);
  const profile = refVersion?.train ? await datasetVersionProfile(db, refVersion.train.datasetVersionId) : null;
  const compiled = compileReference({ profile, signature: refVersion?.signature ?? null });
  const reference: SummaryReference = {
    profile,
    features: compiled.features ? [...compiled.features.values()].filter((f) => f.drift !== null).map((f) => f.name) : [],
    // A numerical label column is as often 0/1 classes as a quantity: only a categorical one settles it.
    task: compiled.task === "classification" ? "classification" : null,
  };
  const trainId = refVersion?.train?.datasetVersionId;
  const sameTraining = new Set(versions.filter((v) => v.train?.datasetVersionId === trainId).map((v) => v.id));
  const hoursPerWindow = range.size / HOUR_MS;
  const options = { method: input.method ?? "jensenshannon" } as const;
  const settings = `${refVersion?.id}|${options.method}`;
  const windows: MonitoringWindow[] = range.starts.map((start) => {
    const parts: WindowAggregate[] = [];
    const stamps: string[] = [];
    let cacheable = true;
    for (const v of versions) {
      const byHour = hourly.get(v.id)!;
      if (byHour.size === 0) continue;
      for (let h = 0; h < hoursPerWindow; h++) {
        const hour = byHour.get(start + h * HOUR_MS);
        if (!hour) continue;
        const keepDrift = sameTraining.has(v.id);
        parts.push(keepDrift ? hour.agg : { ...hour.agg, drift: {} });
        if (hour.stamp === null) cacheable = false;
        else stamps.push(`${hour.stamp}|${keepDrift ? 1 : 0}`);
      }
    }
    const bounds = { start: new Date(start).toISOString(), end: new Date(start + range.size).toISOString() };
    const key = cacheable && parts.length > 0 ? `${settings}|${stamps.join(",")}` : undefined;
    const cached = key ? summaries.get(key) : undefined;
    if (cached) return { ...bounds, ...cached };
    let agg = parts[0] ?? emptyWindowAggregate();
    for (let i = 1; i < parts.length; i++) agg = mergeWindowAggregates(agg, parts[i]!);
    const summary = summariseWindow(agg, reference, options);
    if (key) rememberSummary(key, summary);
    return { ...bounds, ...summary };
  });
  return {
    model: input.model.name,
    version: input.version ?? null,
    window: input.window,
    from: new Date(range.from).toISOString(),
    to: new Date(range.to).toISOString(),
    reference: profile && refVersion?.train ? { ...refVersion.train } : null,
    windows,
    orphanedLabels: await countOrphanedLabels(db, input.projectId, input.labelPendingHours ?? DEFAULT_LABEL_PENDING_HOURS, input.now),
  };
}

export async function getMonitoringReport({
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
  query: { from?: string | undefined; to?: string | undefined; window: MonitoringWindowSize; version?: number | undefined; method: MonitoringDriftMethod };
}): Promise<MonitoringReport> {
  const project = await liveProject(ctx.db.orm, actor, projectRef, "reader");
  const model = await requireModel(ctx.db.orm, project.id, name);
  return computeMonitoringReport(ctx.db.orm, { projectId: project.id, model, ...query, labelPendingHours: labelPendingHours(ctx) });
}

/** CAIRN_LABEL_PENDING_HOURS. */
export function labelPendingHours(ctx: ServerContext): number {
  return ctx.config.labelPendingMs / 3_600_000;
}
