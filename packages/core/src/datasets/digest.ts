/**
 * The content digest. Each column feeds a canonical typed encoding of its values, in
 * row order, into its own DigestSink:
 *   missing  0x00
 *   number   0x01 + float64 little-endian (−0 as 0, every NaN as the one quiet NaN)
 *   datetime 0x02 + float64 little-endian epoch milliseconds
 *   boolean  0x03 + 0x00 | 0x01
 *   string   0x04 + uint32 LE byte length + UTF-8 bytes
 * The dataset digest then hashes "cairn-dataset-v1", the row count, and for each column
 * in name order its name, kind and column digest (see `combineDigests`). So the digest
 * depends on the values and their types only: not on column order, chunking, or whether
 * the data came as records, columns, typed arrays or CSV text.
 */

export interface DigestSink {
  update(bytes: Uint8Array): void;
  /** Lowercase hex. */
  digest(): string;
}

const TAG_MISSING = 0;
const TAG_NUMBER = 1;
const TAG_DATETIME = 2;
const TAG_BOOLEAN = 3;
const TAG_STRING = 4;
const BUFFER = 1 << 16;

const utf8 = new TextEncoder();

/** Buffers the encoding so the sink sees 64 KiB updates, not one call per value. */
export class ColumnDigest {
  private readonly buf = new Uint8Array(BUFFER);
  private readonly view = new DataView(this.buf.buffer);
  private pos = 0;

  constructor(private readonly sink: DigestSink) {}

  private room(bytes: number): void {
    if (this.pos + bytes > BUFFER) this.flush();
  }

  private flush(): void {
    if (this.pos > 0) this.sink.update(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }

  missing(): void {
    if (this.pos + 1 > BUFFER) this.flush();
    this.buf[this.pos++] = TAG_MISSING;
  }

  missingRun(count: number): void {
    for (let i = 0; i < count; i++) this.missing();
  }

  number(x: number, tag = TAG_NUMBER): void {
    if (this.pos + 9 > BUFFER) this.flush();
    this.buf[this.pos] = tag;
    // x + 0 turns −0 into 0; NaN gets one canonical bit pattern.
    if (x !== x) {
      this.view.setUint32(this.pos + 1, 0, true);
      this.view.setUint32(this.pos + 5, 0x7ff80000, true);
    } else this.view.setFloat64(this.pos + 1, x + 0, true);
    this.pos += 9;
  }

  datetime(ms: number): void {
    this.number(ms, TAG_DATETIME);
  }

  boolean(b: boolean): void {
    this.room(2);
    this.buf[this.pos++] = TAG_BOOLEAN;
    this.buf[this.pos++] = b ? 1 : 0;
  }

  string(s: string): void {
    const n = s.length;
    if (n <= 1024) {
      this.room(5 + n * 3);
      const start = this.pos + 5;
      let p = start;
      let i = 0;
      // ASCII fast path; the first other code unit hands the rest to TextEncoder.
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        this.buf[p++] = c;
      }
      if (i < n) p += utf8.encodeInto(s.slice(i), this.buf.subarray(p)).written;
      this.buf[this.pos] = TAG_STRING;
      this.view.setUint32(this.pos + 1, p - start, true);
      this.pos = p;
      return;
    }
    const bytes = utf8.encode(s);
    this.room(5);
    this.buf[this.pos] = TAG_STRING;
    this.view.setUint32(this.pos + 1, bytes.length, true);
    this.pos += 5;
    this.flush();
    this.sink.update(bytes);
  }

  digest(): string {
    this.flush();
    return this.sink.digest();
  }
}

function lengthPrefixed(s: string): Uint8Array {
  const body = utf8.encode(s);
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length, true);
  out.set(body, 4);
  return out;
}

/** The dataset digest from its columns' digests: "sha256:" + hex. */
export function combineDigests(sink: DigestSink, rowCount: number, columns: ReadonlyArray<{ name: string; kind: string; digest: string }>): string {
  sink.update(utf8.encode("cairn-dataset-v1"));
  const head = new Uint8Array(12);
  const view = new DataView(head.buffer);
  view.setFloat64(0, rowCount, true);
  view.setUint32(8, columns.length, true);
  sink.update(head);
  const sorted = [...columns].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const c of sorted) {
    sink.update(lengthPrefixed(c.name));
    sink.update(lengthPrefixed(c.kind));
    sink.update(lengthPrefixed(c.digest));
  }
  return `sha256:${sink.digest()}`;
}
