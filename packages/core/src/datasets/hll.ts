/**
 * HyperLogLog distinct counting: 2^12 registers (standard error ≈ 1.04/√4096 ≈ 1.6%),
 * merged by taking the register-wise maximum, so the sketch of a union is exact.
 * Values are hashed to 44 bits (12 for the register, 32 for the rank) from their
 * canonical form: a number by its float64 bits (−0 as 0), a string by its UTF-16 code units.
 */

export const HLL_PRECISION = 12;
export const HLL_REGISTERS = 1 << HLL_PRECISION;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export class HyperLogLog {
  readonly registers: Uint8Array;

  constructor(registers?: Uint8Array) {
    this.registers = registers ?? new Uint8Array(HLL_REGISTERS);
  }

  private put(h1: number, h2: number): void {
    const idx = h1 >>> (32 - HLL_PRECISION);
    const rank = Math.clz32(h2) + 1;
    if (rank > this.registers[idx]!) this.registers[idx] = rank;
  }

  addNumber(x: number): void {
    f64[0] = x === 0 ? 0 : x;
    const lo = u32[0]!;
    const hi = u32[1]!;
    this.put(fmix(Math.imul(lo, 0xcc9e2d51) ^ fmix(hi ^ 0x9e3779b9)), fmix(Math.imul(hi, 0x1b873593) ^ fmix(lo ^ 0x7f4a7c15)));
  }

  addString(s: string): void {
    // Two independent murmur3-style lanes over the code units.
    let a = 0x811c9dc5 ^ s.length;
    let b = 0x27d4eb2f ^ s.length;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      a = Math.imul(a ^ c, 0x5bd1e995);
      a = (a << 13) | (a >>> 19);
      b = Math.imul(b ^ c, 0x01000193);
      b = (b << 15) | (b >>> 17);
    }
    this.put(fmix(a ^ 0x68e31da4), fmix(b ^ 0xb5297a4d));
  }

  merge(other: HyperLogLog): void {
    const r = this.registers;
    const o = other.registers;
    for (let i = 0; i < r.length; i++) if (o[i]! > r[i]!) r[i] = o[i]!;
  }

  estimate(): number {
    const m = HLL_REGISTERS;
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < m; i++) {
      const r = this.registers[i]!;
      sum += 2 ** -r;
      if (r === 0) zeros++;
    }
    const alpha = 0.7213 / (1 + 1.079 / m);
    const raw = (alpha * m * m) / sum;
    // Small range: linear counting is far more accurate while registers are empty.
    if (raw <= 2.5 * m && zeros > 0) return m * Math.log(m / zeros);
    return raw;
  }

  /**
   * Base64 of a tagged encoding, to keep profiles small: 0x02 + (uint16 LE index, rank)
   * for each non-empty register when few are set (a boolean column: 12 characters), else
   * 0x01 + the 4,096 ranks packed in 6 bits each (4,100 characters). The 4,096 raw bytes
   * are accepted too.
   */
  toBase64(): string {
    const r = this.registers;
    let set = 0;
    for (let i = 0; i < r.length; i++) if (r[i]! > 0) set++;
    if (set * 3 < (HLL_REGISTERS * 6) / 8) {
      const out = new Uint8Array(1 + set * 3);
      out[0] = 2;
      let o = 1;
      for (let i = 0; i < r.length; i++) {
        if (r[i]! === 0) continue;
        out[o++] = i & 255;
        out[o++] = i >> 8;
        out[o++] = r[i]!;
      }
      return bytesToBase64(out);
    }
    const out = new Uint8Array(1 + (HLL_REGISTERS * 6) / 8);
    out[0] = 1;
    for (let i = 0, o = 1; i < r.length; i += 4, o += 3) {
      const n = (r[i]! << 18) | (r[i + 1]! << 12) | (r[i + 2]! << 6) | r[i + 3]!;
      out[o] = n >> 16;
      out[o + 1] = (n >> 8) & 255;
      out[o + 2] = n & 255;
    }
    return bytesToBase64(out);
  }

  static fromBase64(s: string): HyperLogLog {
    const bytes = base64ToBytes(s);
    const regs = new Uint8Array(HLL_REGISTERS);
    if (bytes.length === HLL_REGISTERS) regs.set(bytes);
    else if (bytes[0] === 1 && bytes.length === 1 + (HLL_REGISTERS * 6) / 8) {
      for (let i = 0, o = 1; i < HLL_REGISTERS; i += 4, o += 3) {
        const n = (bytes[o]! << 16) | (bytes[o + 1]! << 8) | bytes[o + 2]!;
        regs[i] = n >> 18;
        regs[i + 1] = (n >> 12) & 63;
        regs[i + 2] = (n >> 6) & 63;
        regs[i + 3] = n & 63;
      }
    } else if (bytes[0] === 2 && bytes.length % 3 === 1) {
      for (let o = 1; o < bytes.length; o += 3) {
        const idx = bytes[o]! | (bytes[o + 1]! << 8);
        if (idx >= HLL_REGISTERS) throw new RangeError("a HyperLogLog register index is out of range");
        regs[idx] = bytes[o + 2]!;
      }
    } else throw new RangeError("not a HyperLogLog sketch");
    for (let i = 0; i < HLL_REGISTERS; i++) if (regs[i]! > 33) throw new RangeError("a HyperLogLog rank is out of range");
    return new HyperLogLog(regs);
  }
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** Standard base64 with padding (no Buffer or btoa: core runs in browsers and Node alike). */
export function bytesToBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  let line = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = i + 1 < bytes.length ? bytes[i + 1]! : 0;
    const c = i + 2 < bytes.length ? bytes[i + 2]! : 0;
    line +=
      ALPHABET[a >> 2]! +
      ALPHABET[((a & 3) << 4) | (b >> 4)]! +
      (i + 1 < bytes.length ? ALPHABET[((b & 15) << 2) | (c >> 6)]! : "=") +
      (i + 2 < bytes.length ? ALPHABET[c & 63]! : "=");
    if (line.length >= 1024) {
      parts.push(line);
      line = "";
    }
  }
  parts.push(line);
  return parts.join("");
}

export function base64ToBytes(s: string): Uint8Array {
  if (s.length % 4 !== 0) throw new RangeError("base64 length must be a multiple of 4");
  const pad = s.endsWith("==") ? 2 : s.endsWith("=") ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    const v = [0, 1, 2, 3].map((k) => (s[i + k] === "=" ? 0 : (DECODE[s.charCodeAt(i + k)] ?? -1)));
    if (v.some((x) => x < 0)) throw new RangeError("invalid base64");
    const n = (v[0]! << 18) | (v[1]! << 12) | (v[2]! << 6) | v[3]!;
    if (o < out.length) out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}
