// Loading, splitting and standardising the Palmer penguins data set.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/** The four numeric columns we train on, as named in vega-datasets, with short names for logging. */
export const FEATURES = [
  { column: "Beak Length (mm)", name: "bill_length_mm" },
  { column: "Beak Depth (mm)", name: "bill_depth_mm" },
  { column: "Flipper Length (mm)", name: "flipper_length_mm" },
  { column: "Body Mass (g)", name: "body_mass_g" },
];

/**
 * Read penguins.json from the installed vega-datasets package (no network).
 * The package only exports its entry point, so we locate the data folder beside it.
 */
export async function loadPenguins() {
  const entry = fileURLToPath(import.meta.resolve("vega-datasets"));
  const file = new URL("../data/penguins.json", `file://${entry}`);
  return JSON.parse(await readFile(file, "utf8"));
}

/**
 * Turn raw records into a dense design matrix, dropping rows with any missing value.
 * `rows` are the records kept, in matrix order (what gets logged as the dataset).
 * @returns {{ x: Float64Array, y: Int32Array, n: number, d: number, classes: string[], rows: object[] }}
 */
export function toMatrix(records) {
  const rows = records.filter(
    (r) => typeof r.Species === "string" && FEATURES.every((f) => Number.isFinite(r[f.column])),
  );
  const classes = [...new Set(rows.map((r) => r.Species))].sort();
  const d = FEATURES.length;
  const x = new Float64Array(rows.length * d);
  const y = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    FEATURES.forEach((f, j) => (x[i * d + j] = r[f.column]));
    y[i] = classes.indexOf(r.Species);
  });
  return { x, y, n: rows.length, d, classes, rows };
}

/** mulberry32: a tiny, fast, seedable PRNG returning floats in [0, 1). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle in place with the given random source. */
export function shuffle(arr, random) {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [arr[i], arr[j]] = [arr[j], arr[i]];
  }
  return arr;
}

/**
 * Stratified split: each class contributes the same fraction of its rows to validation,
 * so a rare class (Chinstrap) is represented in both sets.
 * @returns {{ train: number[], val: number[] }} row indices
 */
export function stratifiedSplit(y, valFraction, random) {
  const byClass = new Map();
  y.forEach((c, i) => byClass.set(c, [...(byClass.get(c) ?? []), i]));
  const train = [];
  const val = [];
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const idx = shuffle(byClass.get(c), random);
    const nVal = Math.round(idx.length * valFraction);
    val.push(...idx.slice(0, nVal));
    train.push(...idx.slice(nVal));
  }
  return { train: shuffle(train, random), val: shuffle(val, random) };
}

/** Copy the given rows out of a row-major matrix. */
export function take({ x, y, d }, rows) {
  const xs = new Float64Array(rows.length * d);
  const ys = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    xs.set(x.subarray(r * d, (r + 1) * d), i * d);
    ys[i] = y[r];
  });
  return { x: xs, y: ys, n: rows.length, d };
}

/** Mean and standard deviation of each column, to be fitted on the training rows only. */
export function fitStandardiser({ x, n, d }) {
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j] / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) std[j] += (x[i * d + j] - mean[j]) ** 2 / n;
  for (let j = 0; j < d; j++) std[j] = Math.sqrt(std[j]) || 1;
  return { mean, std };
}

/** Apply (x - mean) / std column-wise, returning a new matrix. */
export function standardise({ x, y, n, d }, { mean, std }) {
  const out = new Float64Array(x.length);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) out[i * d + j] = (x[i * d + j] - mean[j]) / std[j];
  return { x: out, y, n, d };
}
