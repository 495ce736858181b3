/**
 * Per-batch aggregation in JS (typed arrays, one pass): the summary change per series
 * and the rollup rows per level. Doing it here keeps the SQL to two bulk statements.
 */

/** Rollup bucket widths in steps; level i+1 has width ROLLUP_WIDTHS[i]. */
export const ROLLUP_WIDTHS = [64, 1024, 16384, 262144] as const;

export interface PointColumns {
  series: Int32Array;
  steps: Float64Array;
  values: Float64Array;
  ts: Float64Array;
  length: number;
}

export function newPointColumns(n: number): PointColumns {
  return { series: new Int32Array(n), steps: new Float64Array(n), values: new Float64Array(n), ts: new Float64Array(n), length: n };
}

export interface SummaryDelta {
  ids: number[];
  counts: number[];
  mins: (number | null)[];
  maxs: (number | null)[];
  lastSteps: number[];
  lastValues: number[];
  lastTs: number[];
}

export interface RollupRows {
  series: number[];
  levels: number[];
  buckets: number[];
  counts: number[];
  mins: (number | null)[];
  minSteps: (number | null)[];
  minTs: (number | null)[];
  maxs: (number | null)[];
  maxSteps: (number | null)[];
  maxTs: (number | null)[];
}

interface Acc {
  id: number;
  count: number;
  min: number;
  minStep: number;
  minTs: number;
  max: number;
  maxStep: number;
  maxTs: number;
  lastStep: number;
  lastValue: number;
  lastTs: number;
}

function newAcc(id: number): Acc {
  return { id, count: 0, min: Infinity, minStep: -1, minTs: 0, max: -Infinity, maxStep: -1, maxTs: 0, lastStep: -1, lastValue: NaN, lastTs: 0 };
}

function add(a: Acc, step: number, value: number, ts: number): void {
  a.count++;
  // NaN is excluded from min/max: one diverged step must not hide the rest of the curve.
  if (value === value) {
    if (a.minStep < 0 || value < a.min) { a.min = value; a.minStep = step; a.minTs = ts; }
    if (a.maxStep < 0 || value > a.max) { a.max = value; a.maxStep = step; a.maxTs = ts; }
  }
  if (step >= a.lastStep) { a.lastStep = step; a.lastValue = value; a.lastTs = ts; }
}

export function summarise(p: PointColumns): SummaryDelta {
  const accs = new Map<number, Acc>();
  for (let i = 0; i < p.length; i++) {
    const id = p.series[i]!;
    let a = accs.get(id);
    if (!a) accs.set(id, (a = newAcc(id)));
    add(a, p.steps[i]!, p.values[i]!, p.ts[i]!);
  }
  const sorted = [...accs.values()].sort((x, y) => x.id - y.id); // lock rows in a fixed order
  return {
    ids: sorted.map((a) => a.id),
    counts: sorted.map((a) => a.count),
    mins: sorted.map((a) => (a.minStep < 0 ? null : a.min)),
    maxs: sorted.map((a) => (a.maxStep < 0 ? null : a.max)),
    lastSteps: sorted.map((a) => a.lastStep),
    lastValues: sorted.map((a) => a.lastValue),
    lastTs: sorted.map((a) => a.lastTs),
  };
}

export function rollup(p: PointColumns): RollupRows {
  const out: RollupRows = { series: [], levels: [], buckets: [], counts: [], mins: [], minSteps: [], minTs: [], maxs: [], maxSteps: [], maxTs: [] };
  const all: Array<{ level: number; bucket: number; a: Acc }> = [];
  ROLLUP_WIDTHS.forEach((width, li) => {
    // Points of one series mostly arrive in step order, so the previous bucket is
    // usually the right one: look it up in the map only when it changes.
    const accs = new Map<number, Map<number, Acc>>();
    let lastId = -1;
    let lastBucket = -1;
    let cur: Acc | undefined;
    for (let i = 0; i < p.length; i++) {
      const id = p.series[i]!;
      const step = p.steps[i]!;
      const bucket = Math.floor(step / width);
      if (id !== lastId || bucket !== lastBucket || !cur) {
        let byBucket = accs.get(id);
        if (!byBucket) accs.set(id, (byBucket = new Map()));
        cur = byBucket.get(bucket);
        if (!cur) {
          byBucket.set(bucket, (cur = newAcc(id)));
          all.push({ level: li + 1, bucket, a: cur });
        }
        lastId = id;
        lastBucket = bucket;
      }
      add(cur, step, p.values[i]!, p.ts[i]!);
    }
  });
  all.sort((x, y) => x.a.id - y.a.id || x.level - y.level || x.bucket - y.bucket);
  for (const { level, bucket, a } of all) {
    const has = a.minStep >= 0;
    out.series.push(a.id);
    out.levels.push(level);
    out.buckets.push(bucket);
    out.counts.push(a.count);
    out.mins.push(has ? a.min : null);
    out.minSteps.push(has ? a.minStep : null);
    out.minTs.push(has ? a.minTs : null);
    out.maxs.push(has ? a.max : null);
    out.maxSteps.push(has ? a.maxStep : null);
    out.maxTs.push(has ? a.maxTs : null);
  }
  return out;
}
