#!/usr/bin/env node
// Dataset profiling speed (issue 4): 1,000,000 rows × 10 columns (5 numerical, 5 categorical),
// from columnar arrays (target ≤ 1 s) and from CSV text (target ≤ 3 s), on one core, including
// the content digest with node:crypto sha256. Baselines measured in the same run: a plain
// Float64Array.sort of the same numerical values, and papaparse parsing the same CSV text.
//
//   node bench/profile.mjs [--rows=N] [--reps=N] [--json]      (needs packages/core built; run.mjs runs it)
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");

export const PROFILE_TARGETS = { columnarMs: 1000, csvMs: 3000 };

const sha256 = () => {
  const h = createHash("sha256");
  return { update: (b) => void h.update(b), digest: () => h.digest("hex") };
};

/** Deterministic data: mixed distributions for numbers, skewed small domains for categories. */
function generate(rows) {
  let s = 0x9e3779b9;
  const rand = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
  const numeric = [];
  for (let c = 0; c < 5; c++) {
    const col = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      const u = rand();
      col[i] = c === 0 ? Math.round(u * 1e6) / 100 : c === 1 ? Math.floor(u * 100) : c === 2 ? -Math.log(1 - u) * 3.5 : c === 3 ? Math.round((u - 0.5) * 2e5) / 1e3 : Math.round(Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * u) * 1e4) / 1e4;
    }
    numeric.push(col);
  }
  const domains = [5, 12, 50, 200, 1000].map((k, c) => Array.from({ length: k }, (_, i) => `cat${c}_${i.toString(36)}`));
  const categorical = domains.map((d) => {
    const col = new Array(rows);
    for (let i = 0; i < rows; i++) col[i] = d[Math.floor(rand() ** 2 * d.length)];
    return col;
  });
  return { numeric, categorical };
}

function toCsv({ numeric, categorical }, rows) {
  const names = [...numeric.map((_, c) => `num_${c}`), ...categorical.map((_, c) => `cat_${c}`)];
  const lines = [names.join(",")];
  for (let i = 0; i < rows; i++) {
    const cells = [];
    for (const col of numeric) cells.push(String(col[i]));
    for (const col of categorical) cells.push(col[i]);
    lines.push(cells.join(","));
  }
  return `${lines.join("\n")}\n`;
}

const time = (fn) => {
  const t = performance.now();
  const out = fn();
  return { ms: performance.now() - t, out };
};
const best = (reps, fn) => {
  let min = Number.POSITIVE_INFINITY;
  let out;
  for (let i = 0; i < reps; i++) {
    const r = time(fn);
    if (r.ms < min) min = r.ms;
    out = r.out;
  }
  return { ms: min, out };
};

export async function profileBenchmark({ rows = 1_000_000, reps = 3 } = {}) {
  const core = await import(pathToFileURL(path.join(root, "packages/core/dist/index.js")).href);
  const Papa = createRequire(path.join(root, "packages/core/package.json"))("papaparse");
  const data = generate(rows);
  const csv = toCsv(data, rows);
  const columns = {};
  data.numeric.forEach((col, c) => (columns[`num_${c}`] = col));
  data.categorical.forEach((col, c) => (columns[`cat_${c}`] = col));

  const columnar = best(reps, () => {
    const p = new core.DatasetProfiler({ digest: sha256 });
    p.addColumns(columns, rows);
    return p.finish();
  });
  const CHUNK_CHARS = 1 << 18;
  const BATCH_ROWS = 8192;
  const fromCsv = best(reps, () => {
    const parser = new core.CsvParser();
    const p = new core.DatasetProfiler({ digest: sha256 });
    const drain = (all) => {
      for (let b = parser.take(BATCH_ROWS); b && (all || b.rowCount === BATCH_ROWS); b = parser.pendingRows >= BATCH_ROWS || all ? parser.take(BATCH_ROWS) : undefined) p.addColumns(b.columns, b.rowCount);
    };
    for (let i = 0; i < csv.length; i += CHUNK_CHARS) {
      parser.push(csv.slice(i, i + CHUNK_CHARS));
      if (parser.pendingRows >= BATCH_ROWS) drain(false);
    }
    parser.end();
    drain(true);
    return p.finish();
  });
  const parseOnly = best(reps, () => {
    const parser = new core.CsvParser();
    for (let i = 0; i < csv.length; i += CHUNK_CHARS) {
      parser.push(csv.slice(i, i + CHUNK_CHARS));
      parser.take();
    }
    parser.end();
    return parser.take();
  });
  const sortBaseline = best(reps, () => {
    for (const col of data.numeric) col.slice().sort();
  });
  const papaBaseline = best(Math.min(reps, 2), () => Papa.parse(csv, { header: true }).data.length);

  const sameDigest = columnar.out.digest === fromCsv.out.digest;
  const mb = csv.length / 1e6;
  return {
    rows,
    columns: 10,
    csvMB: Math.round(mb * 10) / 10,
    columnarMs: Math.round(columnar.ms),
    csvMs: Math.round(fromCsv.ms),
    csvParseMBps: Math.round(mb / (parseOnly.ms / 1000)),
    sortBaselineMs: Math.round(sortBaseline.ms),
    papaparseMs: Math.round(papaBaseline.ms),
    columnarVsSort: Math.round((columnar.ms / sortBaseline.ms) * 100) / 100,
    csvVsPapaparse: Math.round((fromCsv.ms / papaBaseline.ms) * 100) / 100,
    sameDigest,
    rowCountOk: columnar.out.rowCount === rows && fromCsv.out.rowCount === rows,
    targets: PROFILE_TARGETS,
    pass: columnar.ms <= PROFILE_TARGETS.columnarMs && fromCsv.ms <= PROFILE_TARGETS.csvMs && sameDigest,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const opt = (name, dflt) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? dflt);
  const r = await profileBenchmark({ rows: opt("rows", 1_000_000), reps: opt("reps", 3) });
  console.log(process.argv.includes("--json") ? JSON.stringify(r) : r);
}
