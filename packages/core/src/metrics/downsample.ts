/**
 * Min/max downsampling: a bucket keeps its lowest and its highest point, so peaks and
 * troughs survive any zoom level (the failure of naive striding). Items are either
 * raw points (min = max) or pre-aggregated rollup buckets; both are merged here.
 */
export interface MinMaxItem {
  minStep: number;
  min: number;
  minTs: number;
  maxStep: number;
  max: number;
  maxTs: number;
}

export interface SeriesColumns {
  steps: number[];
  values: number[];
  timestamps: number[];
}

/**
 * Merges `items` (any order) into at most `maxPoints` points over the step range
 * [from, to], `maxPoints / 2` equal-width buckets each emitting its min and max point
 * in step order (one point when they coincide). NaN extremes are never produced.
 */
export function downsampleMinMax(items: ReadonlyArray<MinMaxItem>, from: number, to: number, maxPoints: number): SeriesColumns {
  const buckets = Math.max(1, Math.floor(maxPoints / 2));
  const width = Math.max(1, Math.ceil((to - from + 1) / buckets));
  const best: Array<MinMaxItem | undefined> = new Array(buckets);
  for (const it of items) {
    if (!(it.min === it.min) || !(it.max === it.max)) continue;
    const b = Math.min(buckets - 1, Math.max(0, Math.floor((it.minStep - from) / width)));
    const cur = best[b];
    if (!cur) {
      best[b] = { ...it };
      continue;
    }
    if (it.min < cur.min || (it.min === cur.min && it.minStep < cur.minStep)) {
      cur.min = it.min; cur.minStep = it.minStep; cur.minTs = it.minTs;
    }
    if (it.max > cur.max || (it.max === cur.max && it.maxStep < cur.maxStep)) {
      cur.max = it.max; cur.maxStep = it.maxStep; cur.maxTs = it.maxTs;
    }
  }
  const out: SeriesColumns = { steps: [], values: [], timestamps: [] };
  for (const b of best) {
    if (!b) continue;
    const first = b.minStep <= b.maxStep ? "min" : "max";
    const emit = (which: "min" | "max") => {
      out.steps.push(which === "min" ? b.minStep : b.maxStep);
      out.values.push(which === "min" ? b.min : b.max);
      out.timestamps.push(which === "min" ? b.minTs : b.maxTs);
    };
    emit(first);
    if (b.minStep !== b.maxStep) emit(first === "min" ? "max" : "min");
  }
  // A rollup bucket's extremes may straddle a merge-bucket edge: restore step order.
  for (let i = 1; i < out.steps.length; i++) {
    if (out.steps[i]! <= out.steps[i - 1]!) return sortedUnique(out);
  }
  return out;
}

function sortedUnique(c: SeriesColumns): SeriesColumns {
  const order = c.steps.map((_, i) => i).sort((a, b) => c.steps[a]! - c.steps[b]!);
  const out: SeriesColumns = { steps: [], values: [], timestamps: [] };
  for (const i of order) {
    if (out.steps.length > 0 && out.steps[out.steps.length - 1] === c.steps[i]) continue;
    out.steps.push(c.steps[i]!);
    out.values.push(c.values[i]!);
    out.timestamps.push(c.timestamps[i]!);
  }
  return out;
}

/** `MinMaxItem`s as columns (item i is entry i of each array): no object per item. */
export interface MinMaxColumns {
  length: number;
  minStep: ArrayLike<number>;
  min: ArrayLike<number>;
  minTs: ArrayLike<number>;
  maxStep: ArrayLike<number>;
  max: ArrayLike<number>;
  maxTs: ArrayLike<number>;
}

/**
 * `downsampleMinMax` over columns, with its per-bucket state in typed arrays: the same
 * points in the same order (tested against it), without an object per item or bucket. A
 * page of charts merges tens of thousands of rollup rows per request through this.
 */
export function downsampleMinMaxColumns(items: MinMaxColumns, from: number, to: number, maxPoints: number): SeriesColumns {
  const buckets = Math.max(1, Math.floor(maxPoints / 2));
  const width = Math.max(1, Math.ceil((to - from + 1) / buckets));
  const has = new Uint8Array(buckets);
  const bMin = new Float64Array(buckets);
  const bMinStep = new Float64Array(buckets);
  const bMinTs = new Float64Array(buckets);
  const bMax = new Float64Array(buckets);
  const bMaxStep = new Float64Array(buckets);
  const bMaxTs = new Float64Array(buckets);
  const { minStep, min, minTs, maxStep, max, maxTs } = items;
  for (let i = 0; i < items.length; i++) {
    const lo = min[i]!;
    const hi = max[i]!;
    if (lo !== lo || hi !== hi) continue;
    const ls = minStep[i]!;
    const hs = maxStep[i]!;
    const b = Math.min(buckets - 1, Math.max(0, Math.floor((ls - from) / width)));
    if (has[b] === 0) {
      has[b] = 1;
      bMin[b] = lo; bMinStep[b] = ls; bMinTs[b] = minTs[i]!;
      bMax[b] = hi; bMaxStep[b] = hs; bMaxTs[b] = maxTs[i]!;
      continue;
    }
    if (lo < bMin[b]! || (lo === bMin[b] && ls < bMinStep[b]!)) {
      bMin[b] = lo; bMinStep[b] = ls; bMinTs[b] = minTs[i]!;
    }
    if (hi > bMax[b]! || (hi === bMax[b] && hs < bMaxStep[b]!)) {
      bMax[b] = hi; bMaxStep[b] = hs; bMaxTs[b] = maxTs[i]!;
    }
  }
  const out: SeriesColumns = { steps: [], values: [], timestamps: [] };
  let ordered = true;
  let prev = Number.NEGATIVE_INFINITY;
  const emit = (step: number, value: number, ts: number) => {
    if (step <= prev) ordered = false;
    prev = step;
    out.steps.push(step);
    out.values.push(value);
    out.timestamps.push(ts);
  };
  for (let b = 0; b < buckets; b++) {
    if (has[b] === 0) continue;
    const minFirst = bMinStep[b]! <= bMaxStep[b]!;
    if (minFirst) emit(bMinStep[b]!, bMin[b]!, bMinTs[b]!);
    else emit(bMaxStep[b]!, bMax[b]!, bMaxTs[b]!);
    if (bMinStep[b] !== bMaxStep[b]) {
      if (minFirst) emit(bMaxStep[b]!, bMax[b]!, bMaxTs[b]!);
      else emit(bMinStep[b]!, bMin[b]!, bMinTs[b]!);
    }
  }
  // A rollup bucket's extremes may straddle a merge-bucket edge: restore step order.
  return ordered ? out : sortedUnique(out);
}
