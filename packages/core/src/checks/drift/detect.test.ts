import { describe, expect, it } from "vitest";
import { DatasetProfiler } from "../../datasets/profiler.js";
import { DriftReport } from "../../schemas/checks.js";
import { driftColumn } from "./column.js";
import { detectDrift } from "./detect.js";
import { close, fixtures } from "./test-fixtures.js";
import { DriftInputError } from "./prepare.js";
import { driftAgainstProfile } from "./profile.js";

const column = (method: "ks" | "chi2" | "wasserstein" | "psi" | "jensenshannon", ref: ArrayLike<number | string>, cur: ArrayLike<number | string>) =>
  driftColumn("x", ref, cur, { method, minSampleSize: 2 });

describe("numerical columns against scipy/numpy", () => {
  for (const c of fixtures.numerical) {
    it(c.name, () => {
      const ks = column("ks", c.reference, c.current);
      expect(ks.type).toBe("numerical"); // every case has more than 5 distinct values
      expect(ks.statistic).toBe(c.ks.statistic);
      expect(close(ks.pValue!, c.ks.pValue, 1e-9)).toBe(true);
      const w = column("wasserstein", c.reference, c.current).statistic!;
      expect(close(w, c.wasserstein, 1e-9), `wasserstein ${w} vs ${c.wasserstein}`).toBe(true);
      const psi = column("psi", c.reference, c.current).statistic!;
      expect(close(psi, c.psi, 1e-9), `psi ${psi} vs ${c.psi}`).toBe(true);
      const js = column("jensenshannon", c.reference, c.current).statistic!;
      expect(close(js, c.jensenshannon, 1e-9), `js ${js} vs ${c.jensenshannon}`).toBe(true);
    });
  }
});

describe("categorical columns against scipy", () => {
  for (const c of fixtures.categorical) {
    it(c.name, () => {
      const chi = column("chi2", c.reference, c.current);
      expect(chi.type).toBe("categorical");
      expect(close(chi.statistic!, c.chi2.statistic, 1e-9)).toBe(true);
      expect(close(chi.pValue!, c.chi2.pValue, 1e-9), `p ${chi.pValue} vs ${c.chi2.pValue}`).toBe(true);
      expect(close(column("psi", c.reference, c.current).statistic!, c.psi, 1e-9)).toBe(true);
      expect(close(column("jensenshannon", c.reference, c.current).statistic!, c.jensenshannon, 1e-9)).toBe(true);
    });
  }
});

describe("detectDrift", () => {
  const shifted = fixtures.numerical.find((c) => c.name === "shifted-large")!;
  const same = fixtures.numerical.find((c) => c.name === "identical")!;

  it("default methods by reference size and type; dataset verdict by share; the report follows the schema", () => {
    const cat = fixtures.categorical.find((c) => c.name === "shifted")!;
    const report = detectDrift(
      { big: Float64Array.from(shifted.reference), small: same.reference, cat: cat.reference.slice(0, 300) },
      { big: Float64Array.from(shifted.current), small: same.current, cat: cat.current.slice(0, 300) },
    );
    expect(DriftReport.parse(report)).toEqual(report);
    const by = Object.fromEntries(report.columns.map((c) => [c.column, c]));
    expect(by.big).toMatchObject({ method: "wasserstein", threshold: 0.1, drifted: true, status: "drift", referenceSize: 11000 });
    expect(by.small).toMatchObject({ method: "ks", statistic: 0, pValue: 1, drifted: false, status: "ok" });
    expect(by.cat).toMatchObject({ type: "categorical", method: "chi2", drifted: true });
    expect(report.driftedShare).toBeCloseTo(2 / 3, 15);
    expect(report.drifted).toBe(true);
    expect(detectDrift({ a: same.reference }, { a: same.current }, { driftShare: 0.5 }).drifted).toBe(false);
  });

  it("an explicit method applies where it can; others keep their default; threshold goes with it", () => {
    const r = detectDrift({ n: same.reference, c: Array(40).fill("a") }, { n: same.current, c: Array(40).fill("b") }, { method: "ks", threshold: 0.01 });
    expect(r.columns.map((c) => [c.method, c.threshold])).toEqual([
      ["ks", 0.01],
      ["chi2", 0.05],
    ]);
    const w = detectDrift({ n: same.reference }, { n: same.current }, { method: "psi", thresholds: { psi: 0.3 } });
    expect(w.columns[0]).toMatchObject({ method: "psi", threshold: 0.3, statistic: 0 });
  });

  it("missing values are excluded and counted; records work like columns", () => {
    const ref = [...same.reference.map(String), "", "", "NaN"];
    const cur = [null, undefined, Number.NaN, ...same.current];
    const c = driftColumn("x", ref, cur);
    expect(c).toMatchObject({ type: "numerical", referenceSize: 50, currentSize: 50, referenceMissing: 3, currentMissing: 3, statistic: 0, pValue: 1 });
    const records = (xs: unknown[]) => xs.map((x) => ({ x }));
    expect(detectDrift(records(ref), records(cur)).columns[0]).toEqual(c);
  });

  it("below the minimum sample size: not enough data, no verdict, no vote", () => {
    const r = detectDrift({ a: [1, 2, 3, 4, 5, 6, 7], b: same.reference }, { a: [9, 8, 7, 6, 5, 4, 3, 2], b: same.current });
    expect(r.columns[0]).toMatchObject({ status: "not_enough_data", statistic: null, pValue: null, drifted: null, referenceSize: 7, currentSize: 8 });
    expect(r.driftedShare).toBe(0);
    expect(detectDrift({ a: [1] }, { a: [2] }, { minSampleSize: 0 }).columns[0]!.status).toBe("not_enough_data");
    expect(detectDrift({ a: [1, 2, 3] }, { a: [2, 3, 4] }, { minSampleSize: 3 }).columns[0]!.status).not.toBe("not_enough_data");
  });

  it("a numerical column with ≤ 5 distinct values over both samples is categorical", () => {
    const ref = Array.from({ length: 60 }, (_, i) => i % 3);
    const cur = Array.from({ length: 60 }, (_, i) => (i % 5) + 0);
    expect(driftColumn("x", ref, cur).type).toBe("categorical");
    expect(driftColumn("x", ref, cur.map((x) => x + 1)).type).toBe("numerical"); // 0…5: six values
  });

  it("numeric-looking text keeps its spelling when the other side is text", () => {
    const ref = Array.from({ length: 40 }, (_, i) => (i % 2 ? "02134" : "n/a"));
    const cur = Array.from({ length: 40 }, () => "02134");
    const c = driftColumn("zip", ref, cur, { method: "chi2" });
    expect(c.type).toBe("categorical");
    expect(c.statistic).toBeCloseTo(80 / 3, 12); // 2×2 table [[20, 20], [40, 0]]
  });

  it("a constant reference: Wasserstein divided by the 0.001 std floor stays finite", () => {
    const c = driftColumn("x", Array(40).fill(5), Array.from({ length: 40 }, (_, i) => i), { method: "wasserstein" });
    expect(c.type).toBe("numerical");
    expect(c.statistic).toBeCloseTo(15.25 / 0.001, 6); // mean |i − 5| over 0…39
    expect(c.drifted).toBe(true);
  });

  it("a requested column absent from a side is an input error", () => {
    expect(() => detectDrift({ a: [1] }, { b: [1] }, { columns: ["a"] })).toThrow(DriftInputError);
    expect(() => detectDrift({ toString: [1] }, {}, { columns: ["toString"] })).toThrow(DriftInputError);
    expect(detectDrift({ toString: [1], constructor: [2] }, {}).columns).toEqual([]);
  });
});

describe("driftAgainstProfile", () => {
  const profileOf = (columns: Record<string, ArrayLike<unknown>>, rows: number) => {
    const p = new DatasetProfiler();
    p.addColumns(columns as never, rows);
    return p.finish().profile;
  };

  it("PSI and JS from a stored profile equal the figures from the raw reference", () => {
    for (const c of fixtures.numerical.filter((x) => x.reference.length >= 1000)) {
      const profile = profileOf({ x: Float64Array.from(c.reference) }, c.reference.length);
      for (const method of ["psi", "jensenshannon"] as const) {
        const fromProfile = driftAgainstProfile(profile, { x: Float64Array.from(c.current) }, { method }).columns[0]!;
        expect(close(fromProfile.statistic!, c[method], 1e-12), `${c.name} ${method}`).toBe(true);
        expect(fromProfile).toMatchObject({ referenceSize: c.reference.length, currentSize: c.current.length, method });
      }
    }
  });

  it("categorical profiles: category counts, new categories get their own bin", () => {
    const c = fixtures.categorical.find((x) => x.name === "new-category")!;
    const profile = profileOf({ k: c.reference }, c.reference.length);
    const r = driftAgainstProfile(profile, { k: c.current }, { method: "psi" });
    expect(close(r.columns[0]!.statistic!, c.psi, 1e-12)).toBe(true);
    const js = driftAgainstProfile(profile.columns, { k: c.current });
    expect(close(js.columns[0]!.statistic!, c.jensenshannon, 1e-12)).toBe(true);
    expect(js.columns[0]!.method).toBe("jensenshannon");
  });

  it("current text is matched to the profile's categories as written; too small a window has no verdict", () => {
    const ref = Array.from({ length: 40 }, (_, i) => (i % 2 ? "02134" : "n/a"));
    const profile = profileOf({ zip: ref }, ref.length);
    const same = driftAgainstProfile(profile, { zip: [...ref].reverse() }).columns[0]!;
    expect(same).toMatchObject({ type: "categorical", statistic: 0, drifted: false, currentSize: 40 });
    const small = driftAgainstProfile(profile, { zip: ["02134", "", null] }).columns[0]!;
    expect(small).toMatchObject({ status: "not_enough_data", statistic: null, currentSize: 1, currentMissing: 2 });
  });
});
