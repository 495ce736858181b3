/**
 * Distances between two discrete distributions given as counts or shares over the same bins.
 * Jensen–Shannon is the drift checks' (one definition: scipy's jensenshannon, base 2).
 */
export { jensenShannonDistance } from "../drift/distances.js";

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
