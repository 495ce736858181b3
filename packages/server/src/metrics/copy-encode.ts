import type { PointColumns } from "./aggregate.js";

/**
 * Metric points in PostgreSQL's binary COPY format for (series_id int4, step int8,
 * value float8, ts int8): no number is printed as text on our side and none parsed on
 * the database's (text formatting alone cost ~0.5 µs per point). 46 bytes a row.
 */
const HEADER = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00]; // "PGCOPY\n\377\r\n\0"
const ROW_BYTES = 46;
const TWO_32 = 4294967296;

export function encodePointsBinary(p: PointColumns): Uint8Array {
  const n = p.length;
  const buf = new Uint8Array(19 + n * ROW_BYTES + 2);
  const dv = new DataView(buf.buffer);
  buf.set(HEADER, 0); // flags and header-extension length stay 0
  let o = 19;
  for (let i = 0; i < n; i++) {
    const step = p.steps[i]!;
    const ts = p.ts[i]!;
    dv.setInt16(o, 4);
    dv.setInt32(o + 2, 4);
    dv.setInt32(o + 6, p.series[i]!);
    dv.setInt32(o + 10, 8);
    // int8 as two halves: both are validated non-negative integers below 2^53.
    dv.setUint32(o + 14, Math.floor(step / TWO_32));
    dv.setUint32(o + 18, step >>> 0);
    dv.setInt32(o + 22, 8);
    dv.setFloat64(o + 26, p.values[i]!);
    dv.setInt32(o + 34, 8);
    dv.setUint32(o + 38, Math.floor(ts / TWO_32));
    dv.setUint32(o + 42, ts >>> 0);
    o += ROW_BYTES;
  }
  dv.setInt16(o, -1);
  return buf;
}
