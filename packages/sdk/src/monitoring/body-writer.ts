/**
 * Builds a request body as bytes in one reused buffer and turns it into a string once.
 * Why: on this kind of machine a fresh large allocation costs more than filling it (each new
 * page faults in), and V8 puts every string over 128 KB in its own freshly mapped pages. A
 * batch body made of pieces — the ids as a string, `numbers` from Buffer's base64, joined
 * and then flattened by whoever reads it — took three such allocations per batch; this
 * takes one (the final string), and base64 is written straight into the buffer, 12 bytes
 * of doubles at a time.
 */
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/** 12 bits → their two base64 characters, as a little-endian 16-bit pair. */
const PAIRS = new Uint16Array(4096);
for (let i = 0; i < 4096; i++) PAIRS[i] = ALPHABET.charCodeAt(i >> 6) | (ALPHABET.charCodeAt(i & 63) << 8);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** The scratch buffer is kept between bodies up to this size (a rare larger body gets its own). */
const KEEP_BYTES = 4 << 20;

let scratch = new Uint8Array(0);
let encoder: TextEncoder | undefined;
let decoder: TextDecoder | undefined;

export class BodyWriter {
  private buf: Uint8Array;
  private at = 0;

  /** `capacity`: an upper bound of the body's UTF-8 bytes. */
  constructor(capacity: number) {
    // Room to align base64 on 4 bytes, rounded to 4 bytes for 32-bit stores.
    const size = (capacity + 8) & ~3;
    if (size > KEEP_BYTES) this.buf = new Uint8Array(size);
    else {
      if (scratch.length < size) scratch = new Uint8Array(Math.max(size, Math.min(KEEP_BYTES, scratch.length * 2)));
      this.buf = scratch;
    }
  }

  /** Upper bound of the UTF-8 bytes of `s`. */
  static bound(s: string): number {
    return s.length * 3;
  }

  /** Appends text as UTF-8. */
  text(s: string): this {
    encoder ??= new TextEncoder();
    this.at += encoder.encodeInto(s, this.buf.subarray(this.at)).written;
    return this;
  }

  /** Appends raw bytes (ASCII). */
  bytes(b: Uint8Array): this {
    this.buf.set(b, this.at);
    this.at += b.length;
    return this;
  }

  /** Appends the standard, padded base64 of `src`. */
  base64(src: Uint8Array): this {
    const out = this.buf;
    const start = this.at;
    // Written from the next 4-byte boundary (whole 32-bit stores), then moved into place.
    const aligned = (start + 3) & ~3;
    let o = aligned;
    let i = 0;
    if (LITTLE_ENDIAN && src.byteOffset % 4 === 0 && src.length >= 12) {
      const words = new Uint32Array(src.buffer, src.byteOffset, src.length >> 2);
      const dst = new Uint32Array(out.buffer, out.byteOffset, out.length >> 2);
      // In slices: the loop is a small function called many times, which V8 optimises by its
      // call count after a few slices, instead of on-stack replacement inside one long loop
      // (which, run once per batch, kept going back to the interpreter).
      const end = Math.floor(src.length / 12) * 3;
      for (let w = 0; w < end; w += SLICE_WORDS) o = base64Words(words, w, Math.min(end, w + SLICE_WORDS), dst, o >> 2) << 2;
      i = end * 4;
    }
    o = base64Bytes(src, i, out, o);
    if (aligned !== start) out.copyWithin(start, aligned, o);
    this.at = start + (o - aligned);
    return this;
  }

  /** The body as one flat string. */
  toString(): string {
    decoder ??= new TextDecoder();
    return decoder.decode(this.buf.subarray(0, this.at));
  }
}

/** Source words per slice (a multiple of 3). */
const SLICE_WORDS = 3 * 512;

/** words[w…end) (a multiple of 3, little-endian) → base64 at dst[d…]; returns the next d. */
function base64Words(words: Uint32Array, w: number, end: number, dst: Uint32Array, d: number): number {
  for (; w < end; w += 3) {
    const a = words[w]!;
    const b = words[w + 1]!;
    const c = words[w + 2]!;
    const x1 = ((a & 0xff) << 16) | (a & 0xff00) | ((a >>> 16) & 0xff);
    const x2 = ((a >>> 24) << 16) | ((b & 0xff) << 8) | ((b >>> 8) & 0xff);
    const x3 = (((b >>> 16) & 0xff) << 16) | ((b >>> 24) << 8) | (c & 0xff);
    const x4 = (((c >>> 8) & 0xff) << 16) | (((c >>> 16) & 0xff) << 8) | (c >>> 24);
    dst[d++] = PAIRS[x1 >>> 12]! | (PAIRS[x1 & 0xfff]! << 16);
    dst[d++] = PAIRS[x2 >>> 12]! | (PAIRS[x2 & 0xfff]! << 16);
    dst[d++] = PAIRS[x3 >>> 12]! | (PAIRS[x3 & 0xfff]! << 16);
    dst[d++] = PAIRS[x4 >>> 12]! | (PAIRS[x4 & 0xfff]! << 16);
  }
  return d;
}

/** src[i…] byte by byte (what the word loop left, or everything), with padding; returns the next o. */
function base64Bytes(src: Uint8Array, i: number, out: Uint8Array, o: number): number {
  const n = src.length;
  for (; i + 3 <= n; i += 3) {
    const x = (src[i]! << 16) | (src[i + 1]! << 8) | src[i + 2]!;
    o = pair(out, o, x >>> 12);
    o = pair(out, o, x & 0xfff);
  }
  const left = n - i;
  if (left > 0) {
    const x = (src[i]! << 16) | (left === 2 ? src[i + 1]! << 8 : 0);
    out[o++] = ALPHABET.charCodeAt(x >>> 18);
    out[o++] = ALPHABET.charCodeAt((x >>> 12) & 63);
    out[o++] = left === 2 ? ALPHABET.charCodeAt((x >>> 6) & 63) : 0x3d;
    out[o++] = 0x3d;
  }
  return o;
}

function pair(out: Uint8Array, o: number, bits: number): number {
  const p = PAIRS[bits]!;
  out[o] = p & 0xff;
  out[o + 1] = p >>> 8;
  return o + 2;
}

/** Characters of the padded base64 of `bytes` bytes. */
export const base64Length = (bytes: number): number => Math.ceil(bytes / 3) * 4;
