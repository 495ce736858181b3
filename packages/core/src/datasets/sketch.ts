/**
 * A merging t-digest (Dunning's k1 scale) over finite values: centroids (mean, weight)
 * sorted by mean, each spanning at most one unit of k(q) = δ/(2π)·asin(2q − 1), so they
 * are small in the tails and at most ≈ π/δ of the data in the middle. With δ = 500 a
 * sketch holds at most δ (typically ≈ 250–320) centroids, and up to ≈ δ/π ≈ 159 values
 * every value is its own centroid, which makes small data exact. Merging two sketches
 * merges the centroid lists and compresses with the same rule: the result is a sketch of
 * the union, within the same error.
 */
export const SKETCH_COMPRESSION = 500;

export interface Sketch {
  means: number[];
  weights: number[];
}

const kOfQ = (q: number, d: number) => (d / (2 * Math.PI)) * Math.asin(2 * q - 1);
const qOfK = (k: number, d: number) => (k >= d / 4 ? 1 : (Math.sin((2 * Math.PI * k) / d) + 1) / 2);

/** O(n): the sketch of sorted finite values. */
export function sketchFromSorted(sorted: ArrayLike<number>, n = sorted.length, d = SKETCH_COMPRESSION): Sketch {
  const means: number[] = [];
  const weights: number[] = [];
  let i = 0;
  while (i < n) {
    const limit = qOfK(kOfQ(i / n, d) + 1, d) * n;
    const j = Math.min(n, Math.max(i + 1, Math.floor(limit + 1e-9)));
    let sum = 0;
    for (let k = i; k < j; k++) sum += sorted[k]!;
    means.push(clampMean(sum / (j - i), sorted[i]!, sorted[j - 1]!));
    weights.push(j - i);
    i = j;
  }
  return { means, weights };
}

// Rounding can put a mean of equal-ish values a hair outside their range.
const clampMean = (m: number, lo: number, hi: number) => Math.min(Math.max(m, lo), hi);

/** The sketch of the union of two sketches' data. */
export function mergeSketches(a: Sketch, b: Sketch, d = SKETCH_COMPRESSION): Sketch {
  const n = a.means.length + b.means.length;
  const means = new Float64Array(n);
  const weights = new Float64Array(n);
  let i = 0;
  let j = 0;
  for (let o = 0; o < n; o++) {
    if (j >= b.means.length || (i < a.means.length && a.means[i]! <= b.means[j]!)) {
      means[o] = a.means[i]!;
      weights[o] = a.weights[i++]!;
    } else {
      means[o] = b.means[j]!;
      weights[o] = b.weights[j++]!;
    }
  }
  return compress(means, weights, d);
}

function compress(means: Float64Array, weights: Float64Array, d: number): Sketch {
  let total = 0;
  for (let i = 0; i < weights.length; i++) total += weights[i]!;
  const outM: number[] = [];
  const outW: number[] = [];
  let w0 = 0; // weight before the current centroid
  let curW = 0;
  let curSum = 0;
  let lo = 0;
  let hi = 0;
  let limit = 0;
  for (let i = 0; i < means.length; i++) {
    const m = means[i]!;
    const w = weights[i]!;
    if (w === 0) continue;
    if (curW > 0 && w0 + curW + w <= limit + 1e-9) {
      curW += w;
      curSum += m * w;
      hi = m;
      continue;
    }
    if (curW > 0) {
      outM.push(clampMean(curSum / curW, lo, hi));
      outW.push(curW);
      w0 += curW;
    }
    curW = w;
    curSum = m * w;
    lo = hi = m;
    limit = qOfK(kOfQ(w0 / total, d) + 1, d) * total;
  }
  if (curW > 0) {
    outM.push(clampMean(curSum / curW, lo, hi));
    outW.push(curW);
  }
  return { means: outM, weights: outW };
}

/**
 * Piecewise-linear rank ↔ value map of a sketch: centroid i sits at the mean of the
 * 0-based ranks it covers, the minimum at rank 0 and the maximum at rank n − 1. For a
 * sketch of singletons this is exactly numpy's linear interpolation.
 */
class Knots {
  readonly ranks: number[] = [];
  readonly values: number[] = [];
  readonly n: number;

  constructor(s: Sketch, min: number, max: number) {
    let w = 0;
    for (const x of s.weights) w += x;
    this.n = w;
    let before = 0;
    for (let i = 0; i < s.means.length; i++) {
      const wi = s.weights[i]!;
      const r = before + (wi - 1) / 2;
      this.push(r, s.means[i]!);
      before += wi;
    }
    if (this.ranks.length === 0 || this.ranks[0]! > 0 || this.values[0]! > min) {
      this.ranks.unshift(0);
      this.values.unshift(min);
    }
    const last = this.ranks.length - 1;
    if (this.ranks[last]! < w - 1 || this.values[last]! < max) {
      this.ranks.push(Math.max(w - 1, this.ranks[last]!));
      this.values.push(max);
    }
  }

  private push(r: number, v: number) {
    this.ranks.push(r);
    this.values.push(v);
  }
}

/** numpy-linear quantile (rank q·(n − 1)) read from a sketch. */
export function sketchQuantile(s: Sketch, min: number, max: number, q: number): number {
  const k = new Knots(s, min, max);
  return quantileFromKnots(k, q);
}

function quantileFromKnots(k: Knots, q: number): number {
  const h = q * (k.n - 1);
  const { ranks, values } = k;
  if (h <= ranks[0]!) return values[0]!;
  for (let i = 1; i < ranks.length; i++) {
    if (h <= ranks[i]!) {
      const r0 = ranks[i - 1]!;
      const r1 = ranks[i]!;
      const v0 = values[i - 1]!;
      const v1 = values[i]!;
      return r1 === r0 ? v1 : v0 + ((h - r0) / (r1 - r0)) * (v1 - v0);
    }
  }
  return values[values.length - 1]!;
}

export function sketchQuantiles(s: Sketch, min: number, max: number, qs: readonly number[]): number[] {
  const k = new Knots(s, min, max);
  return qs.map((q) => quantileFromKnots(k, q));
}

/** Estimated number of values strictly below x (exact for a sketch of singletons). */
export function sketchCountBelow(s: Sketch, min: number, max: number, xs: readonly number[]): number[] {
  const k = new Knots(s, min, max);
  const { ranks, values } = k;
  return xs.map((x) => {
    if (x <= values[0]!) return 0;
    if (x > values[values.length - 1]!) return k.n;
    for (let i = 1; i < values.length; i++) {
      const v1 = values[i]!;
      if (x <= v1) {
        const v0 = values[i - 1]!;
        if (v0 === v1) continue;
        const r0 = ranks[i - 1]!;
        const r1 = ranks[i]!;
        // Ranks r0 (value v0 < x) and below are counted; the ranks strictly between the knots in proportion.
        return Math.min(k.n, r0 + 1 + Math.max(0, r1 - r0 - 1) * ((x - v0) / (v1 - v0)));
      }
    }
    return k.n;
  });
}
