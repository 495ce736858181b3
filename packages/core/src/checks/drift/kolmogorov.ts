/**
 * Survival function of the one-sample two-sided Kolmogorov–Smirnov statistic D_n
 * (scipy.stats.kstwo.sf), which ks_2samp uses with n = round(n1·n2/(n1+n2)) when the
 * samples are too large for the exact two-sample distribution. The algorithm choice per
 * (n, x) region follows Simard & L'Ecuyer (2011) as scipy does, so p-values agree with
 * scipy's to ~1e-10: Ruben–Gambino at the ends, the Durbin matrix (Marsaglia–Tsang–Wang),
 * Pomeranz's recursion, 2 × Smirnov's one-sided tail, and Pelz–Good for large n.
 */

const E128 = 128;
const P128 = 2 ** 128;
const M128 = 2 ** -128;
const MIN_LOG = -708.3964185322641;
const SMIRNOV_MAX_COMPUTE_N = 1_000_000;

/** One-sided Smirnov tail P(D+_n ≥ x) by the exact Birnbaum–Tingey sum, in logs. */
export function smirnovSf(n: number, x: number): number {
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  if (n === 1) return x;
  if (-2 * n * x * x < MIN_LOG) return 0;
  // Beyond a million terms scipy (cephes) switches to p ≈ exp(−(6nx + 1)² / 18n); so do we, to agree.
  if (n > SMIRNOV_MAX_COMPUTE_N) return Math.exp(-((6 * n * x + 1) ** 2) / 18 / n);
  const last = Math.floor(n * (1 - x));
  let logBinom = 0; // ln C(n, j), updated term by term
  let sum = 0;
  for (let j = 0; j <= last; j++) {
    if (j > 0) logBinom += Math.log((n - j + 1) / j);
    const a = (n - j - n * x) / n; // 1 − x − j/n without the cancellation of 1 − x first
    const b = x + j / n;
    if (a <= 0) continue;
    const term = Math.exp(logBinom + (n - j) * Math.log(a) + (j - 1) * Math.log(b));
    sum += term;
    // Past the peak the terms only shrink: stop once the rest cannot reach the last bit (as cephes).
    if (term !== 0 && 4 * (last - j) * term < Number.EPSILON * sum) break;
  }
  return Math.min(1, Math.max(0, x * sum));
}

/** Pr(D_n ≤ d), Durbin's matrix as Marsaglia, Tsang and Wang compute it: O(m² log n), m = 2k − 1. */
function durbinCdf(n: number, d: number): number {
  if (d >= 1) return 1;
  const nd = n * d;
  if (nd <= 0.5) return 0;
  const k = Math.ceil(nd);
  const h = k - nd;
  const m = 2 * k - 1;
  let H = new Float64Array(m * m);
  const v = new Float64Array(m);
  const w = new Float64Array(m);
  let fac = 1;
  for (let j = 1; j <= m; j++) {
    w[j - 1] = fac;
    fac /= j;
    v[j - 1] = (1 - h ** j) * fac;
  }
  v[m - 1] = (1 + (Math.max(2 * h - 1, 0) ** m - 2 * h ** m)) * fac;
  for (let i = 1; i < m; i++) for (let r = i - 1; r < m; r++) H[r * m + i] = w[r - i + 1]!;
  for (let r = 0; r < m; r++) H[r * m] = v[r]!;
  for (let c = 0; c < m; c++) H[(m - 1) * m + c] = v[m - 1 - c]!;
  let P = new Float64Array(m * m);
  for (let i = 0; i < m; i++) P[i * m + i] = 1;
  let expnt = 0;
  let hExpnt = 0;
  for (let nn = n; nn > 0; nn = Math.floor(nn / 2)) {
    if (nn % 2) {
      P = matmul(P, H, m);
      expnt += hExpnt;
    }
    H = matmul(H, H, m);
    hExpnt *= 2;
    if (Math.abs(H[(k - 1) * m + (k - 1)]!) > P128) {
      for (let i = 0; i < m * m; i++) H[i]! /= P128;
      hExpnt += E128;
    }
  }
  let p = P[(k - 1) * m + (k - 1)]!;
  for (let i = 1; i <= n; i++) {
    p = (i * p) / n;
    if (Math.abs(p) < M128) {
      p *= P128;
      expnt -= E128;
    }
  }
  return clip(expnt !== 0 ? p * 2 ** expnt : p);
}

function matmul(a: Float64Array, b: Float64Array, m: number): Float64Array<ArrayBuffer> {
  const out = new Float64Array(m * m);
  for (let i = 0; i < m; i++)
    for (let l = 0; l < m; l++) {
      const x = a[i * m + l]!;
      if (x === 0) continue;
      for (let j = 0; j < m; j++) out[i * m + j]! += x * b[l * m + j]!;
    }
  return out;
}

function pomeranzBounds(i: number, n: number, ll: number, ceilf: number, roundf: number): [number, number] {
  let j1: number;
  let j2: number;
  if (i === 0) [j1, j2] = [-ll - ceilf - 1, ll + ceilf - 1];
  else {
    const half = Math.floor((i + 1) / 2);
    if ((i + 1) % 2 === 0) {
      if (half === n + 1) [j1, j2] = [n - ll - ceilf - 1, n + ll + ceilf - 1];
      else [j1, j2] = [half - 1 - ll - roundf - 1, half + ll - 1 + ceilf - 1];
    } else [j1, j2] = [half - 1 - ll - 1, half + ll + roundf - 1];
  }
  return [Math.max(j1 + 2, 0), Math.min(j2, n)];
}

/** Pr(D_n ≤ x) by Pomeranz's recursion (1974): rows are convolutions with Poisson-like weights. */
function pomeranzCdf(n: number, x: number): number {
  const t = n * x;
  const ll = Math.floor(t);
  const f = t - ll;
  const g = Math.min(f, 1 - f);
  const ceilf = f > 0 ? 1 : 0;
  const roundf = f > 0.5 ? 1 : 0;
  const npwrs = 2 * (ll + 1);
  const gp = new Float64Array(npwrs);
  const g2p = new Float64Array(npwrs);
  const g12p = new Float64Array(npwrs);
  gp[0] = g2p[0] = g12p[0] = 1;
  for (let m = 1; m < npwrs; m++) {
    gp[m] = (gp[m - 1]! * (g / n)) / m;
    g2p[m] = (g2p[m - 1]! * ((2 * g) / n)) / m;
    g12p[m] = (g12p[m - 1]! * ((1 - 2 * g) / n)) / m;
  }
  let V0 = new Float64Array(npwrs);
  let V1 = new Float64Array(npwrs);
  V1[0] = 1;
  let V0s = 0;
  let V1s = 0;
  let expnt = 0;
  let [j1] = pomeranzBounds(0, n, ll, ceilf, roundf);
  for (let i = 1; i < 2 * n + 2; i++) {
    const k1 = j1;
    [V0, V1] = [V1, V0];
    [V0s, V1s] = [V1s, V0s];
    V1.fill(0);
    const [nj1, j2] = pomeranzBounds(i, n, ll, ceilf, roundf);
    j1 = nj1;
    const pw = i === 1 || i === 2 * n + 1 ? gp : i % 2 ? g2p : g12p;
    const len = j2 - k1 + 1;
    if (len > 0) {
      // conv[c] = Σ V0[k1 − V0s + a]·pw[c − a]; we need c in [j1 − k1, j2 − k1].
      // numpy slices stop at the array's end.
      const lenA = Math.min(len, npwrs - (k1 - V0s));
      const lenB = Math.min(len, npwrs);
      const from = j1 - k1;
      const count = j2 - j1 + 1;
      let max = 0;
      for (let c = from; c < from + count; c++) {
        let s = 0;
        for (let a = Math.max(0, c - lenB + 1); a <= Math.min(c, lenA - 1); a++) s += V0[k1 - V0s + a]! * pw[c - a]!;
        V1[c - from] = s;
        if (s > max) max = s;
      }
      if (max > 0 && max < M128) {
        for (let c = 0; c < count; c++) V1[c]! *= P128;
        expnt -= E128;
      }
      V1s = V0s + j1 - k1;
    }
  }
  let ans = V1[n - V1s]!;
  for (let m = 1; m <= n; m++) {
    if (Math.abs(ans) > P128) {
      ans *= M128;
      expnt += E128;
    }
    ans *= m;
  }
  return clip(expnt !== 0 ? ans * 2 ** expnt : ans);
}

/** Pelz–Good (1976) asymptotic series for Pr(D_n ≤ x). */
function pelzGoodCdf(n: number, x: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const qlog = -(Math.PI ** 2) / 8 / z2;
  if (qlog < MIN_LOG) return 0;
  let q = Math.exp(qlog);
  const pi2 = Math.PI ** 2;
  const pi4 = pi2 * pi2;
  const pi6 = pi4 * pi2;
  const k1a = -z2;
  const k1b = pi2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * pi2) / 4;
  const k2c = (pi4 * (1 - 2 * z2)) / 16;
  const k3d = (pi6 * (5 - 30 * z2)) / 64;
  const k3c = (pi4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (pi2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  const K = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let k = maxk; k > 0; k--) {
    const m = 2 * k - 1;
    const m2 = m * m;
    const m4 = m2 * m2;
    const m6 = m4 * m2;
    const qp = q ** (8 * k);
    const coeffs = [1, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4, k3a + k3b * m2 + k3c * m4 + k3d * m6];
    for (let i = 0; i < 4; i++) K[i] = K[i]! * qp + coeffs[i]!;
  }
  const sqrt2pi = Math.sqrt(2 * Math.PI);
  const div = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let i = 0; i < 4; i++) K[i] = (K[i]! * q * sqrt2pi) / div[i]!;
  q = Math.exp(-pi2 / 2 / z2);
  let k2extra = 0;
  let k3extra = 0;
  const sqrt3z = Math.sqrt(3) * z;
  for (let k = maxk; k > 0; k--) {
    const k2 = k * k;
    const qk = q ** k2;
    k2extra += k2 * qk;
    k3extra += (sqrt3z + Math.PI * k) * (sqrt3z - Math.PI * k) * k2 * qk;
  }
  K[2] = K[2]! + (k2extra * pi2 * sqrt2pi) / (-36 * z ** 3);
  K[3] = K[3]! + (k3extra * pi2 * sqrt2pi) / (216 * z6);
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += K[i]! / n ** (i / 2);
  return sum;
}

const clip = (p: number) => Math.min(1, Math.max(0, p));

/** ln(n! / nⁿ) by Stirling's series. */
function logFactorialOverPower(n: number): number {
  // B₂ⱼ / (2j(2j − 1)) for j = 8 … 1.
  const c = [-3617 / 122400, 1 / 156, -691 / 360360, 1 / 1188, -1 / 1680, 1 / 1260, -1 / 360, 1 / 12];
  const rn = 1 / n;
  let poly = 0;
  for (const x of c) poly = poly * (rn / n) + x;
  return Math.log(n) / 2 - n + Math.log(2 * Math.PI) / 2 + rn * poly;
}

/** scipy.stats.kstwo.sf(x, n): P(D_n ≥ x) for integer n ≥ 1. */
export function kolmogorovSf(n: number, x: number): number {
  if (!(n >= 1) || !Number.isInteger(n)) return Number.NaN;
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 1) {
    if (t <= 0.5) return 1;
    let cdf: number;
    if (n <= 140) {
      cdf = 1;
      for (let i = 1; i <= n; i++) cdf *= i * (1 / n) * (2 * t - 1);
    } else cdf = Math.exp(logFactorialOverPower(n) + n * Math.log(2 * t - 1));
    return clip(1 - cdf);
  }
  if (t >= n - 1) return clip(2 * (1 - x) ** n);
  if (x >= 0.5) return clip(2 * smirnovSf(n, x));
  const nxx = t * x;
  if (n <= 140) {
    if (nxx <= 0.754693) return clip(1 - durbinCdf(n, x));
    if (nxx <= 4) return clip(1 - pomeranzCdf(n, x));
    return clip(2 * smirnovSf(n, x));
  }
  if (nxx >= 370) return 0;
  if (nxx >= 2.2) return clip(2 * smirnovSf(n, x));
  const cdf = nxx >= 18 ? 1 : n <= 100_000 && n * x ** 1.5 <= 1.4 ? durbinCdf(n, x) : pelzGoodCdf(n, x);
  return clip(1 - clip(cdf));
}
