import { MAX_POINTS_PER_REQUEST, type MetricPoint, type MetricValue, fromMetricNumber } from "@cairn/core";

/**
 * A batch of metric points in columns: one string slot and three doubles per point,
 * no object per point. It is what `run.log()` fills, what a metrics request sends and
 * what a spool line holds.
 */
export interface MetricBatch {
  keys: string[];
  values: Float64Array;
  steps: Float64Array;
  timestamps: Float64Array;
  length: number;
}

export function newBatch(capacity: number): MetricBatch {
  return {
    keys: [],
    values: new Float64Array(capacity),
    steps: new Float64Array(capacity),
    timestamps: new Float64Array(capacity),
    length: 0,
  };
}

/** Copies points from plain rows (used when reading the spool or in tests). */
export function batchFromPoints(points: ReadonlyArray<readonly [string, MetricValue | number, number, number]>): MetricBatch {
  const b = newBatch(points.length);
  for (const [key, value, step, ts] of points) {
    const i = b.length++;
    b.keys[i] = key;
    b.values[i] = typeof value === "number" ? value : value === "NaN" ? NaN : value === "Infinity" ? Infinity : -Infinity;
    b.steps[i] = step;
    b.timestamps[i] = ts;
  }
  return b;
}

export function batchToPoints(b: MetricBatch): MetricPoint[] {
  const out: MetricPoint[] = [];
  for (let i = 0; i < b.length; i++) {
    out.push({ key: b.keys[i]!, value: fromMetricNumber(b.values[i]!), step: b.steps[i]!, timestamp: b.timestamps[i]! });
  }
  return out;
}

/** JSON text of a number, with non-finite values as the strings the API expects. */
function jsonValue(v: number): string {
  if (Number.isFinite(v)) return String(v);
  return v !== v ? '"NaN"' : v > 0 ? '"Infinity"' : '"-Infinity"';
}

/**
 * Serialises a batch as a `LogMetrics` body in the compact `series` form (one entry per
 * key with `steps`/`values`/`timestamps` columns: each key is written once, and the body
 * is a fraction of the per-point form). Built as text, without an object per point: this
 * runs for every 10,000 points. Points of one key keep their logging order.
 */
export function batchToJson(b: MetricBatch): string {
  const byKey = new Map<string, number[]>();
  for (let i = 0; i < b.length; i++) {
    const key = b.keys[i]!;
    const idx = byKey.get(key);
    if (idx === undefined) byKey.set(key, [i]);
    else idx.push(i);
  }
  const series: string[] = [];
  for (const [key, idx] of byKey) {
    const steps = new Array<string>(idx.length);
    const values = new Array<string>(idx.length);
    const ts = new Array<string>(idx.length);
    for (let j = 0; j < idx.length; j++) {
      const i = idx[j]!;
      steps[j] = String(b.steps[i]!);
      values[j] = jsonValue(b.values[i]!);
      ts[j] = String(b.timestamps[i]!);
    }
    series.push(`{"key":${JSON.stringify(key)},"steps":[${steps.join(",")}],"values":[${values.join(",")}],"timestamps":[${ts.join(",")}]}`);
  }
  return `{"series":[${series.join(",")}]}`;
}

/** Splits a batch into batches of at most `max` points, keeping order. */
export function splitBatch(b: MetricBatch, max: number = MAX_POINTS_PER_REQUEST): MetricBatch[] {
  if (b.length <= max) return [b];
  const out: MetricBatch[] = [];
  for (let start = 0; start < b.length; start += max) {
    const end = Math.min(b.length, start + max);
    out.push({
      keys: b.keys.slice(start, end),
      values: b.values.slice(start, end),
      steps: b.steps.slice(start, end),
      timestamps: b.timestamps.slice(start, end),
      length: end - start,
    });
  }
  return out;
}
