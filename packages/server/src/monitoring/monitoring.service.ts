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
import { sql } from "drizzle-orm";
import { type Executor, rows } from "../db/client.js";
import { textArray } from "../db/pg-array.js";
import { liveProject } from "../datasets/dataset-rows.js";
import { requireModel } from "../models/model-rows.js";
import type { ServerContext } from "../server-context.js";
import { datasetVersionProfile, type MonitoredVersion, monitoredVersions } from "./monitored-versions.js";
import { countOrphanedLabels, DEFAULT_LABEL_PENDING_HOURS } from "./orphaned-labels.js";
import { HOUR_MS, reportRange } from "./report-range.js";
import { forgetHourlyAggregates, hourKey, readHourlyAggregates, readHourStamps } from "./window-reader.js";

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

const summaryWrites = new Set<Promise<void>>();

/** Settles once the window figures being stored now are (tests, and a server closing its database). */
export async function summaryWritesSettled(): Promise<void> {
  while (summaryWrites.size > 0) await Promise.all([...summaryWrites]);
}

/** Empties this process's caches of report figures (tests: what a restarted server starts with). */
export function forgetReportCaches(): void {
  summaries.clear();
  forgetHourlyAggregates();
}

function rememberSummary(key: string, summary: WindowSummary): void {
  if (summaries.size >= SUMMARY_CACHE_MAX) summaries.delete(summaries.keys().next().value!);
  summaries.set(key, summary);
}

/**
 * Which version's training profile drift is measured against: the requested version, or
 * without one the newest version with predictions in the range (the newest version when
 * none has any).
 */
function referenceVersion(versions: MonitoredVersion[], hours: Map<string, Map<number, unknown>>): MonitoredVersion | undefined {
  return versions.find((v) => (hours.get(v.id)?.size ?? 0) > 0) ?? versions[0];
}

/**
 * The monitoring report of a model from its stored hourly aggregates (never the predictions):
 * one entry per window, days merging their 24 hours, versions merged per window. Drift bins
 * are only comparable between versions trained on the same dataset version, so without
 * `version` only those versions' predictions count in drift.
 *
 * A window made only of compacted hours has figures that change only when its hours do: they
 * are kept in memory and in `prediction_window_summaries`, and the hours' aggregates are read
 * only for windows whose figures are not known (after a server start, the first 30-day view
 * reads 720 summaries of ~3 KB instead of 720 aggregates of ~14 KB and summarising them).
 */
export async function computeMonitoringReport(db: Executor, input: MonitoringReportInput): Promise<MonitoringReport> {
  const range = reportRange(input, input.now);
  const versions = await monitoredVersions(db, input.model.id, input.model.name, input.version);
  const versionIds = versions.map((v) => v.id);
  const stamps = await readHourStamps(db, versionIds, range.from, range.to);
  const refVersion = referenceVersion(versions, stamps);
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
  const windowKeyOf = (start: number) => `${settings}|${input.version ?? "*"}|${range.size}|${start}`;

  /** The cache key of a window's figures from its hours' stamps; undefined when some hour has uncompacted parts, or none has data. */
  const keyOf = (start: number, stampOf: (version: string, hour: number) => string | null | undefined): string | undefined => {
    const list: string[] = [];
    for (const v of versions) {
      for (let h = 0; h < hoursPerWindow; h++) {
        const stamp = stampOf(v.id, start + h * HOUR_MS);
        if (stamp === undefined) continue;
        if (stamp === null) return undefined;
        list.push(`${stamp}|${sameTraining.has(v.id) ? 1 : 0}`);
      }
    }
    return list.length > 0 ? `${settings}|${list.join(",")}` : undefined;
  };
  const known = new Map<number, WindowSummary>();
  const keys = new Map<number, string>();
  for (const start of range.starts) {
    const key = keyOf(start, (v, hour) => stamps.get(v)!.get(hour));
    if (key === undefined) continue;
    keys.set(start, key);
    const hit = summaries.get(key);
    if (hit) known.set(start, hit);
  }
  // Figures computed before (by this server before a restart, or by another replica).
  const lookup = refVersion ? [...keys].filter(([start]) => !known.has(start)) : [];
  if (lookup.length > 0) {
    const stored = await rows<{ window_key: string; stamps: string; summary: string }>(
      db,
      sql`select window_key, stamps, summary::text as summary from prediction_window_summaries where window_key = any(${textArray(lookup.map(([start]) => windowKeyOf(start)))}::text[])`,
    );
    const byWindowKey = new Map(stored.map((r) => [r.window_key, r]));
    for (const [start, key] of lookup) {
      const r = byWindowKey.get(windowKeyOf(start));
      if (r?.stamps !== key) continue;
      const summary = JSON.parse(r.summary) as WindowSummary;
      rememberSummary(key, summary);
      known.set(start, summary);
    }
  }
  // The hours of the other windows are read (in one snapshot) and summarised.
  const needed = new Set<string>();
  for (const start of range.starts) {
    if (known.has(start)) continue;
    for (const v of versions) for (let h = 0; h < hoursPerWindow; h++) if (stamps.get(v.id)!.has(start + h * HOUR_MS)) needed.add(hourKey(v.id, start + h * HOUR_MS));
  }
  const hourly = needed.size > 0 ? await readHourlyAggregates(db, versionIds, range.from, range.to, mergeWindowAggregates, needed) : undefined;
  const computed: Array<{ start: number; key: string; summary: WindowSummary }> = [];
  const windows: MonitoringWindow[] = range.starts.map((start) => {
    const bounds = { start: new Date(start).toISOString(), end: new Date(start + range.size).toISOString() };
    const hit = known.get(start);
    if (hit) return { ...bounds, ...hit };
    const parts: WindowAggregate[] = [];
    for (const v of versions) {
      const byHour = hourly?.get(v.id);
      if (!byHour || byHour.size === 0) continue;
      for (let h = 0; h < hoursPerWindow; h++) {
        const hour = byHour.get(start + h * HOUR_MS);
        if (!hour) continue;
        parts.push(sameTraining.has(v.id) ? hour.agg : { ...hour.agg, drift: {} });
      }
    }
    // The key of what was read now (a compaction may have run since the stamps were read).
    const key = parts.length > 0 ? keyOf(start, (v, hour) => hourly?.get(v)?.get(hour)?.stamp) : undefined;
    const cached = key ? summaries.get(key) : undefined;
    if (cached) return { ...bounds, ...cached };
    let agg = parts[0] ?? emptyWindowAggregate();
    for (let i = 1; i < parts.length; i++) agg = mergeWindowAggregates(agg, parts[i]!);
    const summary = summariseWindow(agg, reference, options);
    if (key) {
      rememberSummary(key, summary);
      computed.push({ start, key, summary });
    }
    return { ...bounds, ...summary };
  });
  if (refVersion && computed.length > 0) {
    // Kept for later reports without holding this one: a lost write only means computing them again.
    const write = storeSummaries(db, refVersion.id, computed.map((c) => ({ windowKey: windowKeyOf(c.start), start: c.start, stamps: c.key, summary: c.summary })))
      .catch(() => {})
      .finally(() => summaryWrites.delete(write));
    summaryWrites.add(write);
  }
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

/** Keeps computed window figures for later reports (one row per window, replaced when its hours changed). */
async function storeSummaries(db: Executor, versionId: string, list: Array<{ windowKey: string; start: number; stamps: string; summary: WindowSummary }>): Promise<void> {
  // Sorted, so two reports storing the same windows at once lock them in the same order.
  const sorted = [...list].sort((a, b) => (a.windowKey < b.windowKey ? -1 : a.windowKey > b.windowKey ? 1 : 0));
  await db.execute(
    sql`insert into prediction_window_summaries (window_key, model_version_id, window_start, stamps, summary)
        select k, ${versionId}::uuid, to_timestamp(w / 1000.0), s, j::jsonb
          from unnest(${textArray(sorted.map((e) => e.windowKey))}::text[], ${textArray(sorted.map((e) => String(e.start)))}::float8[], ${textArray(sorted.map((e) => e.stamps))}::text[], ${textArray(sorted.map((e) => JSON.stringify(e.summary)))}::text[]) as t(k, w, s, j)
        on conflict (window_key) do update set stamps = excluded.stamps, summary = excluded.summary, window_start = excluded.window_start, updated_at = now()`,
  );
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
