import { isUuidV7 } from "../ids.js";
import { MAX_EPOCH_MS } from "../schemas/common.js";
import type { FieldError } from "../schemas/errors.js";
import { type Features, isJsonbSafeText, MAX_PREDICTIONS_PER_BATCH, type PredictionIn, type PredictionOutput } from "../schemas/monitoring.js";

/**
 * The columnar form of a prediction batch (`LogPredictionsColumnar`): what the SDK sends.
 * Turning 10 doubles into JSON text costs more than everything else a serving process does
 * per prediction, so the numbers of a batch travel as one base64 block of little-endian
 * float64s: per row, the timestamp, score and latency (NaN = absent) and, when every
 * output is a number, the output; then the numeric features named in `features`, row by
 * row. Anything else goes as JSON: a row's features that are not columns (`extra`, merged
 * into the row), rows whose features do not fit the columns at all (`own`, replacing them),
 * and outputs that are not all numbers (`outputs` as an array). Non-finite feature and output
 * numbers arrive as null, as JSON.stringify makes them in the row form.
 *
 *   {"columns":{"model","version","count","ids" (count × 36 characters),"present" (per-row
 *    number columns, in block order),"outputs": "numbers" | [output…],"features": [name…],
 *    "numbers": base64},"extra":[[row, {name: value}]…],"own":[[row, {name: value}]…]}
 */
export const COLUMNAR_PRESENT = ["timestamp", "score", "latencyMs"] as const;
type PresentColumn = (typeof COLUMNAR_PRESENT)[number];

/** What the encoder reads of a prediction (the SDK's row, or a `PredictionIn`). */
export interface ColumnarRowInput {
  id: string;
  timestamp?: number | undefined;
  features: Features;
  output: PredictionOutput;
  score?: number | undefined;
  latencyMs?: number | undefined;
}

const MAX_COLUMNS = 10_000;
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

type NodeBuffer = { from(a: ArrayBuffer | string, b?: number | string, c?: number): Uint8Array & { toString(enc: string): string } };
const NodeBuf = (globalThis as { Buffer?: NodeBuffer }).Buffer;

function toBase64(bytes: Uint8Array): string {
  if (NodeBuf) return NodeBuf.from(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength).toString("base64");
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

function fromBase64(text: string): Uint8Array {
  if (NodeBuf) return NodeBuf.from(text, "base64");
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Float64s of a little-endian block (copied when unaligned or on a big-endian machine). */
function float64s(bytes: Uint8Array): Float64Array {
  const n = bytes.length >> 3;
  if (LITTLE_ENDIAN) return bytes.byteOffset % 8 === 0 ? new Float64Array(bytes.buffer, bytes.byteOffset, n) : new Float64Array(bytes.slice().buffer, 0, n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}

function block(values: Float64Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.length * 8);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i]!, true);
  return out;
}

const optional = (v: number | undefined) => (v === undefined ? Number.NaN : v);

/** `o[k] = v`, also for a key named `__proto__` (which plain assignment would take as the prototype). */
function setKey(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === "__proto__") Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/**
 * Encodes rows of one model version as a `LogPredictionsColumnar` JSON body. The rows must
 * already be valid (the SDK checks them first); ids must be 36-character UUIDs. The numeric
 * features of the first row are the columns; a row with all of them as numbers writes them
 * there (its other features go to `extra`), any other row goes whole to `own`.
 */
export function encodePredictionColumns(model: string, version: number, rows: readonly ColumnarRowInput[]): string {
  const n = rows.length;
  const names: string[] = [];
  const first = rows[0]?.features;
  if (first) for (const k in first) if (typeof first[k] === "number") names.push(k);
  const m = names.length;
  const index = new Map<string, number>();
  for (let c = 0; c < m; c++) index.set(names[c]!, c);
  const P = COLUMNAR_PRESENT.length;
  // Block: [timestamp, score, latency] × n, outputs × n, features n × m.
  const values = new Float64Array(n * (P + 1 + m));
  const outAt = n * P;
  const featAt = outAt + n;
  const ids = new Array<string>(n);
  let outputs: PredictionOutput[] | undefined;
  const extra: Array<[number, Features]> = [];
  const own: Array<[number, Features]> = [];
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    ids[i] = r.id;
    values[i] = optional(r.timestamp);
    values[n + i] = optional(r.score);
    values[2 * n + i] = optional(r.latencyMs);
    const o = r.output;
    if (outputs === undefined && typeof o === "number") values[outAt + i] = o;
    else {
      if (outputs === undefined) {
        // The first output that is not a number: the outputs so far move to a JSON array.
        outputs = new Array<PredictionOutput>(n);
        for (let j = 0; j < i; j++) outputs[j] = values[outAt + j]!;
      }
      outputs[i] = o;
    }
    const f = r.features;
    const base = featAt + i * m;
    let matched = 0;
    let position = 0;
    let rest: Features | undefined;
    for (const k in f) {
      const v = f[k];
      // Rows of one service nearly always list the same names in the same order.
      const c = position < m && names[position] === k ? position : index.get(k);
      position++;
      if (c !== undefined && typeof v === "number") {
        values[base + c] = v;
        matched++;
      } else {
        rest ??= {};
        setKey(rest, k, v);
      }
    }
    if (matched === m) {
      if (rest) extra.push([i, rest]);
    } else own.push([i, f]);
  }
  const numbers = toBase64(block(outputs === undefined ? values : packWithoutOutputs(values, outAt, featAt)));
  return `{"columns":{"model":${JSON.stringify(model)},"version":${version},"count":${n},"ids":${JSON.stringify(ids.join(""))},"present":${JSON.stringify(COLUMNAR_PRESENT)},"outputs":${outputs === undefined ? '"numbers"' : JSON.stringify(outputs)},"features":${JSON.stringify(names)},"numbers":"${numbers}"},"extra":${JSON.stringify(extra)},"own":${JSON.stringify(own)}}`;
}

/** The block without its outputs (they went as JSON). */
function packWithoutOutputs(values: Float64Array, outAt: number, featAt: number): Float64Array {
  const out = new Float64Array(values.length - (featAt - outAt));
  out.set(values.subarray(0, outAt), 0);
  out.set(values.subarray(featAt), outAt);
  return out;
}

// ---- decoding (the server's hot path) ----

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isText = (v: unknown, max: number, min: number): v is string => typeof v === "string" && v.length >= min && v.length <= max && isJsonbSafeText(v);
const isScalar = (v: unknown) => v === null || (typeof v === "number" && Number.isFinite(v)) || typeof v === "boolean" || isText(v, 10_000, 0);
const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);

/** The first key of a flat object of scalars that is not one (a bad name or value), or undefined when all are fine. */
function badScalarKey(o: Record<string, unknown>): string | undefined {
  for (const k in o) {
    if (!Object.hasOwn(o, k)) continue;
    if (!isText(k, 1000, 1) || !isScalar(o[k])) return k;
  }
  return undefined;
}

export type ColumnarBatchResult = { ok: true; predictions: PredictionIn[] } | { ok: false; errors: FieldError[] };

/**
 * A columnar batch checked and decoded, before any row object is built: what ingestion reads
 * when it stores and aggregates the columns directly (no object per row).
 */
export interface DecodedPredictionColumns {
  model: string;
  version: number;
  count: number;
  /** The ids as sent, 36 characters each, one after another. */
  ids: string;
  /** The numeric feature columns, in block order. */
  names: readonly string[];
  /** The float64 block. */
  values: Float64Array;
  /** Where a per-row column starts in `values` (row i at offset + i), -1 when not sent; NaN = absent. */
  timestampAt: number;
  scoreAt: number;
  latencyAt: number;
  /** Where numeric outputs start (row i at outputAt + i), -1 when `outputs` holds them. */
  outputAt: number;
  outputs: readonly PredictionOutput[] | undefined;
  /** Row i's feature column c is values[featureAt + i × names.length + c]; non-finite stands for null. */
  featureAt: number;
  /** Rows' features that are not columns (merged into the row). */
  extra: ReadonlyMap<number, Features>;
  /** Rows whose features replace the columns entirely. */
  own: ReadonlyMap<number, Features>;
}

export type DecodedColumnsResult = { ok: true; batch: DecodedPredictionColumns } | { ok: false; errors: FieldError[] };

const COLUMN_KEYS = new Set(["model", "version", "count", "ids", "present", "outputs", "features", "numbers"]);
const TOP_KEYS = new Set(["columns", "extra", "own"]);
const MAX_ERRORS = 100;

// `^[A-Za-z0-9+/]*={0,2}$` as a table: a regular expression over a 600 KB block cost ~6 ms per batch.
const BASE64_CHAR = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") BASE64_CHAR[c.charCodeAt(0)] = 1;
function isBase64(text: string): boolean {
  let end = text.length;
  if (end > 0 && text.charCodeAt(end - 1) === 61) end--; // "="
  if (end > 0 && text.charCodeAt(end - 1) === 61) end--;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || BASE64_CHAR[c] === 0) return false;
  }
  return true;
}

/** Is this parsed JSON body the columnar form (rather than `{ predictions: [...] }`)? */
export const isColumnarBody = (body: unknown): boolean => isPlainObject(body) && "columns" in body;

/**
 * Checks a parsed `LogPredictionsColumnar` body and returns its predictions as `PredictionIn`
 * rows, or field errors naming what is wrong: a structural field (`columns.numbers`,
 * `extra[2][0]`) or a row's field as the row form would name it (`predictions[17].features.x`).
 * Never throws, whatever the body.
 */
export function parsePredictionColumns(body: unknown): ColumnarBatchResult {
  const decoded = decodePredictionColumns(body);
  return decoded.ok ? { ok: true, predictions: predictionsOfColumns(decoded.batch) } : decoded;
}

/**
 * The checks of `parsePredictionColumns` (same errors, same order), returning the decoded
 * columns instead of row objects. Never throws, whatever the body.
 */
export function decodePredictionColumns(body: unknown): DecodedColumnsResult {
  const errors: FieldError[] = [];
  const fail = (path: string, message: string): DecodedColumnsResult => {
    errors.push({ path, message });
    return { ok: false, errors };
  };
  if (!isPlainObject(body)) return fail("(body)", "must be an object");
  for (const k of Object.keys(body)) if (!TOP_KEYS.has(k)) return fail(k === "" ? "(empty name)" : k, "unknown field");
  const cols = body.columns;
  if (!isPlainObject(cols)) return fail("columns", "must be an object");
  for (const k of Object.keys(cols)) if (!COLUMN_KEYS.has(k)) return fail(`columns.${k}`, "unknown field");
  const { model, version, count, ids, present, outputs, features, numbers } = cols;
  if (!isText(model, 200, 1) || !MODEL_NAME.test(model)) return fail("columns.model", "must be a model name (letters, digits, _ . -; up to 200 characters)");
  if (!Number.isSafeInteger(version) || (version as number) < 1) return fail("columns.version", "must be an integer >= 1");
  if (!Number.isSafeInteger(count) || (count as number) < 1 || (count as number) > MAX_PREDICTIONS_PER_BATCH) return fail("columns.count", `must be an integer from 1 to ${MAX_PREDICTIONS_PER_BATCH}`);
  const n = count as number;
  if (typeof ids !== "string" || ids.length !== n * 36) return fail("columns.ids", `must be the ${n} ids (UUIDv7) written one after another, ${n * 36} characters`);
  if (!Array.isArray(present) || present.length > COLUMNAR_PRESENT.length || new Set(present).size !== present.length || !present.every((p) => (COLUMNAR_PRESENT as readonly unknown[]).includes(p))) {
    return fail("columns.present", `must list distinct columns among ${COLUMNAR_PRESENT.join(", ")}`);
  }
  const numericOutputs = outputs === "numbers";
  if (!numericOutputs && !(Array.isArray(outputs) && outputs.length === n)) return fail("columns.outputs", `must be "numbers" or an array of ${n} outputs`);
  if (!Array.isArray(features) || features.length > MAX_COLUMNS) return fail("columns.features", `must be an array of at most ${MAX_COLUMNS} feature names`);
  const names = features as unknown[];
  const nameSet = new Set<string>();
  for (let c = 0; c < names.length; c++) {
    const name = names[c];
    if (!isText(name, 1000, 1)) return fail(`columns.features[${c}]`, "must be a feature name (1 to 1000 characters, no NUL or lone surrogate)");
    if (nameSet.has(name)) return fail(`columns.features[${c}]`, "repeats an earlier name");
    nameSet.add(name);
  }
  const m = names.length;
  const perRow = present.length + (numericOutputs ? 1 : 0) + m;
  if (typeof numbers !== "string" || numbers.length % 4 !== 0 || !isBase64(numbers)) return fail("columns.numbers", "must be base64 (standard alphabet, padded)");
  const bytes = fromBase64(numbers);
  if (bytes.length !== n * perRow * 8) return fail("columns.numbers", `must hold ${n * perRow} float64 values (${n} rows × ${perRow}), found ${bytes.length} bytes`);
  const values = float64s(bytes);
  const extra = rowObjects(body.extra, "extra", n, errors);
  const own = rowObjects(body.own, "own", n, errors);
  if (!extra || !own) return { ok: false, errors };
  const at = (column: PresentColumn) => {
    const i = present.indexOf(column);
    return i < 0 ? -1 : i * n;
  };
  const tsAt = at("timestamp");
  const scoreAt = at("score");
  const latencyAt = at("latencyMs");
  const outAt = present.length * n;
  const featAt = outAt + (numericOutputs ? n : 0);
  const add = (path: string, message: string) => {
    if (errors.length < MAX_ERRORS) errors.push({ path, message });
  };
  for (let i = 0; i < n; i++) {
    if (!isUuidV7(ids.slice(i * 36, i * 36 + 36))) add(`predictions[${i}].id`, "must be a UUIDv7");
    if (own.has(i)) {
      if (extra.has(i)) add(`predictions[${i}].features`, "a row is in both extra and own");
    } else {
      const more = extra.get(i);
      if (more) {
        for (const k in more) {
          if (!Object.hasOwn(more, k)) continue;
          if (nameSet.has(k)) add(`predictions[${i}].features.${k}`, "is also a column");
        }
      }
    }
    if (!numericOutputs) {
      const output = (outputs as unknown[])[i];
      if (!(isScalar(output) || (isPlainObject(output) && badScalarKey(output) === undefined))) add(`predictions[${i}].output`, "must be a scalar or a flat object of scalars");
    }
    if (tsAt >= 0) {
      const t = values[tsAt + i]!;
      if (!Number.isNaN(t) && !(Number.isSafeInteger(t) && t >= 0 && t <= MAX_EPOCH_MS)) add(`predictions[${i}].timestamp`, "must be whole milliseconds since the epoch, before the year 10000");
    }
    if (scoreAt >= 0) {
      const s = values[scoreAt + i]!;
      if (!Number.isNaN(s) && !Number.isFinite(s)) add(`predictions[${i}].score`, "must be a finite number");
    }
    if (latencyAt >= 0) {
      const l = values[latencyAt + i]!;
      if (!Number.isNaN(l) && !(Number.isFinite(l) && l >= 0)) add(`predictions[${i}].latencyMs`, "must be a finite number >= 0");
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    batch: {
      model,
      version: version as number,
      count: n,
      ids,
      names: names as string[],
      values,
      timestampAt: tsAt,
      scoreAt,
      latencyAt,
      outputAt: numericOutputs ? outAt : -1,
      outputs: numericOutputs ? undefined : (outputs as PredictionOutput[]),
      featureAt: featAt,
      extra: extra as Map<number, Features>,
      own: own as Map<number, Features>,
    },
  };
}

/** The decoded batch as `PredictionIn` rows (the row form's shape: absent optional fields left out). */
export function predictionsOfColumns(b: DecodedPredictionColumns): PredictionIn[] {
  const { count: n, names, values, ids } = b;
  const m = names.length;
  const predictions = new Array<PredictionIn>(n);
  for (let i = 0; i < n; i++) {
    let features: Features;
    const ownFeatures = b.own.get(i);
    if (ownFeatures) features = ownFeatures;
    else {
      features = {};
      const base = b.featureAt + i * m;
      for (let c = 0; c < m; c++) setKey(features, names[c]!, finiteOrNull(values[base + c]!));
      const more = b.extra.get(i);
      if (more) for (const k in more) if (Object.hasOwn(more, k)) setKey(features, k, more[k]);
    }
    const output = b.outputAt >= 0 ? finiteOrNull(values[b.outputAt + i]!) : b.outputs![i]!;
    const p: PredictionIn = { id: ids.slice(i * 36, i * 36 + 36), model: b.model, version: b.version, features, output };
    if (b.timestampAt >= 0 && !Number.isNaN(values[b.timestampAt + i]!)) p.timestamp = values[b.timestampAt + i]!;
    if (b.scoreAt >= 0 && !Number.isNaN(values[b.scoreAt + i]!)) p.score = values[b.scoreAt + i]!;
    if (b.latencyAt >= 0 && !Number.isNaN(values[b.latencyAt + i]!)) p.latencyMs = values[b.latencyAt + i]!;
    predictions[i] = p;
  }
  return predictions;
}

/** `extra`/`own`: [row, flat object of scalars] pairs, rows strictly increasing. Undefined (with errors added) when malformed. */
function rowObjects(list: unknown, field: "extra" | "own", n: number, errors: FieldError[]): Map<number, Record<string, unknown>> | undefined {
  const out = new Map<number, Record<string, unknown>>();
  if (list === undefined) return out;
  if (!Array.isArray(list)) {
    errors.push({ path: field, message: "must be an array of [row, features] pairs" });
    return undefined;
  }
  let last = -1;
  for (let j = 0; j < list.length; j++) {
    const pair = list[j];
    if (!Array.isArray(pair) || pair.length !== 2) {
      errors.push({ path: `${field}[${j}]`, message: "must be a [row, features] pair" });
      return undefined;
    }
    const [row, obj] = pair as [unknown, unknown];
    if (!Number.isSafeInteger(row) || (row as number) <= last || (row as number) >= n) {
      errors.push({ path: `${field}[${j}][0]`, message: `must be a row index below ${n}, greater than the previous one` });
      return undefined;
    }
    if (!isPlainObject(obj)) {
      errors.push({ path: `predictions[${row}].features`, message: "must be a flat object of scalars" });
      return undefined;
    }
    const bad = badScalarKey(obj);
    if (bad !== undefined) {
      errors.push({ path: `predictions[${row}].features.${bad}`, message: "must be a scalar (number, string up to 10,000 characters, boolean or null) under a name of 1 to 1000 characters" });
      return undefined;
    }
    last = row as number;
    out.set(last, obj);
  }
  return out;
}
