import { describe, expect, it } from "vitest";
import { close, fixtures } from "./test-fixtures.js";
import { kolmogorovSf } from "./kolmogorov.js";
import { ksTwoSample } from "./ks.js";
import { chiSquareSf } from "./special.js";

const sorted = (x: number[]) => Float64Array.from(x).sort();

describe("ks_2samp against scipy", () => {
  for (const c of fixtures.numerical) {
    it(c.name, () => {
      const r = ksTwoSample(sorted(c.reference), sorted(c.current));
      expect(r.statistic).toBe(c.ks.statistic);
      expect(close(r.pValue, c.ks.pValue, 1e-9), `p ${r.pValue} vs ${c.ks.pValue}`).toBe(true);
      expect(close(ksTwoSample(sorted(c.current), sorted(c.reference)).pValue, c.ks.pValue, 1e-9)).toBe(true);
    });
  }
});

describe("kstwo.sf against scipy, every algorithm region", () => {
  // scipy sums Smirnov's tail in double-double; ours in doubles agrees to ~2e-9 at n = 500,000.
  it("matches to 1e-8 relative (1e-300 absolute)", () => {
    const bad = fixtures.kstwo.filter((k) => {
      const v = kolmogorovSf(k.n, k.x);
      return !(close(v, k.sf, 1e-8) || Math.abs(v - k.sf) < 1e-300);
    });
    expect(bad.map((k) => ({ ...k, got: kolmogorovSf(k.n, k.x) }))).toEqual([]);
  });
});

describe("chi2.sf against scipy", () => {
  it("matches to 1e-10 relative", () => {
    const bad = fixtures.chi2sf.filter((k) => !close(chiSquareSf(k.x, k.df), k.sf, 1e-10));
    expect(bad.map((k) => ({ ...k, got: chiSquareSf(k.x, k.df) }))).toEqual([]);
  });
});
