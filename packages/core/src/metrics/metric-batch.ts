import { type FieldError, formatPath } from "../schemas/errors.js";
import { KEY_PATTERN, MAX_KEY_LENGTH } from "../schemas/common.js";
import { MAX_POINTS_PER_REQUEST, MAX_STEP } from "../schemas/metrics.js";

/**
 * The hot-path parser for metric batches: checks a parsed JSON body against the
 * `LogMetrics` contract (both the `points` and the `series` shapes) and returns the
 * points in columns, without allocating per point. It accepts exactly what the zod
 * schema accepts (a property test holds the two together) at ~20x the speed.
 */
export interface MetricColumns {
  /** Distinct keys of the batch. */
  keys: string[];
  /** Per point: index into `keys`. */
  keyIndex: Int32Array;
  steps: Float64Array;
  values: Float64Array;
  /** NaN where the client sent no timestamp. */
  timestamps: Float64Array;
  length: number;
}

export type MetricBatchResult = { ok: true; columns: MetricColumns } | { ok: false; errors: FieldError[] };

const MAX_ERRORS = 100;
const MAX_TS = 8.64e15;

class Errors {
  list: FieldError[] = [];
  add(path: ReadonlyArray<PropertyKey>, message: string): void {
    if (this.list.length < MAX_ERRORS) this.list.push({ path: formatPath(path) || "(root)", message });
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function metricNumber(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (v === "NaN") return NaN;
  if (v === "Infinity") return Infinity;
  if (v === "-Infinity") return -Infinity;
  return undefined;
}

function stepProblem(v: unknown): string | undefined {
  if (typeof v !== "number" || !Number.isFinite(v)) return "must be a number";
  if (!Number.isInteger(v)) return "must be an integer";
  if (v < 0) return "must be >= 0";
  if (v > MAX_STEP) return `must be <= ${MAX_STEP}`;
  return undefined;
}

function timestampProblem(v: unknown): string | undefined {
  if (typeof v !== "number" || !Number.isFinite(v)) return "must be a number";
  if (!Number.isInteger(v)) return "must be an integer";
  if (v < 0 || v > MAX_TS) return `must be between 0 and ${MAX_TS}`;
  return undefined;
}

function keyProblem(k: unknown): string | undefined {
  if (typeof k !== "string") return "must be a string";
  if (k.length === 0) return "must not be empty";
  if (k.length > MAX_KEY_LENGTH) return `must be at most ${MAX_KEY_LENGTH} characters`;
  if (!KEY_PATTERN.test(k)) return "may contain only letters, digits, spaces and _ - . / :";
  return undefined;
}

function allocate(n: number): MetricColumns {
  return { keys: [], keyIndex: new Int32Array(n), steps: new Float64Array(n), values: new Float64Array(n), timestamps: new Float64Array(n), length: n };
}

function parsePoints(points: unknown, e: Errors): MetricColumns | undefined {
  if (!Array.isArray(points)) return void e.add(["points"], "must be an array");
  if (points.length === 0) return void e.add(["points"], "must hold at least one point");
  if (points.length > MAX_POINTS_PER_REQUEST) return void e.add(["points"], `must hold at most ${MAX_POINTS_PER_REQUEST} points`);
  const out = allocate(points.length);
  const keyIds = new Map<string, number>();
  for (let i = 0; i < points.length; i++) {
    const p = points[i];
    if (!isObject(p)) {
      e.add(["points", i], "must be an object");
      continue;
    }
    let n = 0;
    for (const f in p) {
      n++;
      if (f !== "key" && f !== "value" && f !== "step" && f !== "timestamp") e.add(["points", i, f], "unknown field");
    }
    const key = p.key;
    let id = typeof key === "string" ? keyIds.get(key) : undefined;
    if (id === undefined) {
      const problem = keyProblem(key);
      if (problem) e.add(["points", i, "key"], problem);
      else {
        id = out.keys.length;
        out.keys.push(key as string);
        keyIds.set(key as string, id);
      }
    }
    out.keyIndex[i] = id ?? 0;
    const value = metricNumber(p.value);
    if (value === undefined) e.add(["points", i, "value"], 'must be a finite number or one of "NaN", "Infinity", "-Infinity"');
    else out.values[i] = value;
    const sp = stepProblem(p.step);
    if (sp) e.add(["points", i, "step"], sp);
    else out.steps[i] = p.step as number;
    if (p.timestamp === undefined) out.timestamps[i] = NaN;
    else {
      const tp = timestampProblem(p.timestamp);
      if (tp) e.add(["points", i, "timestamp"], tp);
      else out.timestamps[i] = p.timestamp as number;
    }
    if (n === 0) e.add(["points", i], "must not be empty");
  }
  return out;
}

function parseSeries(series: unknown, e: Errors): MetricColumns | undefined {
  if (!Array.isArray(series)) return void e.add(["series"], "must be an array");
  if (series.length === 0) return void e.add(["series"], "must hold at least one series");
  let total = 0;
  for (const s of series) if (isObject(s) && Array.isArray(s.steps)) total += s.steps.length;
  if (total > MAX_POINTS_PER_REQUEST) return void e.add(["series"], `must hold at most ${MAX_POINTS_PER_REQUEST} points in all`);
  const out = allocate(total);
  const keyIds = new Map<string, number>();
  let at = 0;
  for (let si = 0; si < series.length; si++) {
    const s = series[si];
    if (!isObject(s)) {
      e.add(["series", si], "must be an object");
      continue;
    }
    for (const f in s) if (f !== "key" && f !== "steps" && f !== "values" && f !== "timestamps") e.add(["series", si, f], "unknown field");
    const kp = keyProblem(s.key);
    let id = 0;
    if (kp) e.add(["series", si, "key"], kp);
    else {
      const known = keyIds.get(s.key as string);
      if (known === undefined) {
        id = out.keys.length;
        out.keys.push(s.key as string);
        keyIds.set(s.key as string, id);
      } else id = known;
    }
    const { steps, values, timestamps } = s;
    if (!Array.isArray(steps)) {
      e.add(["series", si, "steps"], "must be an array");
      continue;
    }
    if (steps.length === 0) e.add(["series", si, "steps"], "must hold at least one step");
    if (!Array.isArray(values)) e.add(["series", si, "values"], "must be an array");
    else if (values.length !== steps.length) e.add(["series", si, "values"], `must have as many entries as steps (${steps.length})`);
    if (timestamps !== undefined && !Array.isArray(timestamps)) e.add(["series", si, "timestamps"], "must be an array");
    else if (Array.isArray(timestamps) && timestamps.length !== steps.length) e.add(["series", si, "timestamps"], `must have as many entries as steps (${steps.length})`);
    for (let j = 0; j < steps.length; j++, at++) {
      out.keyIndex[at] = id;
      const sp = stepProblem(steps[j]);
      if (sp) e.add(["series", si, "steps", j], sp);
      else out.steps[at] = steps[j] as number;
      if (Array.isArray(values) && j < values.length) {
        const v = metricNumber(values[j]);
        if (v === undefined) e.add(["series", si, "values", j], 'must be a finite number or one of "NaN", "Infinity", "-Infinity"');
        else out.values[at] = v;
      }
      if (Array.isArray(timestamps) && j < timestamps.length) {
        const tp = timestampProblem(timestamps[j]);
        if (tp) e.add(["series", si, "timestamps", j], tp);
        else out.timestamps[at] = timestamps[j] as number;
      } else out.timestamps[at] = NaN;
    }
  }
  return out;
}

export function parseMetricBatch(body: unknown): MetricBatchResult {
  const e = new Errors();
  let columns: MetricColumns | undefined;
  if (!isObject(body)) e.add([], "must be an object with `points` or `series`");
  else if ("points" in body && "series" in body) e.add([], "must hold either `points` or `series`, not both");
  else if ("series" in body) {
    for (const f in body) if (f !== "series") e.add([f], "unknown field");
    columns = parseSeries(body.series, e);
  } else {
    for (const f in body) if (f !== "points") e.add([f], "unknown field");
    columns = parsePoints(body.points, e);
  }
  if (e.list.length > 0 || !columns) return { ok: false, errors: e.list.length ? e.list : [{ path: "(root)", message: "invalid batch" }] };
  return { ok: true, columns };
}
