import type { FeatureDrift, MonitoringReport, MonitoringWindow, SchemaViolationKind } from "@cairn/core";

/**
 * Pure helpers of the monitoring page: the view settings kept in the address, and the report's
 * windows turned into chart series, heatmap cells and totals. No React here.
 */

export const RANGES = { "24h": { label: "Last 24 hours", ms: 24 * 3_600_000 }, "7d": { label: "Last 7 days", ms: 7 * 86_400_000 }, "30d": { label: "Last 30 days", ms: 30 * 86_400_000 } } as const;
export type RangeKey = keyof typeof RANGES;
export type WindowKey = "1h" | "1d";
export type MethodKey = "jensenshannon" | "psi";

export interface ViewSettings {
  range: RangeKey;
  window: WindowKey;
  /** One model version, or every version merged. */
  version: number | undefined;
  method: MethodKey;
}

const isRange = (v: string | null): v is RangeKey => v !== null && Object.hasOwn(RANGES, v);

/** Reads the settings from the query string; anything unknown falls back to the default (a hand-edited link still works). */
export function readSettings(params: URLSearchParams): ViewSettings {
  const range = params.get("range");
  const window = params.get("window");
  const version = Number(params.get("version"));
  const method = params.get("method");
  const r: RangeKey = isRange(range) ? range : "24h";
  return {
    range: r,
    // A month of hourly windows is 720 columns: days read better unless asked otherwise.
    window: window === "1h" || window === "1d" ? window : r === "30d" ? "1d" : "1h",
    version: Number.isInteger(version) && version >= 1 ? version : undefined,
    method: method === "psi" ? "psi" : "jensenshannon",
  };
}

/**
 * Every whole window that overlaps the range: `to` is the end of the window in progress (so it
 * is shown too) and `from` the start of the window holding `now - range`. So "last 24 hours" in
 * daily windows is yesterday and today, and an hour picked in the last 24 hours keeps its day
 * when the view switches to days, whatever the time of day.
 */
export function reportQuery(s: ViewSettings, now = Date.now()) {
  const size = s.window === "1d" ? 86_400_000 : 3_600_000;
  const to = Math.ceil((now + 1) / size) * size;
  const from = Math.floor((now - RANGES[s.range].ms) / size) * size;
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), window: s.window, version: s.version, method: s.method };
}

export const toSeconds = (iso: string) => Date.parse(iso) / 1000;

/**
 * A window label people read. Hours in local time, like the charts' axes and the alerts; days
 * are UTC days (the server merges hours per UTC day), so they are named as such.
 */
export function windowLabel(iso: string, window: WindowKey): string {
  const d = new Date(iso);
  if (window === "1d") return `${d.toLocaleDateString(undefined, { day: "numeric", month: "short", timeZone: "UTC" })} (UTC day)`;
  return `${d.toLocaleDateString(undefined, { day: "numeric", month: "short" })} ${d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" })}`;
}

export interface Totals {
  predictions: number;
  labelled: number;
  /** labelled / predictions, null without predictions. */
  coverage: number | null;
  /** Accuracy over every labelled prediction of the range (each window's accuracy weighted by its labelled count: exact). */
  accuracy: number | null;
  /** Mean absolute error over the range, for regression (weighted the same way: exact). */
  mae: number | null;
  task: "classification" | "regression" | null;
  violating: number;
  violations: number;
  byKind: Partial<Record<SchemaViolationKind, number>>;
  latestWindowWithData: MonitoringWindow | undefined;
}

export function totals(report: MonitoringReport): Totals {
  let predictions = 0;
  let labelled = 0;
  let correct = 0;
  let scored = 0;
  let absError = 0;
  let regressionCount = 0;
  let task: Totals["task"] = null;
  let violating = 0;
  let violations = 0;
  let latestWindowWithData: MonitoringWindow | undefined;
  const byKind: Partial<Record<SchemaViolationKind, number>> = {};
  for (const w of report.windows) {
    predictions += w.count;
    labelled += w.labels.count;
    if (w.count > 0) latestWindowWithData = w;
    violations += w.schemaViolations.total;
    // `rate` is the share of predictions with at least one violation.
    if (w.schemaViolations.rate !== null) violating += Math.round(w.schemaViolations.rate * w.count);
    for (const [kind, n] of Object.entries(w.schemaViolations.byKind)) byKind[kind as SchemaViolationKind] = (byKind[kind as SchemaViolationKind] ?? 0) + n;
    const p = w.performance;
    if (!p) continue;
    task ??= p.task;
    if (p.task === "classification" && p.accuracy !== null && p.accuracy !== undefined) {
      correct += p.accuracy * p.count;
      scored += p.count;
    }
    if (p.task === "regression" && p.mae !== null && p.mae !== undefined) {
      absError += p.mae * p.count;
      regressionCount += p.count;
    }
  }
  return {
    predictions,
    labelled,
    coverage: predictions > 0 ? labelled / predictions : null,
    accuracy: scored > 0 ? correct / scored : null,
    mae: regressionCount > 0 ? absError / regressionCount : null,
    task,
    violating,
    violations,
    byKind,
    latestWindowWithData,
  };
}

/** Features in the order they first appear, with their type (the heatmap's rows). */
export function featureRows(report: MonitoringReport): { feature: string; type: FeatureDrift["type"] }[] {
  const seen = new Map<string, FeatureDrift["type"]>();
  for (const w of report.windows) for (const f of w.drift.features) if (!seen.has(f.feature)) seen.set(f.feature, f.type);
  return [...seen].map(([feature, type]) => ({ feature, type })).sort((a, b) => a.feature.localeCompare(b.feature));
}

/** One cell of the heatmap: the feature's verdict in one window. */
export interface DriftCell {
  feature: string;
  start: string;
  end: string;
  drift: FeatureDrift | undefined;
  /** statistic / threshold: 1 is the threshold, the colour saturates at 2. */
  ratio: number | null;
  status: FeatureDrift["status"];
}

export function driftCells(report: MonitoringReport, features: readonly string[]): DriftCell[][] {
  return features.map((feature) =>
    report.windows.map((w) => {
      const drift = w.drift.features.find((f) => f.feature === feature);
      const ratio = drift && drift.statistic !== null && drift.threshold > 0 ? drift.statistic / drift.threshold : null;
      return { feature, start: w.start, end: w.end, drift, ratio, status: drift?.status ?? "not_enough_data" };
    }),
  );
}

/** How much of the accent colour a cell gets: 8% at 0, full at twice the threshold. */
export const MAX_RATIO = 2;
export const cellStrength = (ratio: number) => Math.round(8 + 82 * Math.min(1, Math.max(0, ratio) / MAX_RATIO));

export const METHOD_NAMES: Record<FeatureDrift["method"], string> = { jensenshannon: "Jensen–Shannon distance", psi: "PSI", linf: "L-infinity distance" };

/** `short` heads the per-window table's columns, where five long headers would not fit. */
export const VIOLATION_KINDS: { kind: SchemaViolationKind; label: string; short: string }[] = [
  { kind: "missing_field", label: "Missing field", short: "Missing" },
  { kind: "unknown_field", label: "Unknown field", short: "Unknown" },
  { kind: "type_mismatch", label: "Type mismatch", short: "Type" },
  { kind: "out_of_range", label: "Out of range", short: "Range" },
  { kind: "unseen_category", label: "Unseen category", short: "Unseen" },
];

export const percent = (v: number | null | undefined, digits = 1) => (v === null || v === undefined ? "—" : `${(v * 100).toFixed(digits)}%`);
