// The Palmer penguins from vega-datasets: loading, cleaning, a seeded split and a shifted sample.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/** The label and its two classes; MALE is the positive class of every check. */
export const LABEL = "Sex";
export const POSITIVE = "MALE";
export const NEGATIVE = "FEMALE";
/** The sensitive column of the bias check: where a penguin lives should not decide its predicted sex. */
export const SENSITIVE = "Island";

export const MEASUREMENTS = ["Beak Length (mm)", "Beak Depth (mm)", "Flipper Length (mm)", "Body Mass (g)"];

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
 * Keep the rows a model can learn from: every measurement present and a known sex. The raw
 * table has 11 rows without a sex (null, and one ".") and 2 without measurements.
 */
export function cleanRows(records) {
  return records.filter(
    (r) =>
      (r[LABEL] === POSITIVE || r[LABEL] === NEGATIVE) &&
      typeof r.Species === "string" &&
      typeof r.Island === "string" &&
      MEASUREMENTS.every((c) => Number.isFinite(r[c])),
  );
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
 * Split rows into train and test, stratified by species, island and sex so each of the ten groups
 * contributes the same share to the test set (the test set must hold every kind of penguin
 * for the bias check to mean anything). The same seed gives the same split.
 * @returns {{ train: object[], test: object[] }}
 */
export function split(rows, testFraction, seed) {
  const random = rng(seed);
  const strata = new Map();
  for (const r of rows) {
    const key = `${r.Species}/${r.Island}/${r[LABEL]}`;
    strata.set(key, [...(strata.get(key) ?? []), r]);
  }
  const train = [];
  const test = [];
  for (const key of [...strata.keys()].sort()) {
    const group = shuffle([...strata.get(key)], random);
    const nTest = Math.round(group.length * testFraction);
    test.push(...group.slice(0, nTest));
    train.push(...group.slice(nTest));
  }
  return { train: shuffle(train, random), test: shuffle(test, random) };
}

/**
 * A sample as serving might see it after the world moved: heavier birds (+15 % body mass) and
 * longer bills (+3 mm), everything else as it was. The drift check must notice these two columns.
 */
export function shifted(rows) {
  return rows.map((r) => ({
    ...r,
    "Body Mass (g)": Math.round(r["Body Mass (g)"] * 1.15),
    "Beak Length (mm)": Math.round((r["Beak Length (mm)"] + 3) * 10) / 10,
  }));
}

/** The columns a model sees (no label): what the drift check compares. */
export function features(rows) {
  return rows.map((r) => {
    const out = { Species: r.Species, Island: r.Island };
    for (const c of MEASUREMENTS) out[c] = r[c];
    return out;
  });
}
