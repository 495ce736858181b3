/**
 * A merging t-digest (Dunning's k1 scale) over finite values: centroids (mean, weight)
 * sorted by mean, each spanning at most one unit of k(q) = δ/(2π)·asin(2q − 1), so they
 * are small in the tails and at most ≈ π/δ of the data in the middle. With δ = 500 a
 * sketch holds at most δ (typically ≈ 250–320) centroids, and up to ≈ δ/π ≈ 159 values
 * every value is its own centroid, which makes small data exact. Merging two sketches
 * merges the centroid lists and compresses with the same rule: the result is a sketch of
 * the union, within the same error.
 *
 * Data with at most δ distinct values (counts, ratings, small integers) is kept exactly
 * instead: one centroid per distinct value with its count (`exact: true`). Quantiles,
 * decile shares and histograms read from it are exact, and so is a merge while the union
 * has at most δ distinct values. Ties are where sketches fail worst (a decile edge on a
 * value holding 10% of the data), so this matters more than its size suggests.
 */
export const SKETCH_COMPRESSION = 500;

export interface Sketch {
  means: number[];
  weights: number[];
  /** One centroid per distinct value with its exact count. */
  exact?: boolean;
  /** Indices of centroids (weight > 1) whose values are all equal: heavy ties kept apart. */
  singleValued?: number[];
}

/** Run-length form of sorted values when they have at most `max` distinct values. */
function runs(sorted: ArrayLike<number>, n: number, max: number): Sketch | undefined {
  const means: number[] = [];
  const weights: number[] = [];
  let i = 0;
  while (i < n) {
    if (means.length === max) return undefined;
    const v = sorted[i]!;
    let j = i + 1;
    while (j < n && sorted[j] === v) j++;
    means.push(v);
    weights.push(j - i);
    i = j;
  }
  return { means, weights, exact: true };
}

const kOfQ = (q: number, d: number) => (d / (2 * Math.PI)) * Math.asin(2 * q - 1);
const qOfK = (k: number, d: number) => (k >= d / 4 ? 1 : (Math.sin((2 * Math.PI * k) / d) + 1) / 2);
/** Largest cumulative weight a centroid starting after `before` of `total` may reach. */
const limitAfter = (before: number, total: number, d: number) => qOfK(kOfQ(before / total, d) + 1, d) * total;

// Rounding can put a mean of equal-ish values a hair outside their range.
const clampMean = (m: number, lo: number, hi: number) => Math.min(Math.max(m, lo), hi);

class SketchBuilder {
  readonly means: number[] = [];
  readonly weights: number[] = [];
  readonly single: number[] = [];

  push(mean: number, weight: number, single: boolean): void {
    if (single && weight > 1) this.single.push(this.means.length);
    this.means.push(mean);
    this.weights.push(weight);
  }

  build(): Sketch {
    return this.single.length > 0 ? { means: this.means, weights: this.weights, singleValued: this.single } : { means: this.means, weights: this.weights };
  }
}

/**
 * O(n): the sketch of sorted finite values. A run of one value that would be cut by a
 * centroid boundary starts its own centroid instead, which takes the whole run, so ties
 * stay exact in rank (what decile shares of discrete or zero-inflated data depend on).
 */
export function sketchFromSorted(sorted: ArrayLike<number>, n = sorted.length, d = SKETCH_COMPRESSION): Sketch {
  const exact = runs(sorted, n, d);
  if (exact) return exact;
  const out = new SketchBuilder();
  let i = 0;
  while (i < n) {
    const first = sorted[i]!;
    let j = Math.min(n, Math.max(i + 1, Math.floor(limitAfter(i, n, d) + 1e-9)));
    if (sorted[j - 1] === first) {
      // The centroid so far is one value: take its whole run.
      while (j < n && sorted[j] === first) j++;
    } else if (j < n && sorted[j] === sorted[j - 1]) {
      // Do not split a run: end the centroid where the run begins.
      const v = sorted[j]!;
      while (j - 1 > i && sorted[j - 1] === v) j--;
    }
    let sum = 0;
    for (let k = i; k < j; k++) sum += sorted[k]!;
    const last = sorted[j - 1]!;
    out.push(first === last ? first : clampMean(sum / (j - i), first, last), j - i, first === last);
    i = j;
  }
  return out.build();
}

const singleSet = (s: Sketch) => (s.exact ? undefined : new Set(s.singleValued ?? []));

/** The sketch of the union of two sketches' data. */
export function mergeSketches(a: Sketch, b: Sketch, d = SKETCH_COMPRESSION): Sketch {
  const n = a.means.length + b.means.length;
  const means = new Float64Array(n);
  const weights = new Float64Array(n);
  const single = new Uint8Array(n);
  const sa = singleSet(a);
  const sb = singleSet(b);
  let i = 0;
  let j = 0;
  for (let o = 0; o < n; o++) {
    if (j >= b.means.length || (i < a.means.length && a.means[i]! <= b.means[j]!)) {
      means[o] = a.means[i]!;
      single[o] = !sa || sa.has(i) || a.weights[i]! <= 1 ? 1 : 0;
      weights[o] = a.weights[i++]!;
    } else {
      means[o] = b.means[j]!;
      single[o] = !sb || sb.has(j) || b.weights[j]! <= 1 ? 1 : 0;
      weights[o] = b.weights[j++]!;
    }
  }
  if (a.exact && b.exact) {
    const exact = runs(means, n, d);
    // Equal values from both sides become one run with the summed count.
    if (exact) return sumRuns(means, weights, exact);
  }
  return compress(means, weights, single, d);
}

function sumRuns(means: Float64Array, weights: Float64Array, r: Sketch): Sketch {
  const w: number[] = [];
  let k = -1;
  for (let i = 0; i < means.length; i++) {
    if (i === 0 || means[i] !== means[i - 1]) k++;
    w[k] = (w[k] ?? 0) + weights[i]!;
  }
  return { means: r.means, weights: w, exact: true };
}

/**
 * Greedy merge under the k1 limit. Single-valued centroids merge with others of the same
 * value; one holding at least half a centroid's allowance keeps apart from other values,
 * so heavy ties survive merges (and the number of centroids stays bounded).
 */
function compress(means: Float64Array, weights: Float64Array, single: Uint8Array, d: number): Sketch {
  let total = 0;
  for (let i = 0; i < weights.length; i++) total += weights[i]!;
  const out = new SketchBuilder();
  let w0 = 0; // weight before the current centroid
  let curW = 0;
  let curSum = 0;
  let curSingle = false;
  let lo = 0;
  let hi = 0;
  let limit = 0;
  const heavy = (w: number) => w >= (limit - w0) / 2 && w > 1;
  for (let i = 0; i < means.length; i++) {
    const m = means[i]!;
    const w = weights[i]!;
    if (w === 0) continue;
    const s = single[i] === 1;
    if (curW > 0) {
      const sameValue: boolean = curSingle && s && m === lo;
      const fits = w0 + curW + w <= limit + 1e-9 && !(curSingle && heavy(curW)) && !(s && heavy(w));
      if (sameValue || fits) {
        curW += w;
        curSum += m * w;
        hi = m;
        curSingle = sameValue;
        continue;
      }
      out.push(curSingle ? lo : clampMean(curSum / curW, lo, hi), curW, curSingle);
      w0 += curW;
    }
    curW = w;
    curSum = m * w;
    curSingle = s;
    lo = hi = m;
    limit = limitAfter(w0, total, d);
  }
  if (curW > 0) out.push(curSingle ? lo : clampMean(curSum / curW, lo, hi), curW, curSingle);
  return out.build();
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
    const single = singleSet(s);
    for (let i = 0; i < s.means.length; i++) {
      const wi = s.weights[i]!;
      // A single-valued centroid covers ranks before … before + w − 1 with one value.
      if (!single || single.has(i)) {
        this.push(before, s.means[i]!);
        if (wi > 1) this.push(before + wi - 1, s.means[i]!);
      } else this.push(before + (wi - 1) / 2, s.means[i]!);
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
      if (r1 === r0) return v1;
      // numpy's _lerp (from the nearer end), so a sketch of singletons or runs gives numpy's bits.
      const t = (h - r0) / (r1 - r0);
      return t >= 0.5 ? v1 - (v1 - v0) * (1 - t) : v0 + (v1 - v0) * t;
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
