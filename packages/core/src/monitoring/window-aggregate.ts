import { binOf } from "../checks/drift/distances.js";
import { ColumnTypeChangeError, DatasetProfiler } from "../datasets/profiler.js";
import type { ColumnType, DatasetProfile } from "../schemas/datasets.js";
import type { FeatureValue, PredictionOutput } from "../schemas/monitoring.js";
import { type LabelAggregate, aggregateLabelPairs, emptyLabels, type LabelPair, mergeLabels, predictedValue } from "./labels.js";
import { mergeNumberSummaries, type NumberSummary, summariseNumbers } from "./number-summary.js";
import { mergeFeatureProfiles } from "./profile-merge.js";
import type { CompiledReference } from "./reference.js";
import { countColumnViolations, emptyViolations, mergeViolations, type ViolationCounts } from "./violations.js";

/** Distinct output classes (and categories per feature) kept per window; the rest are counted together. */
export const MAX_TRACKED_CATEGORIES = 1000;
/** Profiles of features in a window keep this many top categories and histogram bins (small rows, fast reads). */
const PROFILE_OPTIONS = { topK: 50, histogramBins: 10 } as const;

/** Counts of string values with a bound on distinct keys. */
export interface CategoryCounts {
  counts: Record<string, number>;
  /** Values beyond MAX_TRACKED_CATEGORIES distinct keys. */
  other: number;
}

/**
 * One feature's drift inputs against the reference: counts in the reference's ten decile bins
 * (numerical; a value equal to an edge goes to the upper bin, as the drift checks) or category
 * counts (categorical and boolean), plus missing values. Counts merge by addition, so PSI and
 * Jensen–Shannon over any range of windows are exact.
 */
export interface FeatureDriftCounts {
  type: "numerical" | "categorical";
  bins?: number[];
  categories?: CategoryCounts;
  /** Absent, null, or not of the feature's type. */
  missing: number;
}

/**
 * The mergeable summary of a model version's predictions (and matched labels) in one window.
 * JSON-serialisable (stored as jsonb); `mergeWindowAggregates` gives the aggregate of the union.
 */
export interface WindowAggregate {
  v: 1;
  count: number;
  latency: NumberSummary | null;
  score: NumberSummary | null;
  output: { classes: CategoryCounts; numeric: NumberSummary | null };
  /** Per-feature profile (DatasetProfile columns); null when the window holds no predictions. */
  profile: DatasetProfile | null;
  drift: Record<string, FeatureDriftCounts>;
  violations: ViolationCounts;
  labels: LabelAggregate;
}

/** A stored prediction as aggregation reads it. */
export interface PredictionRow {
  features: Readonly<Record<string, FeatureValue>>;
  output: PredictionOutput;
  score?: number | null;
  latencyMs?: number | null;
}

export function emptyWindowAggregate(): WindowAggregate {
  return {
    v: 1,
    count: 0,
    latency: null,
    score: null,
    output: { classes: { counts: dict(), other: 0 }, numeric: null },
    profile: null,
    drift: {},
    violations: emptyViolations(),
    labels: emptyLabels(),
  };
}

export const classKey = (v: string | number | boolean) => String(v);

function bumpCategory(c: CategoryCounts, key: string, n = 1): void {
  if (Object.hasOwn(c.counts, key)) c.counts[key]! += n;
  else if (Object.keys(c.counts).length < MAX_TRACKED_CATEGORIES) c.counts[key] = n;
  else c.other += n;
}

// Null prototype: a category may be called "__proto__".
export const dict = <T>(): Record<string, T> => Object.create(null);

function mergeCategoryCounts(a: CategoryCounts, b: CategoryCounts): CategoryCounts {
  const out: CategoryCounts = { counts: Object.assign(dict<number>(), a.counts), other: a.other + b.other };
  for (const [k, n] of Object.entries(b.counts)) bumpCategory(out, k, n);
  return out;
}

type ColumnKind = "numerical" | "boolean" | "categorical";
const kindOfValue = (v: FeatureValue): ColumnKind => (typeof v === "number" ? "numerical" : typeof v === "boolean" ? "boolean" : "categorical");

/** One feature's values across the batch, by row; undefined where the feature is absent. */
interface FeatureColumn {
  name: string;
  values: readonly (FeatureValue | undefined)[];
  /** The type of the first non-null value: how a feature the reference does not know is profiled. */
  seen?: ColumnKind;
}

function columnsOf(rows: readonly PredictionRow[]): Map<string, (FeatureValue | undefined)[]> {
  const n = rows.length;
  const columns = new Map<string, (FeatureValue | undefined)[]>();
  for (let i = 0; i < n; i++) {
    const f = rows[i]!.features;
    for (const name in f) {
      if (!Object.hasOwn(f, name)) continue;
      let c = columns.get(name);
      if (!c) columns.set(name, (c = new Array(n)));
      c[i] = f[name]!;
    }
  }
  return columns;
}

function withKinds(features: ReadonlyMap<string, readonly (FeatureValue | undefined)[]>, n: number): Map<string, FeatureColumn> {
  const out = new Map<string, FeatureColumn>();
  for (const [name, values] of features) {
    const c: FeatureColumn = { name, values };
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v !== null && v !== undefined) {
        c.seen = kindOfValue(v);
        break;
      }
    }
    out.set(name, c);
  }
  return out;
}

/** The values the profile takes for a column of this type: others (violations) count as missing. */
function profileValues(type: ColumnType, values: readonly (FeatureValue | undefined)[]): ArrayLike<unknown> {
  const n = values.length;
  if (type === "numerical") {
    const out = new Array<number | undefined>(n);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      out[i] = typeof v === "number" && Number.isFinite(v) ? v : undefined;
    }
    return out;
  }
  if (type === "boolean") return values.map((v) => (typeof v === "boolean" ? v : undefined));
  if (type === "categorical" || type === "text") return values.map((v) => (v === null || v === undefined || typeof v === "boolean" ? undefined : String(v)));
  return values;
}

function profileFeatures(columns: Map<string, FeatureColumn>, n: number, ref: CompiledReference): DatasetProfile {
  const types: Record<string, ColumnType> = Object.create(null);
  const data: Record<string, ArrayLike<unknown>> = Object.create(null);
  for (const c of columns.values()) {
    const type = ref.features?.get(c.name)?.type ?? c.seen ?? "categorical";
    types[c.name] = type;
    data[c.name] = profileValues(type, c.values);
  }
  // A datetime value the profiler cannot read changes the column's type: restart with it.
  for (let attempt = 0; ; attempt++) {
    try {
      const p = new DatasetProfiler({ ...PROFILE_OPTIONS, types });
      p.addColumns(data, n);
      return p.finish().profile;
    } catch (e) {
      if (!(e instanceof ColumnTypeChangeError) || attempt > 3) throw e;
      Object.assign(types, e.types);
    }
  }
}

function driftCounts(columns: Map<string, FeatureColumn>, n: number, ref: CompiledReference): Record<string, FeatureDriftCounts> {
  const out = dict<FeatureDriftCounts>();
  if (!ref.features) return out;
  for (const f of ref.features.values()) {
    if (!f.drift) continue;
    const values = columns.get(f.name)?.values;
    if (!values) {
      out[f.name] = f.drift === "numerical" ? { type: "numerical", bins: new Array(f.edges!.length + 1).fill(0), missing: n } : { type: "categorical", categories: { counts: dict(), other: 0 }, missing: n };
      continue;
    }
    if (f.drift === "numerical") {
      const edges = f.edges!;
      const bins = new Array<number>(edges.length + 1).fill(0);
      let missing = 0;
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (typeof v === "number" && Number.isFinite(v)) bins[binOf(edges, v)]!++;
        else missing++;
      }
      out[f.name] = { type: "numerical", bins, missing };
    } else {
      const categories: CategoryCounts = { counts: dict(), other: 0 };
      let missing = 0;
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (v === null || v === undefined || (f.type === "boolean" && typeof v !== "boolean")) missing++;
        else bumpCategory(categories, String(v));
      }
      out[f.name] = { type: "categorical", categories, missing };
    }
  }
  return out;
}

/**
 * A batch given column-wise: each feature's values by row (undefined where a row lacks the
 * feature, null for a missing value), and the outputs, scores and latencies by row.
 */
export interface PredictionColumnsInput {
  count: number;
  features: ReadonlyMap<string, readonly (FeatureValue | undefined)[]>;
  outputs: ArrayLike<PredictionOutput>;
  /** NaN, null or undefined where a row has none. */
  scores: ArrayLike<number | null | undefined>;
  latencies: ArrayLike<number | null | undefined>;
}

/** The aggregate of predictions (no labels) against a compiled reference. */
export function aggregatePredictions(rows: readonly PredictionRow[], ref: CompiledReference): WindowAggregate {
  const n = rows.length;
  const outputs = new Array<PredictionOutput>(n);
  const scores = new Array<number | null | undefined>(n);
  const latencies = new Array<number | null | undefined>(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    outputs[i] = r.output;
    scores[i] = r.score;
    latencies[i] = r.latencyMs;
  }
  return aggregatePredictionColumns({ count: n, features: columnsOf(rows), outputs, scores, latencies }, ref);
}

/** `aggregatePredictions` of a batch given column-wise (what ingestion builds from the columnar form, no object per row). */
export function aggregatePredictionColumns(input: PredictionColumnsInput, ref: CompiledReference): WindowAggregate {
  const agg = emptyWindowAggregate();
  const n = input.count;
  if (n === 0) return agg;
  agg.count = n;
  const latencies: number[] = [];
  const scores: number[] = [];
  const numericOutputs: number[] = [];
  for (let i = 0; i < n; i++) {
    const latency = input.latencies[i];
    if (typeof latency === "number" && !Number.isNaN(latency)) latencies.push(latency);
    const score = input.scores[i];
    if (typeof score === "number" && !Number.isNaN(score)) scores.push(score);
    const predicted = predictedValue(input.outputs[i]!);
    if (typeof predicted === "number") numericOutputs.push(predicted);
    if (predicted !== null && predicted !== undefined) bumpCategory(agg.output.classes, classKey(predicted));
  }
  const columns = withKinds(input.features, n);
  agg.latency = summariseNumbers(latencies);
  agg.score = summariseNumbers(scores);
  agg.output.numeric = summariseNumbers(numericOutputs);
  agg.violations = countColumnViolations(columns, n, ref);
  agg.profile = profileFeatures(columns, n, ref);
  agg.drift = driftCounts(columns, n, ref);
  return agg;
}

/** The aggregate of matched labels: a window part that only adds label figures. */
export function aggregateLabels(pairs: readonly LabelPair[]): WindowAggregate {
  const agg = emptyWindowAggregate();
  agg.labels = aggregateLabelPairs(pairs);
  return agg;
}

function mergeDrift(a: Record<string, FeatureDriftCounts>, b: Record<string, FeatureDriftCounts>): Record<string, FeatureDriftCounts> {
  const out = Object.assign(dict<FeatureDriftCounts>(), a);
  for (const [name, d] of Object.entries(b)) {
    const x = out[name];
    if (!x) out[name] = d;
    else if (x.type !== d.type || (x.bins && d.bins && x.bins.length !== d.bins.length)) {
      // Only when the reference changed under stored parts: keep the larger side.
      if (sizeOf(d) > sizeOf(x)) out[name] = d;
    } else if (x.bins) out[name] = { type: x.type, bins: x.bins.map((n, i) => n + (d.bins![i] ?? 0)), missing: x.missing + d.missing };
    else out[name] = { type: x.type, categories: mergeCategoryCounts(x.categories!, d.categories!), missing: x.missing + d.missing };
  }
  return out;
}

const sizeOf = (d: FeatureDriftCounts) => d.missing + (d.bins ? d.bins.reduce((s, n) => s + n, 0) : Object.values(d.categories!.counts).reduce((s, n) => s + n, d.categories!.other));

/** The aggregate of the union of two windows' data: counts add, sketches and profiles merge. */
export function mergeWindowAggregates(a: WindowAggregate, b: WindowAggregate): WindowAggregate {
  return {
    v: 1,
    count: a.count + b.count,
    latency: mergeNumberSummaries(a.latency, b.latency),
    score: mergeNumberSummaries(a.score, b.score),
    output: { classes: mergeCategoryCounts(a.output.classes, b.output.classes), numeric: mergeNumberSummaries(a.output.numeric, b.output.numeric) },
    profile: mergeFeatureProfiles(a.profile, b.profile),
    drift: mergeDrift(a.drift, b.drift),
    violations: mergeViolations(a.violations, b.violations),
    labels: mergeLabels(a.labels, b.labels),
  };
}

/** Merges any number of aggregates (left to right); the empty aggregate for none. */
export function mergeAllWindowAggregates(aggs: Iterable<WindowAggregate>): WindowAggregate {
  let out: WindowAggregate | undefined;
  for (const a of aggs) out = out ? mergeWindowAggregates(out, a) : a;
  return out ?? emptyWindowAggregate();
}
