export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
export const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
export const round = (x, d = 1) => (x === null || x === undefined || !Number.isFinite(x) ? x : Math.round(x * 10 ** d) / 10 ** d);
export const now = () => performance.now();
export const yieldNow = () => new Promise((r) => setImmediate(r));
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Times `fn` `n` times after `warmup` untimed calls; returns ms samples. */
export async function timeMany(fn, { n = 11, warmup = 2 } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  const out = [];
  for (let i = 0; i < n; i++) {
    const t = now();
    await fn();
    out.push(now() - t);
  }
  return out;
}

export function summary(samples) {
  return {
    medianMs: round(median(samples), 2),
    minMs: round(Math.min(...samples), 2),
    p90Ms: round(quantile(samples, 0.9), 2),
    n: samples.length,
  };
}
