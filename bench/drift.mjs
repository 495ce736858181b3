#!/usr/bin/env node
// Drift speed (issue 5): 1,000,000 current rows × 10 numerical columns against 1,000,000
// reference rows with every method that applies to numbers (target ≤ 2 s each, one core),
// and PSI / Jensen–Shannon of a 100,000-row window against a stored profile (target ≤ 50 ms).
// Baseline measured in the same run: a plain Float64Array.prototype.sort of the same 20 arrays.
//
//   node bench/drift.mjs [--rows=N] [--window=N] [--reps=N] [--json]      (needs packages/core built; run.mjs runs it)
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");

export const DRIFT_TARGETS = { perMethodMs: 2000, profileWindowMs: 50 };
const METHODS = ["ks", "wasserstein", "psi", "jensenshannon"];

function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** 10 columns of mixed shapes; `shift` moves the current sample a little (realistic drift, not all-or-nothing). */
function generate(rows, seed, shift) {
  const rand = rng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
  const cols = {};
  for (let c = 0; c < 10; c++) {
    const col = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      const u = rand();
      const v = c % 3 === 0 ? normal() * 10 + 50 : c % 3 === 1 ? -Math.log(1 - u) * 3 : Math.round(u * 1e5) / 100;
      col[i] = v + shift * c * 0.01;
    }
    cols[`num_${c}`] = col;
  }
  return cols;
}

const best = (reps, fn) => {
  let ms = Number.POSITIVE_INFINITY;
  let out;
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    out = fn();
    ms = Math.min(ms, performance.now() - t);
  }
  return { ms, out };
};
const r1 = (x) => Math.round(x * 10) / 10;

export async function driftBenchmark({ rows = 1_000_000, window = 100_000, reps = 2 } = {}) {
  const core = await import(pathToFileURL(path.join(root, "packages/core/dist/index.js")).href);
  const reference = generate(rows, 7, 0);
  const current = generate(rows, 11, 1);
  const methods = {};
  for (const method of METHODS) {
    const r = best(reps, () => core.detectDrift(reference, current, { method }));
    methods[method] = { ms: Math.round(r.ms), driftedShare: r.out.driftedShare, statistics: r.out.columns.map((c) => c.statistic) };
  }
  const sortBaseline = best(reps, () => {
    for (const name of Object.keys(reference)) {
      reference[name].slice().sort();
      current[name].slice().sort();
    }
  });
  // A stored profile of the reference, then a production-sized window against it.
  const profiler = new core.DatasetProfiler();
  profiler.addColumns(reference, rows);
  const profile = profiler.finish().profile;
  const win = Object.fromEntries(Object.entries(current).map(([k, v]) => [k, v.subarray(0, window)]));
  const profileMethods = {};
  for (const method of ["psi", "jensenshannon"]) {
    const r = best(Math.max(reps, 5), () => core.driftAgainstProfile(profile, win, { method }));
    profileMethods[method] = { ms: r1(r.ms), driftedShare: r.out.driftedShare };
  }
  const worst = Math.max(...Object.values(methods).map((m) => m.ms));
  const worstProfile = Math.max(...Object.values(profileMethods).map((m) => m.ms));
  return {
    rows,
    columns: 10,
    window,
    methods,
    sortBaselineMs: Math.round(sortBaseline.ms),
    profileWindow: profileMethods,
    targets: DRIFT_TARGETS,
    pass: worst <= DRIFT_TARGETS.perMethodMs && worstProfile <= DRIFT_TARGETS.profileWindowMs,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const opt = (name, dflt) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? dflt);
  const r = await driftBenchmark({ rows: opt("rows", 1_000_000), window: opt("window", 100_000), reps: opt("reps", 2) });
  console.log(process.argv.includes("--json") ? JSON.stringify(r) : JSON.stringify(r, (k, v) => (k === "statistics" ? v.map((x) => Math.round(x * 1e4) / 1e4) : v), 2));
}
