import { sketchCountBelow } from "../../datasets/sketch.js";
import { parseBoolean, parseDatetime, parseNumber } from "../../datasets/values.js";
import type { SkewColumn, SkewReport } from "../../schemas/checks.js";
import type { ColumnProfile, DatasetProfile } from "../../schemas/datasets.js";
import { countDecileBins, jensenShannonDistance, lInfinityDistance } from "./distance.js";

export interface SkewOptions {
  /** Threshold of the L-infinity distance for categorical columns (default 0.1). */
  categoricalThreshold?: number;
  /** Threshold of the Jensen–Shannon distance for numerical columns (default 0.1). */
  numericalThreshold?: number;
  /** Per-feature thresholds, over the two above. */
  thresholds?: Readonly<Record<string, number>>;
  /** Columns to compare (default: every training column that is numerical, datetime, categorical or boolean). */
  columns?: readonly string[];
  /** Fewer present values than this on a side is "not enough data" (default 2). */
  minCount?: number;
}

export const SKEW_DEFAULTS: Readonly<{ categoricalThreshold: number; numericalThreshold: number; minCount: number }> = { categoricalThreshold: 0.1, numericalThreshold: 0.1, minCount: 2 };

/** A numerical column with at most this many distinct values over both sides is compared as categorical. */
export const SKEW_MAX_DISCRETE = 5;

/** Serving data as raw columns (exact bin counts) or as the profile of a window (bins estimated from its sketch). */
export type ServingData = DatasetProfile | Readonly<Record<string, ArrayLike<unknown>>>;

type Dist = { labels: string[]; training: number[]; serving: number[] };

/**
 * Training/serving skew per feature against the training profile: categorical (and boolean,
 * and numerical with ≤ 5 distinct values) by the L-infinity distance of category shares as
 * TFDV; numerical and datetime by the base-2 Jensen–Shannon distance over the training
 * profile's ten decile bins. Missing values are excluded and reported as counts.
 */
export function checkSkew(training: DatasetProfile, serving: ServingData, options: SkewOptions = {}): SkewReport {
  const o = { ...SKEW_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as typeof SKEW_DEFAULTS & SkewOptions;
  const servingProfile = isProfile(serving) ? serving : undefined;
  const servingColumns = isProfile(serving) ? undefined : serving;
  const servingRows = servingProfile ? servingProfile.rowCount : rowsOf(servingColumns!);
  const wanted = o.columns ? new Set(o.columns) : undefined;
  const out: SkewColumn[] = [];
  for (const t of training.columns) {
    if (wanted ? !wanted.has(t.name) : !comparable(t)) continue;
    if (!comparable(t)) throw new RangeError(`skew: column "${t.name}" is ${t.type}; only numerical, datetime, categorical and boolean columns are compared`);
    const sp = servingProfile?.columns.find((c) => c.name === t.name);
    const raw = servingColumns && Object.hasOwn(servingColumns, t.name) ? servingColumns[t.name] : undefined;
    const numerical = t.type === "numerical" || t.type === "datetime";
    const discrete = numerical ? discreteValues(t) : undefined;
    let dist: Dist | undefined;
    let counts = sp ? { count: sp.count, missing: sp.missing } : { count: 0, missing: raw ? 0 : servingRows };
    const fresh = () => {
      counts = { count: 0, missing: 0 };
      return counts;
    };
    if (discrete && (sp || raw)) dist = raw ? discreteFromRaw(t, discrete, raw, servingRows, fresh()) : discreteFromProfile(t, discrete, sp!);
    const asCategorical = !numerical || dist !== undefined;
    if (!dist && (sp || raw)) {
      if (numerical) dist = raw ? binsFromRaw(t, raw, servingRows, fresh()) : binsFromProfile(t, sp!);
      else dist = raw ? categoriesFromRaw(t, raw, servingRows, fresh()) : categoriesFromProfile(t, sp!);
    }
    const type = asCategorical ? "categorical" : "numerical";
    const method = type === "numerical" ? "jensenshannon" : "linf";
    const threshold = o.thresholds && Object.hasOwn(o.thresholds, t.name) ? o.thresholds[t.name]! : type === "numerical" ? o.numericalThreshold : o.categoricalThreshold;
    const base = { column: t.name, type, method, threshold, trainingCount: t.count, servingCount: counts.count, trainingMissing: t.missing, servingMissing: counts.missing } as const;
    if (!sp && !raw) {
      out.push({ ...base, distance: null, skewed: true, status: "missing_in_serving", worst: null });
      continue;
    }
    if (!dist || t.count < o.minCount || counts.count < o.minCount) {
      out.push({ ...base, distance: null, skewed: false, status: "not_enough_data", worst: null });
      continue;
    }
    let distance: number;
    let at: number;
    if (method === "linf") ({ distance, at } = lInfinityDistance(dist.training, dist.serving));
    else {
      distance = jensenShannonDistance(dist.training, dist.serving);
      at = worstBin(dist);
    }
    if (!Number.isFinite(distance)) {
      out.push({ ...base, distance: null, skewed: false, status: "not_enough_data", worst: null });
      continue;
    }
    const skewed = distance >= threshold;
    out.push({ ...base, distance, skewed, status: skewed ? "skewed" : "ok", worst: at >= 0 ? dist.labels[at]! : null });
  }
  const skewedColumns = out.filter((c) => c.skewed).map((c) => c.column);
  return { passed: skewedColumns.length === 0, columns: out, skewedColumns };
}

/**
 * The columns a model's skew check compares by default: its signature's inputs that the
 * training profile can compare. The training table also holds the label, which serving data
 * never has and would read as "missing at serving". Undefined (checkSkew's own default, every
 * comparable training column) when there is no signature or none of its inputs qualifies.
 */
export function signatureSkewColumns(training: DatasetProfile, inputs: ReadonlyArray<{ name: string }> | undefined): string[] | undefined {
  const known = new Set(training.columns.filter(comparable).map((c) => c.name));
  const names = inputs?.map((i) => i.name).filter((n) => known.has(n));
  return names && names.length > 0 ? names : undefined;
}

/** A report's verdict: failed when a feature is skewed or missing at serving, passed when some feature was judged, otherwise not enough data. */
export function skewVerdict(report: SkewReport): "passed" | "failed" | "not_enough_data" {
  if (!report.passed) return "failed";
  return report.columns.some((c) => c.status !== "not_enough_data") ? "passed" : "not_enough_data";
}

const comparable = (c: ColumnProfile) => c.type === "numerical" || c.type === "datetime" || c.type === "categorical" || c.type === "boolean";

function isProfile(x: ServingData): x is DatasetProfile {
  return (x as DatasetProfile).version === 1 && Array.isArray((x as DatasetProfile).columns) && typeof (x as DatasetProfile).rowCount === "number";
}

function rowsOf(columns: Readonly<Record<string, ArrayLike<unknown>>>): number {
  const lengths = Object.values(columns).map((v) => v.length);
  const n = lengths[0] ?? 0;
  if (lengths.some((l) => l !== n)) throw new RangeError(`skew: serving columns have different lengths (${[...new Set(lengths)].join(", ")})`);
  return n;
}

/** The training column's values when it has at most SKEW_MAX_DISCRETE distinct ones (known exactly from an exact sketch). */
function discreteValues(t: ColumnProfile): number[] | undefined {
  const s = t.numerical?.sketch;
  if (!s?.exact || s.means.length > SKEW_MAX_DISCRETE) return undefined;
  return s.means;
}

function discreteFromRaw(t: ColumnProfile, values: number[], raw: ArrayLike<unknown>, n: number, counts: { count: number; missing: number }): Dist | undefined {
  const index = new Map(values.map((v, i) => [v, i]));
  const serving = new Array<number>(values.length).fill(0);
  const extra = new Map<number, number>();
  const isDate = t.type === "datetime";
  for (let i = 0; i < n; i++) {
    const x = toNumber(raw[i], isDate, t.name, i);
    if (x === undefined) {
      counts.missing++;
      continue;
    }
    counts.count++;
    if (x - x !== 0) continue;
    const k = index.get(x + 0);
    if (k !== undefined) serving[k]!++;
    else {
      extra.set(x + 0, (extra.get(x + 0) ?? 0) + 1);
      if (values.length + extra.size > SKEW_MAX_DISCRETE) {
        counts.count = counts.missing = 0;
        return undefined;
      }
    }
  }
  const labels = [...values, ...extra.keys()].map(String);
  return { labels, training: [...t.numerical!.sketch.weights, ...[...extra.keys()].map(() => 0)], serving: [...serving, ...extra.values()] };
}

function discreteFromProfile(t: ColumnProfile, values: number[], sp: ColumnProfile): Dist | undefined {
  const s = sp.numerical?.sketch;
  if (!s?.exact) return undefined;
  const all = [...new Set([...values, ...s.means])];
  if (all.length > SKEW_MAX_DISCRETE) return undefined;
  const tw = new Map(values.map((v, i) => [v, t.numerical!.sketch.weights[i]!]));
  const sw = new Map(s.means.map((v, i) => [v, s.weights[i]!]));
  return { labels: all.map(String), training: all.map((v) => tw.get(v) ?? 0), serving: all.map((v) => sw.get(v) ?? 0) };
}

const binLabels = Array.from({ length: 10 }, (_, k) => `bin ${k + 1}`);

function binsFromRaw(t: ColumnProfile, raw: ArrayLike<unknown>, n: number, counts: { count: number; missing: number }): Dist | undefined {
  if (!t.numerical) return undefined;
  const xs = new Float64Array(n);
  let m = 0;
  const isDate = t.type === "datetime";
  if (ArrayBuffer.isView(raw) && !isDate) {
    const typed = raw as unknown as ArrayLike<number>;
    for (let i = 0; i < n; i++) xs[m++] = typed[i]!;
    counts.count = n;
  } else {
    for (let i = 0; i < n; i++) {
      const x = toNumber(raw[i], isDate, t.name, i);
      if (x === undefined) counts.missing++;
      else {
        counts.count++;
        xs[m++] = x;
      }
    }
  }
  const bins = countDecileBins(xs, m, t.numerical.deciles.edges);
  return { labels: binLabels, training: t.numerical.deciles.shares, serving: Array.from(bins) };
}

function binsFromProfile(t: ColumnProfile, sp: ColumnProfile): Dist | undefined {
  const tn = t.numerical;
  const sn = sp.numerical;
  if (!tn || !sn || sp.type !== t.type) return undefined;
  // Values strictly below each edge, from the serving sketch (exact when the sketch is).
  const below = sketchCountBelow(sn.sketch, sn.min, sn.max, tn.deciles.edges);
  const finite = sp.count - sn.nonFinite;
  const serving = Array.from({ length: 10 }, (_, k) => Math.max(0, (k < 9 ? below[k]! : finite) - (k > 0 ? below[k - 1]! : 0)));
  return { labels: binLabels, training: tn.deciles.shares, serving };
}

function categoryShares(c: ColumnProfile): Map<string, number> {
  const m = new Map<string, number>();
  const cat = c.categorical;
  if (!cat) return m;
  for (const t of cat.top) m.set(t.value, t.count);
  // Categories past the profile's top-k are one bucket on each side.
  if (cat.otherCount > 0) m.set("(other)", cat.otherCount);
  return m;
}

function union(a: Map<string, number>, b: Map<string, number>): Dist {
  const labels = [...new Set([...a.keys(), ...b.keys()])];
  return { labels, training: labels.map((l) => a.get(l) ?? 0), serving: labels.map((l) => b.get(l) ?? 0) };
}

function categoriesFromProfile(t: ColumnProfile, sp: ColumnProfile): Dist {
  return union(categoryShares(t), categoryShares(sp));
}

function categoriesFromRaw(t: ColumnProfile, raw: ArrayLike<unknown>, n: number, counts: { count: number; missing: number }): Dist {
  const training = categoryShares(t);
  const known = t.categorical?.complete ?? true;
  const serving = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const v = raw[i];
    if (v === null || v === undefined || v === "") {
      counts.missing++;
      continue;
    }
    counts.count++;
    let s = typeof v === "string" ? v : String(v);
    if (t.type === "boolean") {
      const b = typeof v === "boolean" ? v : typeof v === "string" ? parseBoolean(v) : undefined;
      if (b !== undefined) s = String(b);
    }
    if (!known && !training.has(s)) s = "(other)";
    serving.set(s, (serving.get(s) ?? 0) + 1);
  }
  return union(training, serving);
}

function toNumber(v: unknown, isDate: boolean, column: string, row: number): number | undefined {
  if (v === null || v === undefined || v === "") return undefined;
  if (typeof v === "number") return v;
  const x = typeof v === "string" ? (isDate ? parseDatetime(v) : parseNumber(v)) : v instanceof Date ? v.getTime() : undefined;
  if (x === undefined) throw new RangeError(`skew: column "${column}", row ${row + 1}: ${JSON.stringify(String(v)).slice(0, 60)} is not ${isDate ? "a date" : "a number"}`);
  return x;
}

function worstBin(d: Dist): number {
  const st = d.training.reduce((a, b) => a + b, 0);
  const ss = d.serving.reduce((a, b) => a + b, 0);
  let at = -1;
  let worst = -1;
  d.training.forEach((p, i) => {
    const diff = Math.abs(p / st - d.serving[i]! / ss);
    if (diff > worst) {
      worst = diff;
      at = i;
    }
  });
  return at;
}
