import type { MonitoringWindow, MonitorRule } from "@cairn/core";

/**
 * A monitor's verdict on the latest complete window (pure). Every verdict carries the
 * figures it was reached on, so a stored alert says exactly what fired it.
 */
export type Verdict =
  | { kind: "fired" | "ok"; observed: number; bound: number; comparison: ">" | "<"; sampleSize: number; message: string; extra: Record<string, unknown> }
  | { kind: "not_enough_data"; sampleSize: number; message: string };

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : Number(n.toPrecision(4)).toString());

function describeRule(rule: MonitorRule): string {
  switch (rule.type) {
    case "drift":
      return rule.feature === undefined ? "share of drifted features" : `drift of ${rule.feature}`;
    case "performance":
      return rule.metric;
    case "latency":
      return `latency ${rule.percentile}`;
    case "volume":
      return "volume";
    case "schema_violation_rate":
      return "schema violation rate";
  }
}

/**
 * `windows` are consecutive, oldest first; the last is the one judged and the ones before
 * it are the trailing windows of a volume rule. Below `minSamples` (predictions, or
 * labelled predictions for performance rules, or the trailing average for volume) there
 * is no verdict.
 */
export function evaluateRule(rule: MonitorRule, windows: readonly MonitoringWindow[], minSamples: number): Verdict {
  const w = windows[windows.length - 1];
  const what = describeRule(rule);
  if (!w) return { kind: "not_enough_data", sampleSize: 0, message: `${what}: no window to judge` };
  const judge = (observed: number | null | undefined, bound: number, comparison: ">" | "<", sampleSize: number, extra: Record<string, unknown> = {}): Verdict => {
    if (sampleSize < minSamples) return { kind: "not_enough_data", sampleSize, message: `${what}: ${sampleSize} samples, fewer than ${minSamples}` };
    if (observed === null || observed === undefined || !Number.isFinite(observed)) return { kind: "not_enough_data", sampleSize, message: `${what}: no value in the window` };
    const fired = comparison === ">" ? observed > bound : observed < bound;
    const message = `${what} ${fmt(observed)} ${fired ? comparison : comparison === ">" ? "≤" : "≥"} ${fmt(bound)} in ${w.start}–${w.end} over ${sampleSize} ${rule.type === "performance" ? "labelled predictions" : "predictions"}`;
    return { kind: fired ? "fired" : "ok", observed, bound, comparison, sampleSize, message, extra };
  };
  switch (rule.type) {
    case "drift": {
      if (rule.feature === undefined) return judge(w.drift.driftedShare, rule.max, ">", w.count);
      const f = w.drift.features.find((x) => x.feature === rule.feature);
      if (!f) return { kind: "not_enough_data", sampleSize: w.count, message: `${what}: the feature is not in the window or the training profile` };
      return judge(f.statistic, rule.max, ">", f.count, { method: f.method, threshold: f.threshold });
    }
    case "performance": {
      const p = w.performance;
      const observed = p?.[rule.metric] ?? null;
      const count = p?.count ?? 0;
      // A bound below (min) is checked first: accuracy under its floor is the usual rule.
      if (rule.min !== undefined) {
        const below = judge(observed, rule.min, "<", count);
        if (below.kind !== "ok" || rule.max === undefined) return below;
      }
      return judge(observed, rule.max!, ">", count);
    }
    case "latency":
      return judge(w.latencyMs[rule.percentile], rule.max, ">", w.latencyMs.count);
    case "schema_violation_rate":
      return judge(w.schemaViolations.rate, rule.max, ">", w.count);
    case "volume": {
      const trailing = windows.slice(0, -1).slice(-rule.trailingWindows);
      if (trailing.length === 0) return { kind: "not_enough_data", sampleSize: 0, message: `${what}: no trailing windows` };
      const average = trailing.reduce((s, x) => s + x.count, 0) / trailing.length;
      // The floor is the trailing average: a quiet model has no volume verdict.
      if (average < minSamples) return { kind: "not_enough_data", sampleSize: Math.round(average), message: `${what}: trailing average ${fmt(average)} predictions per window, fewer than ${minSamples}` };
      const bound = rule.minRatio * average;
      const v = judge(w.count, bound, "<", Number.MAX_SAFE_INTEGER, { trailingAverage: average, trailingWindows: trailing.length, minRatio: rule.minRatio });
      return v.kind === "not_enough_data" ? v : { ...v, sampleSize: w.count, message: `volume ${w.count} ${v.kind === "fired" ? "<" : "≥"} ${fmt(rule.minRatio)} × trailing average ${fmt(average)} in ${w.start}–${w.end}` };
    }
  }
}
