/**
 * Distances between two discrete distributions given as counts or shares over the same bins.
 * (Private to skew: the drift checks in ../drift may grow their own Jensen–Shannon; this one
 * follows scipy.spatial.distance.jensenshannon(p, q, base=2): both sides normalised to sum 1,
 * no smoothing, zero bins contribute nothing.)
 */

/** sqrt of the base-2 Jensen–Shannon divergence; in [0, 1]. NaN when a side sums to 0. */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>): number {
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) {
    sp += p[i]!;
    sq += q[i]!;
  }
  if (!(sp > 0 && sq > 0)) return Number.NaN;
  let d = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i]! / sp;
    const b = q[i]! / sq;
    const m = (a + b) / 2;
    if (a > 0) d += a * Math.log(a / m);
    if (b > 0) d += b * Math.log(b / m);
  }
  // d is twice the divergence in nats.
  return Math.sqrt(Math.max(0, d / 2 / Math.LN2));
}

/** max |p_i − q_i| after normalising each side to sum 1 (TFDV's L-infinity distance of category shares). */
export function lInfinityDistance(p: ArrayLike<number>, q: ArrayLike<number>): { distance: number; at: number } {
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) {
    sp += p[i]!;
    sq += q[i]!;
  }
  let distance = 0;
  let at = -1;
  for (let i = 0; i < p.length; i++) {
    const d = Math.abs((sp > 0 ? p[i]! / sp : 0) - (sq > 0 ? q[i]! / sq : 0));
    if (d > distance) {
      distance = d;
      at = i;
    }
  }
  return { distance, at };
}

/** Counts of finite values per decile bin: bin k holds edges[k-1] ≤ x < edges[k] (a value equal to an edge goes up). */
export function countDecileBins(values: ArrayLike<number>, n: number, edges: readonly number[], out = new Float64Array(edges.length + 1)): Float64Array {
  const e = Float64Array.from(edges);
  const m = e.length;
  for (let i = 0; i < n; i++) {
    const x = values[i]!;
    if (x - x !== 0) continue;
    // Upper bound: the number of edges ≤ x.
    let lo = 0;
    let hi = m;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (e[mid]! <= x) lo = mid + 1;
      else hi = mid;
    }
    out[lo]!++;
  }
  return out;
}
