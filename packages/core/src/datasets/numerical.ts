import type { NumericalStats } from "../schemas/datasets.js";
import { mergeSketches, type Sketch, sketchCountBelow, sketchFromSorted, sketchQuantiles } from "./sketch.js";

export const QUANTILE_LEVELS = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99] as const;
export const DECILE_LEVELS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] as const;

/** numpy.quantile(sorted[:n], q) with the default "linear" method. */
export function quantileSorted(sorted: ArrayLike<number>, q: number, n = sorted.length): number {
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const a = sorted[lo]!;
  if (lo + 1 >= n) return a;
  const b = sorted[lo + 1]!;
  const t = h - lo;
  // numpy's _lerp: from the nearer end, so the result matches numpy to the last bit.
  const v = t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
  // Rounding may step outside [a, b]; numpy's result never does by more than an ulp.
  return Math.min(Math.max(v, a), b);
}

/** Number of values < x in sorted[:n]. */
export function lowerBound(sorted: ArrayLike<number>, x: number, n = sorted.length): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** numpy.histogram's edges: equal width over [min, max] (or [v − 0.5, v + 0.5] for one value). */
export function histogramEdges(min: number, max: number, bins: number): number[] {
  const lo = min === max ? min - 0.5 : min;
  const hi = min === max ? max + 0.5 : max;
  const edges: number[] = [];
  const width = hi - lo;
  // Beyond ±1e308 the width overflows: interpolate between the ends instead.
  for (let i = 0; i <= bins; i++) edges.push(i === bins ? hi : Number.isFinite(width) ? lo + (width * i) / bins : lo * (1 - i / bins) + hi * (i / bins));
  return edges;
}

const quantileRecord = (v: readonly number[]) => ({ p1: v[0]!, p5: v[1]!, p25: v[2]!, p50: v[3]!, p75: v[4]!, p95: v[5]!, p99: v[6]! });

/** Shares of the 10 bins [e(i−1), e(i)) from "values below edge" counts; a value equal to an edge is in the upper bin. */
function decileShares(below: readonly number[], n: number): number[] {
  const shares: number[] = [];
  let prev = 0;
  for (let i = 0; i <= 9; i++) {
    const b = i === 9 ? n : below[i]!;
    shares.push(n > 0 ? Math.max(0, b - prev) / n : 0);
    prev = Math.max(prev, b);
  }
  return shares;
}

/**
 * Exact figures of sorted finite values (n ≥ 1): moments by two passes, quantiles and
 * deciles numpy-linear, numpy's histogram, and the sketch, all in O(n) after the sort.
 */
export function numericalFromSorted(sorted: Float64Array, n: number, nonFinite: number, bins: number): NumericalStats {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  let mean = sum / n;
  if (!Number.isFinite(mean)) {
    // The sum overflowed (values near ±1.8e308): average the scaled values instead.
    mean = 0;
    for (let i = 0; i < n; i++) mean += sorted[i]! / n;
  }
  let m2 = 0;
  for (let i = 0; i < n; i++) {
    const d = sorted[i]! - mean;
    m2 += d * d;
  }
  const min = sorted[0]!;
  const max = sorted[n - 1]!;
  const zeros = lowerBound(sorted, Number.MIN_VALUE, n) - lowerBound(sorted, 0, n);
  const edges = DECILE_LEVELS.map((q) => quantileSorted(sorted, q, n));
  const below = edges.map((e) => lowerBound(sorted, e, n));
  const hEdges = histogramEdges(min, max, bins);
  const counts = new Array<number>(bins).fill(0);
  // numpy: bins are [e(i), e(i+1)), the last one closed.
  let start = 0;
  for (let b = 0; b < bins; b++) {
    const end = b === bins - 1 ? n : lowerBound(sorted, hEdges[b + 1]!, n);
    counts[b] = end - start;
    start = end;
  }
  return {
    mean: clamp(mean, min, max),
    std: Math.sqrt(m2 / n),
    m2,
    min,
    max,
    zeros,
    nonFinite,
    quantiles: quantileRecord(QUANTILE_LEVELS.map((q) => quantileSorted(sorted, q, n))),
    deciles: { edges, shares: decileShares(below, n) },
    histogram: { edges: hEdges, counts },
    sketch: sketchFromSorted(sorted, n),
  };
}

const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);

/** Figures that follow from a sketch and the exact extremes: used after merges. */
export function numericalFromSketch(
  parts: Pick<NumericalStats, "mean" | "m2" | "min" | "max" | "zeros" | "nonFinite">,
  sketch: Sketch,
  bins: number,
): NumericalStats {
  const { min, max } = parts;
  let n = 0;
  for (const w of sketch.weights) n += w;
  const edges = sketchQuantiles(sketch, min, max, DECILE_LEVELS);
  const hEdges = histogramEdges(min, max, bins);
  const below = sketchCountBelow(sketch, min, max, [...edges, ...hEdges.slice(1, -1)]);
  const counts: number[] = [];
  let prev = 0;
  for (let b = 0; b < bins; b++) {
    const next = b === bins - 1 ? n : Math.max(prev, Math.round(below[9 + b]!));
    counts.push(next - prev);
    prev = next;
  }
  return {
    ...parts,
    std: Math.sqrt(parts.m2 / n),
    quantiles: quantileRecord(sketchQuantiles(sketch, min, max, QUANTILE_LEVELS)),
    deciles: { edges, shares: decileShares(below.slice(0, 9), n) },
    histogram: { edges: hEdges, counts },
    sketch,
  };
}

const sketchWeight = (s: Sketch) => s.weights.reduce((a, b) => a + b, 0);

/** Chan et al.'s parallel update for count, mean and m2; extremes, zeros and the sketch merge exactly. */
export function mergeNumerical(a: NumericalStats, b: NumericalStats, bins: number): NumericalStats {
  const na = sketchWeight(a.sketch);
  const nb = sketchWeight(b.sketch);
  const n = na + nb;
  const delta = b.mean - a.mean;
  const min = Math.min(a.min, b.min);
  const max = Math.max(a.max, b.max);
  return numericalFromSketch(
    {
      mean: clamp(a.mean + (delta * nb) / n, min, max),
      m2: a.m2 + b.m2 + ((delta * delta * na) / n) * nb,
      min,
      max,
      zeros: a.zeros + b.zeros,
      nonFinite: a.nonFinite + b.nonFinite,
    },
    mergeSketches(a.sketch, b.sketch),
    bins,
  );
}
