import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { downsampleMinMax, type MinMaxItem } from "./downsample.js";

const point = (step: number, value: number): MinMaxItem => ({ minStep: step, min: value, minTs: step, maxStep: step, max: value, maxTs: step });

describe("downsampleMinMax", () => {
  it("keeps a single spike that striding would drop", () => {
    const items = Array.from({ length: 100_000 }, (_, i) => point(i, i === 54_321 ? 1000 : Math.sin(i / 100)));
    const out = downsampleMinMax(items, 0, 99_999, 1000);
    expect(out.steps.length).toBeLessThanOrEqual(1000);
    expect(Math.max(...out.values)).toBe(1000);
    expect(out.steps[out.values.indexOf(1000)]).toBe(54_321);
  });

  it("ignores NaN items", () => {
    const out = downsampleMinMax([point(0, NaN), point(1, 2)], 0, 1, 10);
    expect(out.values).toEqual([2]);
  });

  it("bounds the output, preserves global extremes and keeps steps increasing", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 100_000 }), fc.double({ noNaN: true, min: -1e9, max: 1e9 })), { minLength: 1, maxLength: 2000 }),
        fc.integer({ min: 2, max: 500 }),
        (pts, maxPoints) => {
          const byStep = new Map(pts.map(([s, v]) => [s, v]));
          const items = [...byStep].map(([s, v]) => point(s, v));
          const steps = items.map((i) => i.minStep);
          const from = Math.min(...steps);
          const to = Math.max(...steps);
          const out = downsampleMinMax(items, from, to, maxPoints);
          expect(out.steps.length).toBeLessThanOrEqual(maxPoints);
          for (let i = 1; i < out.steps.length; i++) expect(out.steps[i]!).toBeGreaterThan(out.steps[i - 1]!);
          const values = items.map((i) => i.min);
          expect(Math.min(...out.values)).toBe(Math.min(...values));
          expect(Math.max(...out.values)).toBe(Math.max(...values));
          out.steps.forEach((s, i) => expect(byStep.get(s)).toBe(out.values[i]));
        },
      ),
    );
  });
});
