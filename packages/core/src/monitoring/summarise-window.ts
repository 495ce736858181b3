import { DRIFT_DEFAULTS } from "../checks/drift/column.js";
import { jensenShannonDistance, populationStabilityIndex } from "../checks/drift/distances.js";
import { defaultPositive } from "../checks/performance/labels.js";
import { lInfinityDistance } from "../checks/skew/distance.js";
import { SKEW_DEFAULTS } from "../checks/skew/skew.js";
import type { ColumnProfile, DatasetProfile } from "../schemas/datasets.js";
import type { FeatureDrift, MonitoringDriftMethod, MonitoringWindow, WindowPerformance } from "../schemas/monitoring.js";
import type { LabelAggregate } from "./labels.js";
import { sketchQuantiles } from "../datasets/sketch.js";
import { type NumberSummary, numberQuantile } from "./number-summary.js";
import type { FeatureDriftCounts, WindowAggregate } from "./window-aggregate.js";

/** The figures of a window, without its bounds. */
export type WindowSummary = Omit<MonitoringWindow, "start" | "end">;

/** What a window is judged against: the training profile and what the model version says about itself. */
export interface SummaryReference {
  /** The training profile; null gives no drift. */
  profile: DatasetProfile | null;
  /** Features whose drift is reported (every window lists the same ones); default: those the aggregate counted. */
  features?: readonly string[] | null;
  /** From the signature's output; inferred from the labels when unknown. */
  task?: "classification" | "regression" | null;
}

export interface SummariseOptions {
  /** Numerical features' statistic over the training deciles (default jensenshannon). */
  method?: MonitoringDriftMethod;
  /** Present values needed in the window and in the reference for a verdict (default 30, the drift checks'). */
  minSampleSize?: number;
  /** The window has drifted when drifted / judged features ≥ this (default 0.5). */
  driftShare?: number;
  /** Threshold of the numerical statistic (default 0.2 for PSI, 0.1 for Jensen–Shannon). */
  numericalThreshold?: number;
  /** Threshold of the categorical L-infinity distance (default 0.1, the skew check's). */
  categoricalThreshold?: number;
}

export const MONITORING_DEFAULTS = {
  method: "jensenshannon" as MonitoringDriftMethod,
  minSampleSize: DRIFT_DEFAULTS.minSampleSize,
  driftShare: DRIFT_DEFAULTS.driftShare,
  categoricalThreshold: SKEW_DEFAULTS.categoricalThreshold,
  /** A window with labels over more distinct classes than this and numeric labels is scored as regression. */
  maxClasses: 20,
} as const;

/** Output classes beyond the tracked ones are reported under this key. */
export const OTHER_OUTPUT = "(other)";

const comparable = (c: ColumnProfile) => (c.type === "numerical" && !!c.numerical) || ((c.type === "categorical" || c.type === "boolean") && !!c.categorical);

/**
 * The report's figures of one window from its aggregate: quantiles from the sketches,
 * shares from the counts, performance from the confusion counts or error sums, and drift of
 * each feature against the training profile (PSI or Jensen–Shannon over the training decile
 * bins, L-infinity over category shares).
 */
export function summariseWindow(agg: WindowAggregate, reference: SummaryReference, options: SummariseOptions = {}): WindowSummary {
  const count = agg.count;
  const violations = agg.violations;
  const total = Object.values(violations.byKind).reduce((s: number, n) => s + (n ?? 0), 0);
  const score = agg.score;
  return {
    count,
    latencyMs: { ...quantiles(agg.latency, LATENCY_LEVELS), count: agg.latency?.count ?? 0 },
    score: score ? { mean: score.sum / score.count, ...quantiles(score, SCORE_LEVELS) } : null,
    output: outputDistribution(agg, reference.task ?? null),
    schemaViolations: { total, rate: count > 0 ? Math.min(1, violations.predictions / count) : null, byKind: { ...violations.byKind } as Record<string, number>, byFeature: { ...violations.byFeature } },
    labels: { count: agg.labels.count, coverage: count > 0 ? Math.min(1, agg.labels.count / count) : null },
    performance: windowPerformance(agg.labels, reference.task ?? null),
    drift: windowDrift(agg.drift, reference, options),
  };
}

const LATENCY_LEVELS = { p50: 0.5, p95: 0.95, p99: 0.99 } as const;
const SCORE_LEVELS = { p50: 0.5, p95: 0.95 } as const;

/** Several quantiles of one summary, reading its sketch once. */
function quantiles<K extends string>(s: NumberSummary | null, levels: Readonly<Record<K, number>>): Record<K, number | null> {
  const keys = Object.keys(levels) as K[];
  const values = s ? sketchQuantiles(s.sketch, s.min, s.max, keys.map((k) => levels[k])) : [];
  return Object.fromEntries(keys.map((k, i) => [k, values[i] ?? null])) as Record<K, number | null>;
}

/** Class shares, or for a regression model (numeric outputs over many values) quantiles and the mean. */
function outputDistribution(agg: WindowAggregate, task: SummaryReference["task"]): Record<string, number> {
  const { classes, numeric } = agg.output;
  const distinct = Object.keys(classes.counts).length;
  const regression = numeric !== null && (task === "regression" || (task !== "classification" && (distinct > MONITORING_DEFAULTS.maxClasses || classes.other > 0)));
  if (regression) {
    return { mean: numeric.sum / numeric.count, p5: numberQuantile(numeric, 0.05)!, p25: numberQuantile(numeric, 0.25)!, p50: numberQuantile(numeric, 0.5)!, p75: numberQuantile(numeric, 0.75)!, p95: numberQuantile(numeric, 0.95)! };
  }
  let n = classes.other;
  for (const k in classes.counts) n += classes.counts[k]!;
  const out: Record<string, number> = {};
  if (n === 0) return out;
  for (const k of Object.keys(classes.counts).sort()) out[k] = classes.counts[k]! / n;
  if (classes.other > 0) out[OTHER_OUTPUT] = classes.other / n;
  return out;
}

const ratio = (num: number, den: number) => (den === 0 ? 0 : num / den);

/**
 * Performance over the window's labelled predictions. Classification follows scikit-learn:
 * with at most two classes precision/recall/f1 are those of the positive class ("1"/"true",
 * else the last in sorted order), with more they are macro averages; an undefined ratio is 0.
 */
export function windowPerformance(labels: LabelAggregate, task: SummaryReference["task"]): WindowPerformance | null {
  if (labels.count === 0) return null;
  const actual = Object.keys(labels.confusion);
  const classes = new Set(actual);
  let pairs = 0;
  for (const a of actual) {
    for (const p in labels.confusion[a]!) {
      classes.add(p);
      pairs += labels.confusion[a]![p]!;
    }
  }
  const reg = labels.regression;
  const isRegression = task === "regression" || (task !== "classification" && reg.count > 0 && (pairs === 0 || classes.size > MONITORING_DEFAULTS.maxClasses));
  if (isRegression) {
    return { task: "regression", count: reg.count, mae: reg.count ? reg.sumAbs / reg.count : null, rmse: reg.count ? Math.sqrt(reg.sumSq / reg.count) : null };
  }
  const sorted = [...classes].sort();
  const k = sorted.length;
  const at = (a: string, p: string) => labels.confusion[a]?.[p] ?? 0;
  if (pairs === 0) return { task: "classification", count: 0, accuracy: null, precision: null, recall: null, f1: null };
  let correct = 0;
  for (const c of sorted) correct += at(c, c);
  const prf = (c: string) => {
    let predicted = 0;
    let truth = 0;
    for (const o of sorted) {
      predicted += at(o, c);
      truth += at(c, o);
    }
    const p = ratio(at(c, c), predicted);
    const r = ratio(at(c, c), truth);
    return { p, r, f: ratio(2 * p * r, p + r) };
  };
  let precision: number;
  let recall: number;
  let f1: number;
  if (k <= 2) {
    ({ p: precision, r: recall, f: f1 } = prf(sorted[defaultPositive(sorted)]!));
  } else {
    precision = recall = f1 = 0;
    for (const c of sorted) {
      const m = prf(c);
      precision += m.p / k;
      recall += m.r / k;
      f1 += m.f / k;
    }
  }
  return { task: "classification", count: pairs, accuracy: correct / pairs, precision, recall, f1 };
}

/** Drift of every reported feature; features without a verdict do not vote on `drifted`. */
export function windowDrift(counts: Readonly<Record<string, FeatureDriftCounts>>, reference: SummaryReference, options: SummariseOptions = {}): MonitoringWindow["drift"] {
  const profile = reference.profile;
  if (!profile) return { features: [], driftedShare: null, drifted: false };
  const byName = new Map(profile.columns.filter(comparable).map((c) => [c.name, c]));
  const names = reference.features ?? Object.keys(counts);
  const features: FeatureDrift[] = [];
  for (const name of names) {
    const column = byName.get(name);
    if (column) features.push(featureDrift(column, counts[name], options));
  }
  let judged = 0;
  let drifted = 0;
  for (const f of features) {
    if (f.status === "not_enough_data") continue;
    judged++;
    if (f.drifted) drifted++;
  }
  const share = judged > 0 ? drifted / judged : null;
  return { features, driftedShare: share, drifted: share !== null && share >= (options.driftShare ?? MONITORING_DEFAULTS.driftShare) };
}

/** One feature against its training column; counts absent or counted against other bins give no verdict. */
export function featureDrift(column: ColumnProfile, counts: FeatureDriftCounts | undefined, options: SummariseOptions = {}): FeatureDrift {
  const numerical = column.type === "numerical";
  const method = numerical ? (options.method ?? MONITORING_DEFAULTS.method) : "linf";
  const threshold = numerical ? (options.numericalThreshold ?? DRIFT_DEFAULTS.thresholds[method as MonitoringDriftMethod]) : (options.categoricalThreshold ?? MONITORING_DEFAULTS.categoricalThreshold);
  const min = Math.max(2, options.minSampleSize ?? MONITORING_DEFAULTS.minSampleSize);
  const dist = counts && counts.type === (numerical ? "numerical" : "categorical") ? (numerical ? numericalShares(column, counts) : categoricalShares(column, counts)) : null;
  const size = dist?.size ?? 0;
  const base = { feature: column.name, type: numerical ? "numerical" : "categorical", method, threshold, count: size, missing: counts?.missing ?? 0 } as const;
  if (!dist || size < min || column.count < min) return { ...base, statistic: null, drifted: false, status: "not_enough_data" };
  const statistic = method === "psi" ? populationStabilityIndex(dist.reference, dist.current) : method === "jensenshannon" ? jensenShannonDistance(dist.reference, dist.current) : lInfinityDistance(dist.reference, dist.current).distance;
  const drifted = statistic >= threshold;
  return { ...base, statistic, drifted, status: drifted ? "drift" : "ok" };
}

interface Shares {
  reference: Float64Array;
  current: Float64Array;
  size: number;
}

function numericalShares(column: ColumnProfile, counts: FeatureDriftCounts): Shares | null {
  const ref = column.numerical!.deciles.shares;
  const bins = counts.bins;
  if (!bins || bins.length !== ref.length) return null;
  let size = 0;
  for (const n of bins) size += n;
  return { reference: Float64Array.from(ref), current: Float64Array.from(bins, (n) => (size ? n / size : 0)), size };
}

/**
 * Category shares aligned on the training categories. Values outside an incomplete training
 * list share its "other" bin, as the profile counted them; a new category beside a complete
 * list is a bin of its own with a training share of 0.
 */
function categoricalShares(column: ColumnProfile, counts: FeatureDriftCounts): Shares | null {
  const cats = counts.categories;
  if (!cats) return null;
  const { top, otherCount, complete } = column.categorical!;
  const hasOther = otherCount > 0 || !complete;
  const known = new Map(top.map((t, i) => [t.value, i]));
  const current = new Array<number>(top.length + (hasOther ? 1 : 0)).fill(0);
  const extra: number[] = [];
  let size = cats.other;
  // Values the window stopped tracking are unknown ones: the "other" bin, or one new bin.
  if (cats.other > 0) {
    if (hasOther) current[top.length]! += cats.other;
    else extra.push(cats.other);
  }
  for (const value in cats.counts) {
    const n = cats.counts[value]!;
    size += n;
    const i = known.get(value);
    if (i !== undefined) current[i]! += n;
    else if (hasOther) current[top.length]! += n;
    else extra.push(n);
  }
  const reference = [...top.map((t) => t.count), ...(hasOther ? [otherCount] : []), ...extra.map(() => 0)];
  const all = [...current, ...extra];
  return { reference: Float64Array.from(reference), current: Float64Array.from(all), size };
}
