/**
 * Predictions in PostgreSQL's binary COPY format for the columns of PREDICTION_COLUMNS:
 * uuids as 16 bytes, times as microseconds since 2000-01-01, jsonb as version byte 1 then
 * the JSON text, float8 or NULL. Nothing is printed as text for PostgreSQL to parse back
 * except the JSON itself.
 */
export const PREDICTION_COLUMNS = "project_id, model_version_id, id, id_time, ts, features, output, score, latency_ms";

/** A prediction ready to store; `features`/`output` are already JSON text. */
export interface StoredPrediction {
  modelVersionId: string;
  id: string;
  idTime: number;
  ts: number;
  features: string;
  output: string;
  score: number | null;
  latencyMs: number | null;
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

// Exact for times within ±285 years of 2000 (µs below 2^53); callers bound times far tighter.
function writeTime(buf: Buffer, o: number, ms: number): number {
  const us = (ms - PG_EPOCH_MS) * 1000;
  const hi = Math.floor(us / TWO_32);
  buf.writeInt32BE(8, o);
  buf.writeInt32BE(hi, o + 4);
  buf.writeUInt32BE(us - hi * TWO_32, o + 8);
  return o + 12;
}

function writeFloat(buf: Buffer, o: number, v: number | null): number {
  if (v === null) {
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

export function encodePredictionsBinary(projectId: string, rows: readonly StoredPrediction[]): Uint8Array {
  // UTF-8 takes at most 3 bytes per UTF-16 unit: size for that, write once, return the used part.
  let size = 19 + 2;
  for (const r of rows) size += ROW_FIXED + 3 * (r.features.length + r.output.length);
  const buf = Buffer.allocUnsafe(size);
  buf.set(HEADER, 0);
  buf.fill(0, 11, 19); // flags and header-extension length
  let o = 19;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    buf.writeInt16BE(FIELDS, o);
    o = writeUuid(buf, o + 2, projectId);
    o = writeUuid(buf, o, r.modelVersionId);
    o = writeUuid(buf, o, r.id);
    o = writeTime(buf, o, r.idTime);
    o = writeTime(buf, o, r.ts);
    o = writeJsonb(buf, o, r.features);
    o = writeJsonb(buf, o, r.output);
    o = writeFloat(buf, o, r.score);
    o = writeFloat(buf, o, r.latencyMs);
  }
  buf.writeInt16BE(-1, o);
  return buf.subarray(0, o + 2);
}
