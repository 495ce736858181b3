import { lowerBound } from "../../datasets/numerical.js";
import { sortFloat64 } from "../../datasets/sort.js";
import type { DriftColumn, DriftMethod } from "../../schemas/checks.js";
import { binShares, chiSquareHomogeneity, decileEdges, jensenShannonDistance, populationStabilityIndex, populationStd, wassersteinSorted } from "./distances.js";
import { ksTwoSample } from "./ks.js";
import { countCategories, type DriftValue, prepareColumn, type PreparedColumn } from "./prepare.js";

/** The defaults. */
export const DRIFT_DEFAULTS = {
  thresholds: { ks: 0.05, chi2: 0.05, wasserstein: 0.1, psi: 0.2, jensenshannon: 0.1 } as Readonly<Record<DriftMethod, number>>,
  /** Present values needed on each side for a verdict (never fewer than 2). */
  minSampleSize: 30,
  /** Dataset drift when drifted columns / columns with a verdict ≥ this. */
  driftShare: 0.5,
  /** Reference sizes up to this use ks / chi2 by default; larger use wasserstein / jensenshannon. */
  smallReference: 1000,
  /** A numerical column with at most this many distinct values over both samples is categorical. */
  categoricalMaxDistinct: 5,
  /** Wasserstein is divided by the reference std, floored here so a constant reference gives a finite figure (as Evidently). */
  minStd: 0.001,
} as const;

export type ColumnKind = "numerical" | "categorical";

/** Which methods apply to which column type (the CLI contract). */
export const METHOD_TYPES: Readonly<Record<DriftMethod, readonly ColumnKind[]>> = {
  ks: ["numerical"],
  wasserstein: ["numerical"],
  chi2: ["categorical"],
  psi: ["numerical", "categorical"],
  jensenshannon: ["numerical", "categorical"],
};

export const P_VALUE_METHODS: ReadonlySet<DriftMethod> = new Set(["ks", "chi2"]);

export interface DriftColumnOptions {
  /** Used for every column it applies to; others get their default method. */
  method?: DriftMethod;
  /** For the columns that use `method` (or every column when no method is given). */
  threshold?: number;
  /** Per-method thresholds; win over `threshold`. */
  thresholds?: Partial<Record<DriftMethod, number>>;
  minSampleSize?: number;
}

/** The method and threshold for a column of this type and reference size. */
export function chooseMethod(type: ColumnKind, referenceSize: number, opts: DriftColumnOptions, fallback?: DriftMethod): { method: DriftMethod; threshold: number } {
  const explicit = opts.method !== undefined && METHOD_TYPES[opts.method].includes(type);
  const method: DriftMethod = explicit
    ? opts.method!
    : (fallback ?? (referenceSize <= DRIFT_DEFAULTS.smallReference ? (type === "numerical" ? "ks" : "chi2") : type === "numerical" ? "wasserstein" : "jensenshannon"));
  const general = explicit || opts.method === undefined ? opts.threshold : undefined;
  return { method, threshold: opts.thresholds?.[method] ?? general ?? DRIFT_DEFAULTS.thresholds[method] };
}

/** The verdict from a figure: p < threshold for ks/chi2, statistic ≥ threshold for the distances. */
export function verdict(method: DriftMethod, statistic: number, pValue: number | null, threshold: number): boolean {
  return P_VALUE_METHODS.has(method) ? pValue! < threshold : statistic >= threshold;
}

export interface DriftFigure {
  statistic: number;
  pValue: number | null;
}

/** Adds values to `seen` until it holds more than `cap`; true when it stays within. */
function addDistinct(seen: Set<number>, values: Float64Array, cap: number): boolean {
  for (let i = 0; i < values.length; i++) {
    seen.add(values[i]!);
    if (seen.size > cap) return false;
  }
  return true;
}

/** The figure of one method on numerical samples: the reference sorted, the current sorted for ks and wasserstein. */
export function numericalFigure(method: DriftMethod, ref: Float64Array, cur: Float64Array): DriftFigure {
  switch (method) {
    case "ks": {
      const r = ksTwoSample(ref, cur);
      return { statistic: r.statistic, pValue: r.pValue };
    }
    case "wasserstein":
      return { statistic: wassersteinSorted(ref, cur) / Math.max(populationStd(ref), DRIFT_DEFAULTS.minStd), pValue: null };
    case "psi":
    case "jensenshannon": {
      const edges = decileEdges(ref);
      const r = sortedShares(ref, edges);
      const c = binShares(cur, edges);
      return { statistic: method === "psi" ? populationStabilityIndex(r, c) : jensenShannonDistance(r, c), pValue: null };
    }
    default:
      throw new Error(`${method} does not apply to numerical columns`);
  }
}

/** Bin shares of a sorted sample by binary search on the edges (values equal to an edge go up). */
function sortedShares(sorted: Float64Array, edges: readonly number[]): Float64Array {
  const shares = new Float64Array(edges.length + 1);
  let prev = 0;
  for (let b = 0; b <= edges.length; b++) {
    const below = b === edges.length ? sorted.length : Math.max(prev, lowerBound(sorted, edges[b]!));
    shares[b] = (below - prev) / sorted.length;
    prev = below;
  }
  return shares;
}

/** The figure of one method on category counts (aligned arrays over the union of categories). */
export function categoricalFigure(method: DriftMethod, ref: ArrayLike<number>, cur: ArrayLike<number>): DriftFigure {
  if (method === "chi2") {
    const r = chiSquareHomogeneity(ref, cur);
    return { statistic: r.statistic, pValue: r.pValue };
  }
  const shares = (c: ArrayLike<number>) => {
    let t = 0;
    for (let i = 0; i < c.length; i++) t += c[i]!;
    return Float64Array.from(c as ArrayLike<number>, (x) => x / t);
  };
  if (method === "psi") return { statistic: populationStabilityIndex(shares(ref), shares(cur)), pValue: null };
  if (method === "jensenshannon") return { statistic: jensenShannonDistance(shares(ref), shares(cur)), pValue: null };
  throw new Error(`${method} does not apply to categorical columns`);
}

/** Counts of both samples over the sorted union of their categories. */
export function alignCategories(ref: readonly string[], cur: readonly string[]): { categories: string[]; ref: Float64Array; cur: Float64Array } {
  const rc = countCategories(ref);
  const cc = countCategories(cur);
  const categories = [...new Set([...rc.keys(), ...cc.keys()])].sort();
  return { categories, ref: Float64Array.from(categories, (k) => rc.get(k) ?? 0), cur: Float64Array.from(categories, (k) => cc.get(k) ?? 0) };
}

/** Drift of one column between a reference and a current sample. */
export function driftColumn(name: string, reference: ArrayLike<DriftValue> | PreparedColumn, current: ArrayLike<DriftValue> | PreparedColumn, opts: DriftColumnOptions = {}): DriftColumn {
  const ref = "text" in reference ? reference : prepareColumn(reference);
  const cur = "text" in current ? current : prepareColumn(current);
  let type: ColumnKind = ref.numbers && cur.numbers ? "numerical" : "categorical";
  if (type === "numerical") {
    const cap = DRIFT_DEFAULTS.categoricalMaxDistinct;
    const seen = new Set<number>();
    if (addDistinct(seen, ref.numbers!, cap) && addDistinct(seen, cur.numbers!, cap)) type = "categorical";
  }
  // Categories, built once: numbers by value when both sides are numeric (≤ 5 distinct), else the text as given.
  const bothNumeric = !!(ref.numbers && cur.numbers);
  const refText = type === "categorical" ? (bothNumeric ? ref.strings() : ref.text()) : undefined;
  const curText = type === "categorical" ? (bothNumeric ? cur.strings() : cur.text()) : undefined;
  const referenceSize = refText?.length ?? ref.numbers!.length;
  const currentSize = curText?.length ?? cur.numbers!.length;
  const { method, threshold } = chooseMethod(type, referenceSize, opts);
  const base = { column: name, type, method, threshold, referenceSize, currentSize, referenceMissing: ref.missing, currentMissing: cur.missing };
  const min = Math.max(2, opts.minSampleSize ?? DRIFT_DEFAULTS.minSampleSize);
  if (referenceSize < min || currentSize < min) return { ...base, statistic: null, pValue: null, drifted: null, status: "not_enough_data" };
  let fig: DriftFigure;
  // prepareColumn's arrays are our own copies: sort them in place; PSI/JS bin the current sample unsorted.
  if (type === "numerical") fig = numericalFigure(method, sortFloat64(ref.numbers!), method === "psi" || method === "jensenshannon" ? cur.numbers! : sortFloat64(cur.numbers!));
  else {
    const a = alignCategories(refText!, curText!);
    fig = categoricalFigure(method, a.ref, a.cur);
  }
  const drifted = verdict(method, fig.statistic, fig.pValue, threshold);
  return { ...base, statistic: fig.statistic, pValue: fig.pValue, drifted, status: drifted ? "drift" : "ok" };
}
