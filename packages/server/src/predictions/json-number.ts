/**
 * A finite number written as JavaScript prints it (String(v), the same as JSON.stringify)
 * straight into a buffer, as ASCII bytes. Printing the shortest round-trip form of a double
 * costs ~150 ns in V8 and allocates a string; prediction features are mostly short decimals
 * (a price, a count, a rounded score), and for those the digits are found exactly by
 * arithmetic: if some m / 10^k (m < 10^15, at most 15 significant digits, so no other
 * decimal of that length reads back to the same double) equals v, the smallest such k gives
 * the shortest decimal that reads back to v, which is what JavaScript prints. Anything else
 * (more digits, very small or very large) goes through String(v).
 */
const POW10 = Array.from({ length: 16 }, (_, k) => 10 ** k);
const MAX_FRACTION_DIGITS = 10;
const digits = new Uint8Array(16);
let hint = 0;

export function writeJsNumber(buf: Uint8Array, o: number, v: number): number {
  if (v === 0) {
    buf[o] = 48; // "0" (also for -0, as JavaScript prints it)
    return o + 1;
  }
  const a = v < 0 ? -v : v;
  // JavaScript prints 1e-7 and below in exponent form; 1e15 and above may have 16+ digits.
  if (a >= 1e-6 && a < 1e15) {
    // A column's values mostly share their number of decimals: try the last one first. It is
    // the smallest when its last digit is not 0 (a smaller k would give m ending in 0).
    const h = POW10[hint]!;
    const mh = Math.round(a * h);
    if (mh < 1e15 && mh / h === a && (hint === 0 || mh % 10 !== 0)) return writeDecimal(buf, o, v < 0, mh, hint);
    for (let k = 0; k <= MAX_FRACTION_DIGITS; k++) {
      const p = POW10[k]!;
      const m = Math.round(a * p);
      if (m >= 1e15) break;
      // m and p are exact, and division rounds correctly: this is the double "m e-k" reads as.
      if (m / p === a) {
        hint = k;
        return writeDecimal(buf, o, v < 0, m, k);
      }
    }
  }
  const text = String(v);
  for (let i = 0; i < text.length; i++) buf[o++] = text.charCodeAt(i);
  return o;
}

/** m × 10^-k with m > 0 whole (below 10^15) and k minimal: no trailing zeros after the point. */
function writeDecimal(buf: Uint8Array, o: number, negative: boolean, m: number, k: number): number {
  let n = 0;
  while (m >= 2_147_483_648) {
    const q = Math.floor(m / 10);
    digits[n++] = 48 + (m - q * 10);
    m = q;
  }
  // In int32 the division by 10 compiles to a multiplication.
  let i = m | 0;
  while (i > 0) {
    const q = (i / 10) | 0;
    digits[n++] = 48 + (i - q * 10);
    i = q;
  }
  if (negative) buf[o++] = 45; // "-"
  if (n <= k) {
    buf[o++] = 48;
    buf[o++] = 46; // "0."
    for (let z = k - n; z > 0; z--) buf[o++] = 48;
    while (n > 0) buf[o++] = digits[--n]!;
    return o;
  }
  while (n > k) buf[o++] = digits[--n]!;
  if (k > 0) {
    buf[o++] = 46; // "."
    while (n > 0) buf[o++] = digits[--n]!;
  }
  return o;
}
