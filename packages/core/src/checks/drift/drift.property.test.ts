import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { driftColumn } from "./column.js";
import { jensenShannonDistance } from "./distances.js";

const sample = (min: number) => fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true }), { minLength: min, maxLength: 200 });
const varied = sample(30).filter((xs) => new Set(xs).size > 5);
type Method = "ks" | "wasserstein" | "psi" | "jensenshannon";
const run = (method: Method, a: number[], b: number[]) => driftColumn("x", Float64Array.from(a), Float64Array.from(b), { method });

describe("drift properties", () => {
  it("identical samples: D = 0, p = 1, every distance 0", () => {
    fc.assert(
      fc.property(varied, (xs) => {
        const ks = run("ks", xs, xs);
        expect(ks.statistic).toBe(0);
        expect(ks.pValue).toBe(1);
        for (const m of ["wasserstein", "psi", "jensenshannon"] as const) expect(run(m, xs, xs).statistic).toBe(0);
      }),
    );
  });

  it("ks and wasserstein (in distance) are symmetric; the KS p-value too", () => {
    fc.assert(
      fc.property(varied, varied, (a, b) => {
        const ab = run("ks", a, b);
        const ba = run("ks", b, a);
        expect(ab.statistic).toBe(ba.statistic);
        expect(ab.pValue).toBeCloseTo(ba.pValue!, 12);
        const w = run("wasserstein", a, b).statistic! * Math.max(std(a), 0.001);
        const w2 = run("wasserstein", b, a).statistic! * Math.max(std(b), 0.001);
        expect(Math.abs(w - w2)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(w)));
      }),
    );
  });

  it("Jensen–Shannon distance is in [0, 1] and symmetric; PSI ≥ 0", () => {
    const shares = fc.array(fc.nat(1000), { minLength: 10, maxLength: 10 }).filter((xs) => xs.some((x) => x > 0));
    fc.assert(
      fc.property(shares, shares, (p, q) => {
        const d = jensenShannonDistance(p, q);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(1 + 1e-15);
        expect(Math.abs(d - jensenShannonDistance(q, p))).toBeLessThan(1e-15);
      }),
    );
    fc.assert(fc.property(varied, varied, (a, b) => void expect(run("psi", a, b).statistic!).toBeGreaterThanOrEqual(0)));
  });

  it("shifting the current sample away never lowers the statistics", () => {
    fc.assert(
      fc.property(varied, fc.double({ min: 0.1, max: 10, noNaN: true }), (xs, k) => {
        const spread = Math.max(...xs) - Math.min(...xs);
        const small = xs.map((x) => x + spread * k * 0.1);
        const large = xs.map((x) => x + spread * (1 + k)); // past the reference's maximum
        // F_ref(x) − F_ref(x − s) grows with s at every x, so D and ∫|ΔF| grow with the shift.
        for (const m of ["ks", "wasserstein"] as const) {
          const a = run(m, xs, small).statistic!;
          const b = run(m, xs, large).statistic!;
          expect(b, m).toBeGreaterThanOrEqual(a - 1e-12);
        }
        // Binned figures are not monotone under partial shifts (values cross bins unevenly), but
        // a shift past the reference's range always shows.
        for (const m of ["psi", "jensenshannon"] as const) expect(run(m, xs, large).statistic!, m).toBeGreaterThan(0);
        expect(run("ks", xs, large).pValue!).toBeLessThanOrEqual(run("ks", xs, small).pValue! + 1e-12);
      }),
    );
  });
});

function std(xs: number[]): number {
  const m = xs.reduce((s, x) => s + x, 0) / xs.length;
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length);
}
