/**
 * A UUIDv7 generator for the prediction hot path. `uuidv7()` from core draws 16 random bytes
 * through crypto and does BigInt maths per id (~1 µs). Here an id is written as 36 ASCII
 * bytes straight into the batch's id column (`into`), and the one string the caller gets
 * back is made from those bytes in a single step: no intermediate strings to collect, and
 * the batch keeps no string per row. Random bytes come from a pool refilled 4 KiB at a time
 * (one crypto call per 512 ids); the time prefix is formatted once per millisecond. Layout
 * per RFC 9562: 48-bit ms, version 7, a 12-bit counter in rand_a for ids of one millisecond
 * (method 1: monotonic within the process), variant 10, 62 random bits.
 */
const HEX_CHARS = "0123456789abcdef";
/** Byte b → its two lowercase hex digits as ASCII codes: HEX_CODES[2b], HEX_CODES[2b + 1]. */
const HEX_CODES = new Uint8Array(512);
for (let b = 0; b < 256; b++) {
  HEX_CODES[2 * b] = HEX_CHARS.charCodeAt(b >> 4);
  HEX_CODES[2 * b + 1] = HEX_CHARS.charCodeAt(b & 15);
}
const DASH = 0x2d;
const POOL_BYTES = 4096;
/** Characters in an id. */
export const ID_CHARS = 36;

export class UuidV7Source {
  private pool = new Uint8Array(POOL_BYTES);
  private at = POOL_BYTES;
  private lastMs = -1;
  private counter = 0;
  /** The 14 ASCII codes of `xxxxxxxx-xxxx-` for the current millisecond. */
  private readonly prefix = new Uint8Array(14);
  /** Where `next()` writes when no column is given. */
  private readonly scratch = new Uint8Array(ID_CHARS);

  constructor(private readonly now: () => number = Date.now) {}

  /** A new id as a string. */
  next(): string {
    return this.into(this.scratch, 0);
  }

  /** Writes a new id as 36 ASCII bytes at `bytes[at…]` and returns it as a string. */
  into(bytes: Uint8Array, at: number): string {
    const ms = this.now();
    if (ms > this.lastMs) {
      this.lastMs = ms;
      this.counter = this.byte() & 0x07; // a small random start leaves room to count up
      this.setPrefix(ms);
    } else {
      // Same millisecond (or the clock went back): count up, borrowing the next millisecond when the counter wraps.
      this.counter = (this.counter + 1) & 0xfff;
      if (this.counter === 0) this.setPrefix(++this.lastMs);
    }
    if (this.at > POOL_BYTES - 8) this.refill();
    const p = this.pool;
    const r = this.at;
    this.at = r + 8;
    const pre = this.prefix;
    for (let k = 0; k < 14; k++) bytes[at + k] = pre[k]!;
    const c = this.counter;
    hex(bytes, at + 14, 0x70 | (c >> 8));
    hex(bytes, at + 16, c & 0xff);
    bytes[at + 18] = DASH;
    hex(bytes, at + 19, 0x80 | (p[r]! & 0x3f));
    hex(bytes, at + 21, p[r + 1]!);
    bytes[at + 23] = DASH;
    hex(bytes, at + 24, p[r + 2]!);
    hex(bytes, at + 26, p[r + 3]!);
    hex(bytes, at + 28, p[r + 4]!);
    hex(bytes, at + 30, p[r + 5]!);
    hex(bytes, at + 32, p[r + 6]!);
    hex(bytes, at + 34, p[r + 7]!);
    return idString(bytes, at);
  }

  private byte(): number {
    if (this.at >= POOL_BYTES) this.refill();
    return this.pool[this.at++]!;
  }

  private refill(): void {
    crypto.getRandomValues(this.pool);
    this.at = 0;
  }

  private setPrefix(ms: number): void {
    // 48 bits: the high 16 and the low 32, each exact in a double.
    const hi = Math.floor(ms / 0x1_0000_0000);
    const lo = ms >>> 0;
    const pre = this.prefix;
    hex(pre, 0, (hi >>> 8) & 0xff);
    hex(pre, 2, hi & 0xff);
    hex(pre, 4, lo >>> 24);
    hex(pre, 6, (lo >>> 16) & 0xff);
    pre[8] = DASH;
    hex(pre, 9, (lo >>> 8) & 0xff);
    hex(pre, 11, lo & 0xff);
    pre[13] = DASH;
  }
}

function hex(bytes: Uint8Array, at: number, b: number): void {
  bytes[at] = HEX_CODES[2 * b]!;
  bytes[at + 1] = HEX_CODES[2 * b + 1]!;
}

/** The 36 ASCII bytes at `b[o…]` as a string: one flat string, built in one call (cheaper than any concatenation or a decoder). */
export function idString(b: Uint8Array, o: number): string {
  return String.fromCharCode(
    b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!, b[o + 4]!, b[o + 5]!, b[o + 6]!, b[o + 7]!, b[o + 8]!,
    b[o + 9]!, b[o + 10]!, b[o + 11]!, b[o + 12]!, b[o + 13]!, b[o + 14]!, b[o + 15]!, b[o + 16]!, b[o + 17]!,
    b[o + 18]!, b[o + 19]!, b[o + 20]!, b[o + 21]!, b[o + 22]!, b[o + 23]!, b[o + 24]!, b[o + 25]!, b[o + 26]!,
    b[o + 27]!, b[o + 28]!, b[o + 29]!, b[o + 30]!, b[o + 31]!, b[o + 32]!, b[o + 33]!, b[o + 34]!, b[o + 35]!,
  );
}
