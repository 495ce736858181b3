// The benchmark's metric points: `keys` series × `steps` steps, step-major (the order a
// training loop logs them: every key at step 0, then every key at step 1, …).

export function keyNames(n, prefix = "metric_") {
  return Array.from({ length: n }, (_, i) => prefix + String(i).padStart(2, "0"));
}

/** Deterministic pseudo-random values (xorshift), shaped like a noisy decaying loss. */
export function valueTable(n, seed = 42) {
  const out = new Float64Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = 1 / (1 + i / 5000) + (x / 4294967296) * 0.1;
  }
  return out;
}

/**
 * COPY text for the same points a run logs: series ids 1..keys, step-major, as chunks
 * of `chunkRows` rows. `ts` advances by 1 ms per step from `t0`.
 */
export function copyTextChunks({ keys, steps, chunkRows = 10_000, t0 = Date.now() }) {
  const values = valueTable(steps);
  const chunks = [];
  let buf = "";
  let rows = 0;
  for (let s = 0; s < steps; s++) {
    const ts = t0 + s;
    for (let k = 0; k < keys; k++) {
      buf += `${k + 1}\t${s}\t${values[s] + k * 1e-3}\t${ts}\n`;
      if (++rows === chunkRows) {
        chunks.push(buf);
        buf = "";
        rows = 0;
      }
    }
  }
  if (rows > 0) chunks.push(buf);
  return chunks;
}
