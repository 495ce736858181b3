import { DECILE_LEVELS, quantileSorted } from "../../datasets/numerical.js";
import { chiSquareSf } from "./special.js";

/** PSI's stand-in for an empty bin: ln(c/r) is undefined at 0. */
export const PSI_EMPTY_SHARE = 0.0001;

/** Σ (c − r)·ln(c/r) over bins, with zero shares replaced by 0.0001. */
export function populationStabilityIndex(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  let psi = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i]! === 0 ? PSI_EMPTY_SHARE : reference[i]!;
    const c = current[i]! === 0 ? PSI_EMPTY_SHARE : current[i]!;
    psi += (c - r) * Math.log(c / r);
  }
  return psi;
}

/** x·ln(x/y), 0 when x = 0 (scipy.special.rel_entr). */
const relEntr = (x: number, y: number) => (x === 0 ? 0 : x * Math.log(x / y));

/**
 * Jensen–Shannon distance in base 2 (scipy.spatial.distance.jensenshannon(p, q, base=2)):
 * both normalised to sum 1, no smoothing; 0 for identical distributions, 1 for disjoint ones.
 */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>): number {
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) {
    sp += p[i]!;
    sq += q[i]!;
  }
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i]! / sp;
    const b = q[i]! / sq;
    const m = (a + b) / 2;
    js += relEntr(a, m) + relEntr(b, m);
  }
  // Rounding can leave a tiny negative divergence for equal inputs.
  return Math.sqrt(Math.max(0, js / Math.LN2 / 2));
}

/** The reference's nine decile edges (numpy linear) from its sorted values. */
export function decileEdges(sortedReference: Float64Array): number[] {
  return DECILE_LEVELS.map((q) => quantileSorted(sortedReference, q));
}

/** Bin of a value among ascending edges: the number of edges ≤ v (a value equal to an edge goes to the upper bin). */
export function binOf(edges: ArrayLike<number>, v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Shares of the edges.length + 1 bins of (unsorted) values. */
export function binShares(values: Float64Array, edges: ArrayLike<number>): Float64Array {
  const counts = new Float64Array(edges.length + 1);
  for (let i = 0; i < values.length; i++) counts[binOf(edges, values[i]!)]!++;
  for (let b = 0; b < counts.length; b++) counts[b]! /= values.length;
  return counts;
}

/**
 * First Wasserstein distance between two sorted samples: ∫|F_a − F_b| (scipy.stats.wasserstein_distance),
 * walking both in one merge.
 */
export function wassersteinSorted(a: Float64Array, b: Float64Array): number {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let sum = 0;
  let comp = 0; // Neumaier compensation: 2M small terms
  let prev = Math.min(a[0]!, b[0]!);
  while (i < n1 || j < n2) {
    const v = j >= n2 || (i < n1 && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    const term = Math.abs(i / n1 - j / n2) * (v - prev);
    const t = sum + term;
    comp += Math.abs(sum) >= Math.abs(term) ? sum - t + term : term - t + sum;
    sum = t;
    prev = v;
    while (i < n1 && a[i]! <= v) i++;
    while (j < n2 && b[j]! <= v) j++;
  }
  return sum + comp;
}

/** Population standard deviation (ddof 0), two passes. */
export function populationStd(values: Float64Array): number {
  const n = values.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += values[i]!;
  const mean = s / n;
  let m2 = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i]! - mean;
    m2 += d * d;
  }
  return Math.sqrt(m2 / n);
}

export interface ChiSquareResult {
  statistic: number;
  pValue: number;
  dof: number;
}

/**
 * Chi-square test of homogeneity on the 2×k table (reference counts, current counts), without
 * continuity correction (scipy.stats.chi2_contingency(table, correction=False)). Categories
 * absent from both rows must be dropped by the caller (their expected count would be 0).
 */
export function chiSquareHomogeneity(reference: ArrayLike<number>, current: ArrayLike<number>): ChiSquareResult {
  const k = reference.length;
  let r = 0;
  let c = 0;
  for (let i = 0; i < k; i++) {
    r += reference[i]!;
    c += current[i]!;
  }
  const total = r + c;
  const dof = k - 1;
  if (dof === 0) return { statistic: 0, pValue: 1, dof };
  let stat = 0;
  for (let i = 0; i < k; i++) {
    const col = reference[i]! + current[i]!;
    const er = (r * col) / total;
    const ec = (c * col) / total;
    stat += (reference[i]! - er) ** 2 / er + (current[i]! - ec) ** 2 / ec;
  }
  return { statistic: stat, pValue: chiSquareSf(stat, dof), dof };
}
