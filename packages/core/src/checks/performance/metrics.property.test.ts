import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { classificationMetrics } from "./classification.js";
import { regressionMetrics } from "./regression.js";
import { binaryRocAuc } from "./scores.js";

/** Rows of (label, prediction, score) with few distinct scores, so ties are common. */
const binaryRows = fc.array(
  fc.record({
    y: fc.integer({ min: 0, max: 1 }),
    p: fc.integer({ min: 0, max: 1 }),
    s: fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 4 }).map((v) => v / 4)),
  }),
  { minLength: 2, maxLength: 200 },
);

const run = (rows: { y: number; p: number; s: number }[], map: (v: number) => string | number | boolean = (v) => v, positive?: string | number | boolean) =>
  classificationMetrics({
    labels: rows.map((r) => map(r.y)),
    predictions: rows.map((r) => map(r.p)),
    scores: rows.map((r) => r.s),
    positive,
  });

const near = (a: number | null, b: number | null) => {
  if (a === null || b === null) return expect(a).toBe(b);
  expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(b)));
};

describe("classification metrics: properties", () => {
  it("every ratio is in [0, 1] and the confusion matrix sums to the row count", () => {
    fc.assert(
      fc.property(binaryRows, (rows) => {
        const r = run(rows);
        for (const v of [r.accuracy, r.precision, r.recall, r.f1, r.macroPrecision, r.macroRecall, r.macroF1, r.rocAuc]) {
          if (v !== null) expect(v >= 0 && v <= 1).toBe(true);
        }
        expect(r.logLoss! >= 0).toBe(true);
        expect(r.confusionMatrix.matrix.flat().reduce((a, b) => a + b, 0)).toBe(rows.length);
      }),
    );
  });

  it("ROC AUC equals the brute-force pair count (ties count one half)", () => {
    fc.assert(
      fc.property(binaryRows, (rows) => {
        let pos = 0;
        let neg = 0;
        let wins = 0;
        for (const a of rows) {
          if (a.y !== 1) continue;
          pos++;
          for (const b of rows) if (b.y === 0) wins += a.s > b.s ? 1 : a.s === b.s ? 0.5 : 0;
        }
        for (const b of rows) if (b.y === 0) neg++;
        const auc = run(rows).rocAuc;
        if (pos === 0 || pos === rows.length) expect(auc).toBeNull();
        else near(auc, wins / (pos * neg));
      }),
    );
  });

  it("reversing the score gives 1 − AUC", () => {
    fc.assert(
      fc.property(binaryRows, (rows) => {
        const a = run(rows).rocAuc;
        const b = run(rows.map((r) => ({ ...r, s: -r.s }))).rocAuc;
        if (a === null) expect(b).toBeNull();
        else near(b, 1 - a);
      }),
    );
  });

  it("is invariant under row permutation", () => {
    fc.assert(
      fc.property(binaryRows, fc.integer(), (rows, seed) => {
        const shuffled = rows.map((r, i) => ({ r, k: Math.sin(seed + i * 12.9898) })).sort((a, b) => a.k - b.k).map((x) => x.r);
        const a = run(rows);
        const b = run(shuffled);
        for (const key of ["accuracy", "precision", "recall", "f1", "macroF1", "rocAuc", "logLoss"] as const) near(b[key], a[key]);
        expect(b.confusionMatrix).toEqual(a.confusionMatrix);
      }),
    );
  });

  it("is invariant under relabelling when the positive class follows the labels", () => {
    fc.assert(
      fc.property(binaryRows, (rows) => {
        const a = run(rows, (v) => v, 1);
        const b = run(rows, (v) => (v === 1 ? "yes" : "no"), "yes");
        const c = run(rows, (v) => v === 1, true);
        for (const key of ["accuracy", "precision", "recall", "f1", "macroF1", "rocAuc", "logLoss"] as const) {
          near(b[key], a[key]);
          near(c[key], a[key]);
        }
      }),
    );
  });

  it("reports not enough data below 2 rows", () => {
    const r = classificationMetrics({ labels: [1, null], predictions: [1, 0] });
    expect(r.status).toBe("not_enough_data");
    expect(r.accuracy).toBeNull();
    expect(r.missing).toBe(1);
  });

  it("a large tied sample stays exact and O(n log n)", () => {
    const n = 1_000_000;
    const scores = new Float64Array(n);
    const positive = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      scores[i] = (i * 7919) % 1000;
      positive[i] = i % 3 === 0 ? 1 : 0;
    }
    const t = performance.now();
    const auc = binaryRocAuc(scores, positive);
    expect(performance.now() - t).toBeLessThan(2000);
    expect(auc).toBeGreaterThan(0.45);
    expect(auc).toBeLessThan(0.55);
  });
});

describe("regression metrics: properties", () => {
  // Rounded to 1e-3 so squared errors do not underflow (a subnormal error squares to 0: RMSE < MAE in sklearn too).
  const value = fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((v) => Math.round(v * 1e3) / 1e3);
  const rows = fc.array(fc.tuple(value, value), { minLength: 2, maxLength: 200 });
  it("MAE ≤ RMSE, R² ≤ 1, MAPE ≥ 0, and perfect predictions score perfectly", () => {
    fc.assert(
      fc.property(rows, (pairs) => {
        const r = regressionMetrics({ labels: pairs.map((p) => p[0]), predictions: pairs.map((p) => p[1]) });
        expect(r.mae! <= r.rmse! * (1 + 1e-12)).toBe(true);
        expect(r.r2! <= 1).toBe(true);
        expect(r.mape! >= 0).toBe(true);
        const perfect = regressionMetrics({ labels: pairs.map((p) => p[0]), predictions: pairs.map((p) => p[0]) });
        expect([perfect.mae, perfect.rmse, perfect.mape, perfect.r2]).toEqual([0, 0, 0, 1]);
      }),
    );
  });
});
