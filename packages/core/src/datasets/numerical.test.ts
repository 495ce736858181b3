import fc from "fast-check";
import { describe, expect, it } from "vitest";
import fixtures from "./fixtures/numpy.json" with { type: "json" };
import { numericalFromSorted, quantileSorted } from "./numerical.js";
import { sortFloat64 } from "./sort.js";

const stats = (values: number[], bins = 20) => {
  const sorted = sortFloat64(Float64Array.from(values));
  return numericalFromSorted(sorted, sorted.length, 0, bins);
};

describe("exact figures against numpy (fixtures/make-numpy-fixtures.py)", () => {
  for (const [name, f] of Object.entries(fixtures)) {
    it(name, () => {
      const s = stats(f.values);
      const q = s.quantiles;
      expect([q.p1, q.p5, q.p25, q.p50, q.p75, q.p95, q.p99]).toEqual(f.quantiles);
      expect(s.deciles.edges).toEqual(f.decileEdges);
      expect(s.deciles.shares).toEqual(f.decileShares);
      expect(s.histogram.counts).toEqual(f.histogramCounts);
      s.histogram.edges.forEach((e, i) => expect(e).toBeCloseTo(f.histogramEdges[i]!, 9));
      expect(s.mean).toBeCloseTo(f.mean, 10);
      expect(s.std).toBeCloseTo(f.std, 10);
      expect(s.m2 / Math.max(1, f.m2)).toBeCloseTo(f.m2 / Math.max(1, f.m2), 10);
      expect(s.min).toBe(Math.min(...f.values));
      expect(s.max).toBe(Math.max(...f.values));
    });
  }
});

describe("decile bins", () => {
  it("put a value equal to an edge in the upper bin", () => {
    // Edges of 1..10 are 1.9, 2.8, …; of [0,0,0,0,1,…] several edges are 0: values 0 go above all of them.
    const s = stats([0, 0, 0, 0, 0, 0, 1, 2, 3, 4]);
    expect(s.deciles.edges.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(s.deciles.shares.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(s.deciles.shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it("shares always sum to 1 and counts to n", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 }), { minLength: 1, maxLength: 500 }), (values) => {
        const s = stats(values);
        expect(s.deciles.shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
        expect(s.histogram.counts.reduce((a, b) => a + b, 0)).toBe(values.length);
        expect(s.zeros).toBe(values.filter((v) => v === 0).length);
      }),
    );
  });
});

describe("quantileSorted", () => {
  it("is monotone in q and stays within [min, max]", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 200 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (values, q1, q2) => {
        const sorted = Float64Array.from(values).sort();
        const [lo, hi] = q1 <= q2 ? [q1, q2] : [q2, q1];
        const a = quantileSorted(sorted, lo);
        const b = quantileSorted(sorted, hi);
        expect(a).toBeLessThanOrEqual(b);
        expect(a).toBeGreaterThanOrEqual(sorted[0]!);
        expect(b).toBeLessThanOrEqual(sorted[sorted.length - 1]!);
      }),
    );
  });
});

describe("sortFloat64 (radix)", () => {
  it("sorts like Float64Array.prototype.sort, signed zeros and extremes included", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true }), { maxLength: 3000 }), (values) => {
        const expected = Float64Array.from(values).sort();
        const got = sortFloat64(Float64Array.from(values), 0);
        expect(Array.from(got).map((x) => Object.is(x, -0) ? "-0" : x)).toEqual(Array.from(expected).map((x) => Object.is(x, -0) ? "-0" : x));
      }),
    );
  });

  it("sorts a million values", () => {
    let s = 7;
    const values = Float64Array.from({ length: 1_000_000 }, () => ((s = (s * 48271) % 2147483647) - 1e9) / 7);
    const expected = values.slice().sort();
    const got = sortFloat64(values);
    let mismatches = 0;
    for (let i = 0; i < got.length; i++) if (got[i] !== expected[i]) mismatches++;
    expect(mismatches).toBe(0);
  });
});
