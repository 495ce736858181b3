import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DatasetProfiler } from "../../datasets/profiler.js";
import { SkewReport } from "../../schemas/checks.js";
import type { DatasetProfile } from "../../schemas/datasets.js";
import fixtures from "../fixtures/skew.json" with { type: "json" };
import { countDecileBins, jensenShannonDistance, lInfinityDistance } from "./distance.js";
import { checkSkew, signatureSkewColumns, skewVerdict } from "./skew.js";

const profileOf = (columns: Record<string, ArrayLike<unknown>>): DatasetProfile => {
  const p = new DatasetProfiler();
  p.addColumns(columns, Object.values(columns)[0]!.length);
  return p.finish().profile;
};

describe("skew against scipy/numpy fixtures", () => {
  for (const f of fixtures.numerical) {
    it(`numerical: ${f.name}`, () => {
      const training = profileOf({ x: f.training });
      // The profile's decile shares are the training bins numpy counts.
      expect(training.columns[0]!.numerical!.deciles.shares.map((s) => Math.round(s * f.training.length))).toEqual(f.trainingBins);
      const report = SkewReport.parse(checkSkew(training, { x: f.serving }));
      const col = report.columns[0]!;
      expect(col.method).toBe("jensenshannon");
      expect(col.distance).toBeCloseTo(f.jensenshannon, 12);
      expect(col.servingCount).toBe(f.serving.length);
      expect(col.skewed).toBe(f.jensenshannon >= 0.1);
      expect(report.passed).toBe(!col.skewed);
      expect(Array.from(countDecileBins(Float64Array.from(f.serving), f.serving.length, training.columns[0]!.numerical!.deciles.edges))).toEqual(f.servingBins);
    });
  }
  for (const f of fixtures.categorical) {
    it(`categorical: ${f.name}`, () => {
      const report = checkSkew(profileOf({ c: f.training }), { c: f.serving });
      expect(report.columns[0]!.method).toBe("linf");
      expect(report.columns[0]!.distance).toBeCloseTo(f.linf, 12);
      // The same from a profile of the serving data (complete categories: exact).
      expect(checkSkew(profileOf({ c: f.training }), profileOf({ c: f.serving })).columns[0]!.distance).toBeCloseTo(f.linf, 12);
    });
  }
  it("a serving profile estimates the bins from its sketch (exact for the ties case)", () => {
    const f = fixtures.numerical.find((x) => x.name === "ties")!;
    const col = checkSkew(profileOf({ x: f.training }), profileOf({ x: f.serving })).columns[0]!;
    expect(col.distance).toBeCloseTo(f.jensenshannon, 9);
    for (const g of fixtures.numerical) {
      const est = checkSkew(profileOf({ x: g.training }), profileOf({ x: g.serving })).columns[0]!.distance!;
      expect(Math.abs(est - g.jensenshannon)).toBeLessThan(0.02);
    }
  });
});

describe("checkSkew", () => {
  it("uses per-feature thresholds, excludes missing values and flags a feature absent at serving", () => {
    const training = profileOf({ a: ["x", "y", "x", "y", "", "x"], b: [1.5, 2.5, 3.5, 4.5, 5.5, 6.5], gone: ["p", "q", "p", "q", "p", "q"] });
    const r = checkSkew(training, { a: ["x", "x", "x", "y", "", ""], b: [1.5, 2.5, 3.5, 4.5, 5.5, 6.5] }, { thresholds: { a: 0.5 } });
    const a = r.columns.find((c) => c.column === "a")!;
    expect(a).toMatchObject({ method: "linf", threshold: 0.5, skewed: false, servingCount: 4, servingMissing: 2, trainingMissing: 1 });
    expect(a.distance).toBeCloseTo(0.75 - 0.6, 12);
    expect(r.columns.find((c) => c.column === "b")).toMatchObject({ distance: 0, skewed: false, status: "ok" });
    expect(r.columns.find((c) => c.column === "gone")).toMatchObject({ status: "missing_in_serving", skewed: true });
    expect(r.passed).toBe(false);
    expect(r.skewedColumns).toEqual(["gone"]);
  });
  it("treats a numerical column with at most 5 distinct values as categorical", () => {
    const r = checkSkew(profileOf({ n: [1, 2, 2, 3, 3, 3] }), { n: [1, 1, 1, 2, 3, 3] });
    expect(r.columns[0]).toMatchObject({ type: "categorical", method: "linf" });
    expect(r.columns[0]!.distance).toBeCloseTo(0.5 - 1 / 6, 12);
  });
  it("reports not enough data below 2 values, and a bad number with its column and row", () => {
    const training = profileOf({ x: [1, 2, 3, 4, 5, 6, 7, 8] });
    expect(checkSkew(training, { x: ["", "3"] }).columns[0]).toMatchObject({ status: "not_enough_data", distance: null, skewed: false });
    expect(() => checkSkew(training, { x: ["1", "two"] })).toThrow(/column "x", row 2: "two" is not a number/);
  });
});

describe("checkSkew on booleans and dates", () => {
  it("compares booleans by their shares and datetimes by JS over the training decile bins", () => {
    const b = checkSkew(profileOf({ b: ["true", "false", "true", "true"] }), { b: ["false", "no", "true", "0"] }).columns[0]!;
    expect(b).toMatchObject({ type: "categorical", method: "linf", servingCount: 4 });
    expect(b.distance).toBeCloseTo(0.5, 12);
    const day = (k: number) => new Date(Date.UTC(2024, 0, 1 + k)).toISOString();
    const training = profileOf({ d: Array.from({ length: 50 }, (_, i) => day(i)) });
    const same = checkSkew(training, { d: Array.from({ length: 50 }, (_, i) => day(i)) }).columns[0]!;
    expect(same).toMatchObject({ type: "numerical", method: "jensenshannon", skewed: false });
    // The profile stores shares, not counts: ~1e-16 rounding becomes ~1e-8 under the square root.
    expect(same.distance).toBeCloseTo(0, 7);
    const later = checkSkew(training, { d: Array.from({ length: 50 }, (_, i) => day(i + 19)) }).columns[0]!;
    expect(later.skewed).toBe(true);
    expect(later.worst).toBe("bin 10");
  });
});

describe("distance properties", () => {
  const counts = fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 12 });
  it("JS distance is symmetric, in [0, 1], and 0 against itself", () => {
    fc.assert(
      fc.property(counts, counts, (p0, q0) => {
        const n = Math.min(p0.length, q0.length);
        const p = p0.slice(0, n);
        const q = q0.slice(0, n);
        fc.pre(p.some((x) => x > 0) && q.some((x) => x > 0));
        const d = jensenShannonDistance(p, q);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(1 + 1e-12);
        expect(jensenShannonDistance(q, p)).toBeCloseTo(d, 12);
        expect(jensenShannonDistance(p, p)).toBeCloseTo(0, 7);
      }),
    );
  });
  it("L-infinity is at most 1, symmetric, and a scaled copy is at distance 0", () => {
    fc.assert(
      fc.property(counts, fc.integer({ min: 1, max: 9 }), (p, k) => {
        fc.pre(p.some((x) => x > 0));
        expect(lInfinityDistance(p, p.map((x) => x * k)).distance).toBeCloseTo(0, 12);
        const q = [...p].reverse();
        expect(lInfinityDistance(p, q).distance).toBeCloseTo(lInfinityDistance(q, p).distance, 12);
        expect(lInfinityDistance(p, q).distance).toBeLessThanOrEqual(1);
      }),
    );
  });
  it("serving data drawn from the training data itself is not skewed", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 20, maxLength: 300 }), (xs) => {
        const r = checkSkew(profileOf({ x: xs }), { x: xs });
        expect(r.columns[0]!.distance).toBeCloseTo(0, 7);
        expect(r.passed).toBe(true);
      }),
    );
  });
});

describe("signatureSkewColumns and skewVerdict", () => {
  // 60 rows: a column of 60 distinct strings is text, not categorical.
  const n = 60;
  const training = profileOf({
    x: Array.from({ length: n }, (_, i) => i + 0.5),
    city: Array.from({ length: n }, (_, i) => "abc"[i % 3]),
    note: Array.from({ length: n }, (_, i) => `free text ${i}`),
    label: Array.from({ length: n }, (_, i) => i % 2),
  });

  it("compares the signature's inputs the training profile can compare, never the label or a text column", () => {
    expect(training.columns.find((c) => c.name === "note")?.type).toBe("text");
    expect(signatureSkewColumns(training, [{ name: "x" }, { name: "city" }, { name: "note" }, { name: "not-trained" }])).toEqual(["x", "city"]);
    expect(signatureSkewColumns(training, [{ name: "note" }])).toBeUndefined();
    expect(signatureSkewColumns(training, undefined)).toBeUndefined();
  });

  it("fails on a skewed or missing feature, passes when a feature was judged, else has no verdict", () => {
    const serving = { x: Array.from({ length: n }, (_, i) => i + 0.5), city: Array.from({ length: n }, (_, i) => "abc"[i % 3]) };
    expect(skewVerdict(checkSkew(training, serving, { columns: ["x", "city"] }))).toBe("passed");
    expect(skewVerdict(checkSkew(training, { x: serving.x }, { columns: ["x", "city"] }))).toBe("failed");
    expect(skewVerdict(checkSkew(training, { x: [1.5], city: ["a"] }, { columns: ["x", "city"] }))).toBe("not_enough_data");
  });
});
