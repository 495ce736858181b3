import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BiasReport, DataBiasReport } from "../../schemas/checks.js";
import type { Label } from "../performance/labels.js";
import { dataBias } from "./data-bias.js";
import { fairnessMetrics } from "./fairness.js";

/** Cases computed with numpy by fixtures/make-bias-fixtures.py (fairlearn's definitions written out). */
const fixtures = JSON.parse(readFileSync(new URL("../fixtures/bias.json", import.meta.url), "utf8")) as {
  fairness: Array<{ name: string; groups: Label[]; labels: Label[]; predictions: Label[]; positive: Label | null; expected: Record<string, unknown> }>;
  data: Array<{
    name: string;
    groups: (Label | null)[];
    labels: (Label | null)[];
    columns: Record<string, (number | null)[]>;
    expected: Record<string, number>;
    minShare: number;
    minShareRatio: number;
    maxBaseRateDifference: number;
    result: { groups: Record<string, Record<string, number | null>>; baseRateDifference: number | null; flags: [string, string | null][]; count: number; missingGroup: number };
  }>;
};

const close = (actual: unknown, expected: unknown, what: string) => {
  if (expected === null) return expect(actual, what).toBeNull();
  expect(typeof actual, what).toBe("number");
  expect(Math.abs((actual as number) - (expected as number)), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(expected as number)));
};

describe("fairness metrics match the numpy fixtures", () => {
  for (const c of fixtures.fairness) {
    it(c.name, () => {
      const r = BiasReport.parse(fairnessMetrics({ groups: c.groups, labels: c.labels, predictions: c.predictions, positive: c.positive }));
      const e = c.expected as { groups: Record<string, Record<string, number | null>> } & Record<string, number | null>;
      expect(Object.keys(r.groups)).toEqual(Object.keys(e.groups));
      for (const [g, want] of Object.entries(e.groups)) for (const [k, v] of Object.entries(want)) close(r.groups[g]![k as keyof (typeof r.groups)[string]], v, `${g}.${k}`);
      for (const k of ["demographicParityDifference", "demographicParityRatio", "equalOpportunityDifference", "equalizedOddsDifference"] as const) close(r[k], e[k], k);
    });
  }
});

describe("data bias matches the numpy fixtures", () => {
  for (const c of fixtures.data) {
    it(c.name, () => {
      const r = DataBiasReport.parse(
        dataBias({ groups: c.groups, labels: c.labels, columns: c.columns, expected: c.expected, minShare: c.minShare, minShareRatio: c.minShareRatio, maxBaseRateDifference: c.maxBaseRateDifference }),
      );
      expect(r.count).toBe(c.result.count);
      expect(r.missingGroup).toBe(c.result.missingGroup);
      expect(Object.keys(r.groups).sort()).toEqual(Object.keys(c.result.groups).sort());
      for (const [g, want] of Object.entries(c.result.groups)) for (const [k, v] of Object.entries(want)) close(r.groups[g]![k as keyof (typeof r.groups)[string]], v, `${g}.${k}`);
      close(r.baseRateDifference, c.result.baseRateDifference, "baseRateDifference");
      const flags = (f: [string, string | null][]) => f.map(([k, g]) => `${k}:${g}`).sort();
      expect(flags(r.flags.map((f) => [f.kind, f.group]))).toEqual(flags(c.result.flags));
      expect(r.passed).toBe(c.result.flags.length === 0);
    });
  }
});

const rows = fc.array(fc.record({ g: fc.constantFrom("a", "b", "c", 1, true), y: fc.integer({ min: 0, max: 1 }), p: fc.integer({ min: 0, max: 1 }) }), { minLength: 0, maxLength: 150 });
const fair = (rs: { g: Label; y: number; p: number }[]) => fairnessMetrics({ groups: rs.map((r) => r.g), labels: rs.map((r) => r.y), predictions: rs.map((r) => r.p), positive: 1 });

describe("bias: properties", () => {
  it("rates are in [0, 1], gaps are non-negative, the ratio ≤ 1, and fewer than 2 rows is not enough data", () => {
    fc.assert(
      fc.property(rows, (rs) => {
        const r = BiasReport.parse(fair(rs));
        expect(r.status).toBe(rs.length < 2 ? "not_enough_data" : "ok");
        for (const g of Object.values(r.groups)) for (const v of [g.selectionRate, g.truePositiveRate, g.falsePositiveRate, g.accuracy]) if (v !== null) expect(v >= 0 && v <= 1).toBe(true);
        for (const v of [r.demographicParityDifference, r.equalOpportunityDifference, r.equalizedOddsDifference]) if (v !== null) expect(v >= 0 && v <= 1).toBe(true);
        if (r.demographicParityRatio !== null) expect(r.demographicParityRatio >= 0 && r.demographicParityRatio <= 1).toBe(true);
        if (r.equalizedOddsDifference !== null) expect(r.equalizedOddsDifference).toBeGreaterThanOrEqual(r.equalOpportunityDifference!);
      }),
    );
  });

  it("is invariant under row order", () => {
    fc.assert(
      fc.property(rows, (rs) => {
        expect(fair([...rs].reverse())).toEqual(fair(rs));
      }),
    );
  });

  it("data bias shares sum to 1 and are invariant under row order", () => {
    fc.assert(
      fc.property(rows, (rs) => {
        const run = (xs: typeof rs) => dataBias({ groups: xs.map((r) => r.g), labels: xs.map((r) => r.y), positive: 1 });
        const r = DataBiasReport.parse(run(rs));
        if (rs.length > 0) expect(Math.abs(Object.values(r.groups).reduce((s, g) => s + g.share, 0) - 1)).toBeLessThan(1e-12);
        expect(r.status).toBe(rs.length < 2 ? "not_enough_data" : "ok");
        expect(run([...rs].reverse())).toEqual(r);
      }),
    );
  });

  it("a group value given as a number and as text is one group", () => {
    const r = fairnessMetrics({ groups: [1, "1", 2, "2"], labels: [1, 0, 1, 0], predictions: [1, 1, 0, 0] });
    expect(Object.keys(r.groups)).toEqual(["1", "2"]);
    expect(r.groups["1"]!.count).toBe(2);
    expect(r.demographicParityDifference).toBe(1);
    const d = dataBias({ groups: [1, "1", 2], expected: { "1": 0.5, "2": 0.5 } });
    expect(Object.keys(d.groups)).toEqual(["1", "2"]);
    expect(d.groups["1"]!.share).toBeCloseTo(2 / 3, 15);
  });

  it("flags an under-represented group and a base-rate gap", () => {
    const groups = [...Array(95).fill("big"), ...Array(5).fill("small")];
    const labels = [...Array(95).fill(0), ...Array(5).fill(1)];
    const r = dataBias({ groups, labels, minShare: 0.1, expected: { big: 0.5, small: 0.5 } });
    expect(r.passed).toBe(false);
    expect(r.flags.map((f) => f.kind).sort()).toEqual(["base_rate_difference", "share_below_bound", "share_below_expected"]);
    expect(r.baseRateDifference).toBe(1);
  });
});
