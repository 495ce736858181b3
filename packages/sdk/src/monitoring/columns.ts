import { type Features, isJsonbSafeText, MAX_EPOCH_MS, type PredictionOutput } from "@cairn/core";
import type { PredictionInput } from "./types.js";
import { BodyWriter, base64Length } from "./body-writer.js";
import { ID_CHARS, type UuidV7Source } from "./uuid.js";

/**
 * One batch of a monitor's predictions, built column by column as they are logged, in the
 * layout of the columnar wire form (`LogPredictionsColumnar`, core's prediction-columns.ts):
 * ids as ASCII bytes, timestamp/score/latency/output and the numeric features in float64
 * columns. Nothing per row outlives `logPrediction()` except these typed arrays (which are
 * reused batch after batch), so the garbage collector has nothing to trace or promote, and
 * encoding a batch is a few block copies, one base64 pass and string joins — no per-row work
 * for rows of numbers. Features that do not fit the columns (strings, booleans, names the
 * batch's first row lacked) are copied into small objects sent as JSON (`extra` / `own`).
 */

const MAX_STRING = 10_000;
const MAX_NAME = 1_000;
/** Bits of `present`: which optional number columns some row of the batch has. */
const TIMESTAMP = 1;
const SCORE = 2;
const LATENCY = 4;
/** Feature columns the wire form takes (more numeric features go as JSON). */
const MAX_COLUMNS = 10_000;
/** Wire bytes of one float64 in base64. */
const B64_PER_NUMBER = 32 / 3;

export const FEATURES_PROBLEM = "features must be a flat object of scalars (numbers, strings up to 10,000 characters without NUL, booleans, null)";
export const OUTPUT_PROBLEM = "output must be a scalar or a flat object of scalars";
export const SCORE_PROBLEM = "score must be a finite number";
export const LATENCY_PROBLEM = "latencyMs must be a finite number >= 0";
export const TIMESTAMP_PROBLEM = "timestamp must be milliseconds since the epoch";

/** Feature names seen valid: the same few names come back in every row. Bounded. */
const goodNames = new Set<string>();
function goodName(k: string): boolean {
  if (goodNames.has(k)) return true;
  if (k.length === 0 || k.length > MAX_NAME || !isJsonbSafeText(k)) return false;
  if (goodNames.size >= 10_000) goodNames.clear();
  goodNames.add(k);
  return true;
}

const goodText = (s: string): boolean => s.length <= MAX_STRING && isJsonbSafeText(s);

/** `o[k] = v`, also for a key named `__proto__` (which plain assignment would take as the prototype). */
function setKey(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === "__proto__") Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/** Rough JSON size of a scalar (only decides when a batch is big enough to seal; bodies are measured exactly when encoded). */
const scalarBytes = (v: unknown): number => (typeof v === "string" ? v.length + 3 : 24);

/** A copy of a flat object of scalars, or undefined when it is not one. */
function flatCopy(o: object): { copy: Features; bytes: number } | undefined {
  if (Array.isArray(o)) return undefined;
  const copy: Features = {};
  let bytes = 2;
  for (const k in o) {
    const v = (o as Record<string, unknown>)[k];
    if (!goodName(k) || !isScalar(v)) return undefined;
    setKey(copy, k, v);
    bytes += k.length + 4 + scalarBytes(v);
  }
  return { copy, bytes };
}

function isScalar(v: unknown): boolean {
  if (v === null) return true;
  const t = typeof v;
  return t === "number" || t === "boolean" || (t === "string" && goodText(v as string));
}

export class PredictionColumns {
  /** Rows in the batch. */
  n = 0;
  /** Why the last `add()` refused its row (nothing was added), else undefined. */
  problem: string | undefined;
  private cap: number;
  private ids: Uint8Array;
  private timestamps: Float64Array;
  private scores: Float64Array;
  private latencies: Float64Array;
  private outNumbers: Float64Array;
  /** Outputs as JSON values, once one is not a number (earlier numbers copied in). */
  private outputs: PredictionOutput[] | undefined;
  private present = 0;
  /** The feature columns: the numeric features of the batch's first row (kept for the next batch when its first row has the same). */
  private names: string[] = [];
  private index = new Map<string, number>();
  /** Columns of this batch; -1 until its first row. */
  private m = -1;
  /** Row-major: row i's columns at [i·m, (i+1)·m). */
  private features = new Float64Array(0);
  /** The number block of the last body encoded (reused). */
  private block = new Float64Array(0);
  private extra: Array<[number, Features]> = [];
  private own: Array<[number, Features]> = [];
  /** Estimated JSON text of `extra`, `own` and non-numeric outputs. */
  private text = 0;

  constructor(private readonly maxRows: number) {
    this.cap = Math.min(maxRows, 256);
    this.ids = new Uint8Array(this.cap * ID_CHARS);
    this.timestamps = new Float64Array(this.cap);
    this.scores = new Float64Array(this.cap);
    this.latencies = new Float64Array(this.cap);
    this.outNumbers = new Float64Array(this.cap);
  }

  /** Estimated size of the batch's request body (bytes). */
  get bytes(): number {
    const perRow = 3 + 1 + Math.max(this.m, 0);
    return 400 + this.n * (ID_CHARS + perRow * B64_PER_NUMBER) + this.text;
  }

  /**
   * Adds a prediction and returns its id (`p.id`, already checked by the caller, or a new
   * one). When the server would refuse the row, nothing is added and `problem` says why.
   * May throw only if reading the caller's objects throws (a getter).
   */
  add(p: PredictionInput, source: UuidV7Source): string {
    const i = this.n;
    if (i === this.cap) this.grow();
    const given = p.id;
    let id: string;
    if (given === undefined) id = source.into(this.ids, i * ID_CHARS);
    else {
      id = given;
      const o = i * ID_CHARS;
      for (let k = 0; k < ID_CHARS; k++) this.ids[o + k] = given.charCodeAt(k);
    }
    // Scalars first: a refused row must leave nothing behind.
    const { score, latencyMs, timestamp } = p;
    if (score !== undefined && !(typeof score === "number" && Number.isFinite(score))) return this.refuse(id, SCORE_PROBLEM);
    if (latencyMs !== undefined && !(typeof latencyMs === "number" && Number.isFinite(latencyMs) && latencyMs >= 0)) return this.refuse(id, LATENCY_PROBLEM);
    let ts = Number.NaN;
    if (timestamp !== undefined) {
      ts = typeof timestamp === "number" ? Math.round(timestamp) : Number.NaN; // the API takes whole milliseconds
      if (!(ts >= 0 && ts <= MAX_EPOCH_MS)) return this.refuse(id, TIMESTAMP_PROBLEM);
    }
    const o = p.output;
    let outJson: PredictionOutput | undefined;
    let outBytes = 0;
    if (typeof o !== "number") {
      if (o === null || typeof o === "boolean") outJson = o;
      else if (typeof o === "string") {
        if (!goodText(o)) return this.refuse(id, OUTPUT_PROBLEM);
        outJson = o;
        outBytes = o.length + 3;
      } else if (typeof o === "object") {
        const c = flatCopy(o);
        if (c === undefined) return this.refuse(id, OUTPUT_PROBLEM);
        outJson = c.copy;
        outBytes = c.bytes;
      } else return this.refuse(id, OUTPUT_PROBLEM);
    }
    const f = p.features as unknown;
    if (f === null || typeof f !== "object" || Array.isArray(f)) return this.refuse(id, FEATURES_PROBLEM);
    if (this.m < 0) this.layout(f as Record<string, unknown>);
    // Numbers (and nulls: NaN, which arrives as null) of the column names go straight into the row's slots.
    const m = this.m;
    const names = this.names;
    const cols = this.features;
    const base = i * m;
    let matched = 0;
    let position = 0;
    let rest: Features | undefined;
    let restBytes = 0;
    for (const k in f) {
      const v = (f as Record<string, unknown>)[k];
      // Rows of one service nearly always list the same names in the same order.
      const c = position < m && names[position] === k ? position : m > 0 ? this.index.get(k) : undefined;
      position++;
      if (c !== undefined) {
        if (typeof v === "number") {
          cols[base + c] = v;
          matched++;
          continue;
        }
        if (v === null) {
          cols[base + c] = Number.NaN;
          matched++;
          continue;
        }
      }
      if (!goodName(k) || !isScalar(v)) return this.refuse(id, FEATURES_PROBLEM);
      rest ??= {};
      setKey(rest, k, v);
      restBytes += k.length + 4 + scalarBytes(v);
    }
    // Accepted: commit the row.
    if (matched === m) {
      if (rest !== undefined) {
        this.extra.push([i, rest]);
        this.text += restBytes + 12;
      }
    } else {
      // Not every column present (as a number or null): the row's features go whole as JSON.
      const whole = flatCopy(f) as { copy: Features; bytes: number };
      this.own.push([i, whole.copy]);
      this.text += whole.bytes + 12;
      cols.fill(Number.NaN, base, base + m);
    }
    if (outJson === undefined) {
      if (this.outputs === undefined) this.outNumbers[i] = o as number;
      else {
        this.outputs[i] = o as number;
        this.text += 24;
      }
    } else {
      if (this.outputs === undefined) {
        // The first output that is not a number: the outputs so far move to a JSON array.
        const all = new Array<PredictionOutput>(i);
        for (let j = 0; j < i; j++) all[j] = this.outNumbers[j]!;
        this.outputs = all;
        this.text += 24 * i;
      }
      this.outputs[i] = outJson;
      this.text += outBytes + 1;
    }
    this.timestamps[i] = ts;
    this.scores[i] = score === undefined ? Number.NaN : score;
    this.latencies[i] = latencyMs === undefined ? Number.NaN : latencyMs;
    this.present |= (timestamp === undefined ? 0 : TIMESTAMP) | (score === undefined ? 0 : SCORE) | (latencyMs === undefined ? 0 : LATENCY);
    this.n = i + 1;
    return id;
  }

  /**
   * Rows [from, to) as a `LogPredictionsColumnar` JSON body: block copies, base64, string
   * joins; JSON.stringify only for what is not a number column.
   */
  encode(model: string, version: number, from = 0, to = this.n): string {
    const k = to - from;
    const m = Math.max(this.m, 0);
    // Only the optional columns some row has (the wire's `present`): fewer bytes to encode and send.
    const present: string[] = [];
    const sources: Float64Array[] = [];
    const add = (bit: number, column: string, values: Float64Array) => {
      if (!(this.present & bit)) return;
      present.push(column);
      sources.push(values);
    };
    add(TIMESTAMP, "timestamp", this.timestamps);
    add(SCORE, "score", this.scores);
    add(LATENCY, "latencyMs", this.latencies);
    const numericOutputs = this.outputs === undefined;
    if (numericOutputs) sources.push(this.outNumbers);
    // The number block, in a reused array: [each optional column, outputs] × k, then the features row by row.
    const size = k * (sources.length + m);
    if (this.block.length < size) this.block = new Float64Array(Math.max(size, Math.min(this.cap, this.block.length * 2) * (sources.length + m)));
    const values = this.block.subarray(0, size);
    let at = 0;
    for (const s of sources) {
      values.set(s.subarray(from, to), at);
      at += k;
    }
    if (m > 0) values.set(this.features.subarray(from * m, to * m), at);
    const head = `{"columns":{"model":${JSON.stringify(model)},"version":${version},"count":${k},"ids":"`;
    const outputs = numericOutputs ? '"numbers"' : JSON.stringify((this.outputs as PredictionOutput[]).slice(from, to));
    const mid = `","present":${JSON.stringify(present)},"outputs":${outputs},"features":${JSON.stringify(this.names)},"numbers":"`;
    const tail = `"},"extra":${rowsJson(this.extra, from, to)},"own":${rowsJson(this.own, from, to)}}`;
    const ids = this.ids.subarray(from * ID_CHARS, to * ID_CHARS);
    const bytes = littleEndianBytes(values);
    const w = new BodyWriter(BodyWriter.bound(head) + ids.length + BodyWriter.bound(mid) + base64Length(bytes.length) + BodyWriter.bound(tail));
    return w.text(head).bytes(ids).text(mid).base64(bytes).text(tail).toString();
  }

  /** Empties the batch for reuse (its arrays, and its columns for a next batch of the same shape, are kept). */
  reset(): void {
    this.n = 0;
    this.m = -1;
    this.present = 0;
    this.outputs = undefined;
    this.extra = [];
    this.own = [];
    this.text = 0;
    this.problem = undefined;
  }

  private refuse(id: string, why: string): string {
    this.problem = why;
    return id;
  }

  /** The batch's columns: the first row's numeric features (the previous batch's when the same). */
  private layout(f: Record<string, unknown>): void {
    const names: string[] = [];
    for (const k in f) if (typeof f[k] === "number" && goodName(k) && names.length < MAX_COLUMNS) names.push(k);
    const same = names.length === this.names.length && names.every((k, c) => this.names[c] === k);
    if (!same) {
      this.names = names;
      this.index = new Map(names.map((k, c) => [k, c]));
    }
    this.m = names.length;
    if (this.features.length < this.cap * this.m) this.features = new Float64Array(this.cap * this.m);
  }

  private grow(): void {
    const cap = Math.min(this.maxRows, this.cap * 2);
    // A monitor seals at maxRows; past it (never expected) the arrays still grow rather than lose a row.
    this.cap = cap > this.cap ? cap : this.cap * 2;
    const n = this.n;
    const copy = <T extends Uint8Array | Float64Array>(a: T, make: (size: number) => T, per = 1): T => {
      const b = make(this.cap * per);
      b.set(a.subarray(0, n * per));
      return b;
    };
    this.ids = copy(this.ids, (s) => new Uint8Array(s), ID_CHARS);
    this.timestamps = copy(this.timestamps, (s) => new Float64Array(s));
    this.scores = copy(this.scores, (s) => new Float64Array(s));
    this.latencies = copy(this.latencies, (s) => new Float64Array(s));
    this.outNumbers = copy(this.outNumbers, (s) => new Float64Array(s));
    if (this.m > 0) this.features = copy(this.features, (s) => new Float64Array(s), this.m);
  }
}

/** `[[row, features]…]` of the rows in [from, to), renumbered from `from`. */
function rowsJson(list: Array<[number, Features]>, from: number, to: number): string {
  if (list.length === 0) return "[]";
  if (from === 0 && list[list.length - 1]![0] < to) return JSON.stringify(list);
  const part: Array<[number, Features]> = [];
  for (const [i, f] of list) if (i >= from && i < to) part.push([i - from, f]);
  return JSON.stringify(part);
}

const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

/** The wire's little-endian float64 bytes of `values` (a view of them on a little-endian machine). */
function littleEndianBytes(values: Float64Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const bytes = new Uint8Array(values.byteLength);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i]!, true);
  return bytes;
}
