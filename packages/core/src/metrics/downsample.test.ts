import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { downsampleMinMax, downsampleMinMaxColumns, type MinMaxItem } from "./downsample.js";

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

describe("downsampleMinMaxColumns", () => {
  const columns = (items: MinMaxItem[]) => ({
    length: items.length,
    minStep: Float64Array.from(items, (i) => i.minStep),
    min: Float64Array.from(items, (i) => i.min),
    minTs: Float64Array.from(items, (i) => i.minTs),
    maxStep: Float64Array.from(items, (i) => i.maxStep),
    max: Float64Array.from(items, (i) => i.max),
    maxTs: Float64Array.from(items, (i) => i.maxTs),
  });
  const value = fc.oneof(fc.double({ min: -1e6, max: 1e6 }), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, 1));

  it("answers exactly what downsampleMinMax answers, for raw points and rollup buckets alike", () => {
    fc.assert(
      fc.property(
        // Rollup-like items: a bucket of `width` steps whose min and max sit anywhere inside it (in either order).
        fc.array(fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 63 }), value, value), { maxLength: 400 }),
        fc.integer({ min: 2, max: 300 }),
        fc.integer({ min: 0, max: 2000 }),
        (raw, maxPoints, from) => {
          const seen = new Set<number>();
          const items: MinMaxItem[] = [];
          for (const [bucket, a, b, v1, v2] of raw) {
            if (seen.has(bucket)) continue;
            seen.add(bucket);
            const [lo, hi] = v1 <= v2 ? [v1, v2] : [v2, v1];
            items.push({ minStep: bucket * 64 + a, min: lo, minTs: 1e12 + bucket * 64 + a, maxStep: bucket * 64 + b, max: hi, maxTs: 1e12 + bucket * 64 + b });
          }
          const to = from + 5000 * 64;
          expect(downsampleMinMaxColumns(columns(items), from, to, maxPoints)).toEqual(downsampleMinMax(items, from, to, maxPoints));
        },
      ),
    );
  });

  it("keeps a spike among 100,000 points", () => {
    const items = Array.from({ length: 100_000 }, (_, i) => point(i, i === 777 ? -5 : Math.cos(i / 50)));
    const out = downsampleMinMaxColumns(columns(items), 0, 99_999, 1000);
    expect(out).toEqual(downsampleMinMax(items, 0, 99_999, 1000));
    expect(out.values).toContain(-5);
  });
});
