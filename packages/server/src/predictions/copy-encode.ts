import type { IngestBatch } from "./batch.js";
import { writeJsNumber } from "./json-number.js";

/**
 * Predictions in PostgreSQL's binary COPY format for the columns of PREDICTION_COLUMNS:
 * uuids as 16 bytes, times as microseconds since 2000-01-01, jsonb as version byte 1 then
 * the JSON text, float8 or NULL. Nothing is printed as text for PostgreSQL to parse back
 * except the JSON itself.
 */
export const PREDICTION_COLUMNS = "project_id, model_version_id, id, id_time, ts, features, output, score, latency_ms";

/** Where and when each row of a batch is stored (see ingest.service.ts's prepareRows). */
export interface RowPlacement {
  /** Row's model version id. */
  versionIds: readonly string[];
  /** Lowercased ids. */
  ids: readonly string[];
  idTimes: Float64Array;
  times: Float64Array;
}

const HEADER = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00];
const PG_EPOCH_MS = 946_684_800_000;
const TWO_32 = 4_294_967_296;
const FIELDS = 9;

const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) HEX["0123456789abcdef".charCodeAt(i)] = i;
for (let i = 10; i < 16; i++) HEX["ABCDEF".charCodeAt(i - 10)] = i;

/** A uuid's 16 bytes from its 36-character text (already validated), without building strings. */
function writeUuid(buf: Buffer, o: number, uuid: string): number {
  buf.writeInt32BE(16, o);
  let at = o + 4;
  for (let i = 0; i < 36; i++) {
    const c = uuid.charCodeAt(i);
    if (c === 45) continue; // "-"
    buf[at++] = (HEX[c]! << 4) | HEX[uuid.charCodeAt(++i)]!;
  }
  return o + 20;
}

/** A uuid field (length and 16 bytes), for a uuid every row repeats. */
function uuidField(uuid: string): Buffer {
  const b = Buffer.alloc(20);
  writeUuid(b, 0, uuid);
  return b;
}

// Exact for times within ±285 years of 2000 (µs below 2^53); callers bound times far tighter.
function writeTime(buf: Buffer, o: number, ms: number): number {
  const us = (ms - PG_EPOCH_MS) * 1000;
  const hi = Math.floor(us / TWO_32);
  buf.writeInt32BE(8, o);
  buf.writeInt32BE(hi, o + 4);
  buf.writeUInt32BE(us - hi * TWO_32, o + 8);
  return o + 12;
}

/** float8, NULL for NaN (absent). */
function writeFloat(buf: Buffer, o: number, v: number): number {
  if (Number.isNaN(v)) {
    buf.writeInt32BE(-1, o);
    return o + 4;
  }
  buf.writeInt32BE(8, o);
  buf.writeDoubleBE(v, o + 4);
  return o + 12;
}

/** jsonb: version byte 1 and the JSON text, its length written once the text is. */
function writeJsonb(buf: Buffer, o: number, json: string): number {
  buf[o + 4] = 1;
  const bytes = buf.write(json, o + 5, "utf8");
  buf.writeInt32BE(bytes + 1, o);
  return o + 5 + bytes;
}

// Fixed bytes of a row: field count, 3 uuids, 2 times, 2 jsonb headers, 2 float8.
const ROW_FIXED = 2 + 20 * 3 + 12 * 2 + 5 * 2 + 12 * 2;
// The longest number JavaScript prints (e.g. -1.2345678901234567e-308), or "null".
const NUMBER_MAX = 24;

/**
 * A row's features as the JSON text of its object: the numeric columns written from the
 * float64 block behind their cached `{"name":` / `,"name":` prefixes (each number as
 * JSON.stringify prints it, non-finite as null), then its other features. jsonb orders keys
 * itself, so the stored value equals the row object's.
 */
function writeFeatures(buf: Buffer, o: number, b: IngestBatch, i: number, prefixes: readonly Buffer[], own: string | undefined): number {
  const start = o;
  o += 5;
  if (own !== undefined) o += buf.write(own, o, "utf8");
  else {
    const m = prefixes.length;
    const base = b.featureAt + i * m;
    // Byte by byte in JavaScript: a Buffer write per number (a native call each) cost twice as much.
    for (let c = 0; c < m; c++) {
      const p = prefixes[c]!;
      for (let k = 0; k < p.length; k++) buf[o++] = p[k]!;
      const v = b.values[base + c]!;
      if (Number.isFinite(v)) o = writeJsNumber(buf, o, v);
      else {
        buf.write("null", o, "latin1");
        o += 4;
      }
    }
    const more = b.extra.get(i);
    if (more) {
      for (const k in more) {
        if (!Object.hasOwn(more, k)) continue;
        o += buf.write(`${o === start + 5 ? "{" : ","}${JSON.stringify(k)}:${JSON.stringify(more[k])}`, o, "utf8");
      }
    }
    if (o === start + 5) buf[o++] = 0x7b; // "{"
    buf[o++] = 0x7d; // "}"
  }
  buf[start + 4] = 1;
  buf.writeInt32BE(o - start - 4, start);
  return o;
}

/** UTF-8 takes at most 3 bytes per UTF-16 unit. */
const utf8Bound = (s: string) => 3 * s.length;

/**
 * The rows `rows` of the batch in PostgreSQL's binary COPY format, written once into a
 * buffer sized for the worst case (its used part is returned).
 */
export function encodePredictionsBinary(projectId: string, b: IngestBatch, place: RowPlacement, rows: ArrayLike<number>): Uint8Array {
  const prefixes = b.names.map((name, c) => Buffer.from(`${c === 0 ? "{" : ","}${JSON.stringify(name)}:`, "utf8"));
  const columnsBytes = prefixes.reduce((s, p) => s + p.length + NUMBER_MAX, 2);
  const outputs = new Array<string>(rows.length);
  const owns = new Array<string | undefined>(rows.length);
  let size = 19 + 2;
  for (let j = 0; j < rows.length; j++) {
    const i = rows[j]!;
    outputs[j] = JSON.stringify(b.outputs[i]);
    const own = b.own.get(i);
    if (own) owns[j] = JSON.stringify(own);
    const more = own ? undefined : b.extra.get(i);
    size += ROW_FIXED + utf8Bound(outputs[j]!) + (own ? utf8Bound(owns[j]!) : columnsBytes + (more ? utf8Bound(JSON.stringify(more)) : 0));
  }
  const buf = Buffer.allocUnsafe(size);
  buf.set(HEADER, 0);
  buf.fill(0, 11, 19); // flags and header-extension length
  const project = uuidField(projectId);
  const versions = new Map<string, Buffer>();
  let o = 19;
  for (let j = 0; j < rows.length; j++) {
    const i = rows[j]!;
    buf.writeInt16BE(FIELDS, o);
    o += 2;
    project.copy(buf, o);
    o += 20;
    const v = place.versionIds[i]!;
    let version = versions.get(v);
    if (!version) versions.set(v, (version = uuidField(v)));
    version.copy(buf, o);
    o += 20;
    o = writeUuid(buf, o, place.ids[i]!);
    o = writeTime(buf, o, place.idTimes[i]!);
    o = writeTime(buf, o, place.times[i]!);
    o = writeFeatures(buf, o, b, i, prefixes, owns[j]);
    o = writeJsonb(buf, o, outputs[j]!);
    o = writeFloat(buf, o, b.scores[i]!);
    o = writeFloat(buf, o, b.latencies[i]!);
  }
  buf.writeInt16BE(-1, o);
  return buf.subarray(0, o + 2);
}
