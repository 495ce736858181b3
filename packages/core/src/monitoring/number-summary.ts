import { mergeSketches, type Sketch, sketchFromSorted, sketchQuantile } from "../datasets/sketch.js";
import { sortFloat64 } from "../datasets/sort.js";

/** Count, sum, extremes and a mergeable quantile sketch of finite numbers (latency, score, numeric outputs). */
export interface NumberSummary {
  count: number;
  sum: number;
  min: number;
  max: number;
  sketch: Sketch;
}

/** The summary of finite values (others are ignored); null when there are none. */
export function summariseNumbers(values: readonly number[]): NumberSummary | null {
  const finite = new Float64Array(values.length);
  let n = 0;
  let sum = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    finite[n++] = v;
    sum += v;
  }
  if (n === 0) return null;
  const sorted = sortFloat64(finite.subarray(0, n));
  return { count: n, sum, min: sorted[0]!, max: sorted[n - 1]!, sketch: sketchFromSorted(sorted, n) };
}

export function mergeNumberSummaries(a: NumberSummary | null, b: NumberSummary | null): NumberSummary | null {
  if (!a) return b;
  if (!b) return a;
  return { count: a.count + b.count, sum: a.sum + b.sum, min: Math.min(a.min, b.min), max: Math.max(a.max, b.max), sketch: mergeSketches(a.sketch, b.sketch) };
}

export function numberQuantile(s: NumberSummary | null, q: number): number | null {
  return s ? sketchQuantile(s.sketch, s.min, s.max, q) : null;
}
