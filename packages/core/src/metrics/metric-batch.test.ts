import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LogMetrics, toMetricNumber } from "../schemas/metrics.js";
import { parseMetricBatch } from "./metric-batch.js";

const key = fc.oneof(fc.constantFrom("loss", "val/acc", "a b", "x:y.z-1_", ""), fc.string({ maxLength: 6 }), fc.constant("k".repeat(251)));
const value = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.constantFrom("NaN", "Infinity", "-Infinity", "nan", "1", null, true),
);
const step = fc.oneof(fc.nat(), fc.integer({ min: -3, max: 3 }), fc.double({ noNaN: true, noDefaultInfinity: true, min: -2, max: 2 }), fc.constant(2 ** 53), fc.constant("3"));
const timestamp = fc.oneof(fc.nat(), fc.constant(-1), fc.constant(1.5), fc.constant(9e15));

const point = fc.record(
  { key, value, step, timestamp, extra: fc.constant(1) },
  { requiredKeys: [] },
);
const series = fc
  .record({ key, n: fc.nat({ max: 5 }), withTs: fc.boolean(), skew: fc.constantFrom(0, 0, 0, 1, -1), extra: fc.boolean() })
  .chain(({ key, n, withTs, skew, extra }) =>
    fc.record({
      steps: fc.array(step, { minLength: n, maxLength: n }),
      values: fc.array(value, { minLength: Math.max(0, n + skew), maxLength: Math.max(0, n + skew) }),
      timestamps: fc.array(timestamp, { minLength: n, maxLength: n }),
    }).map((c) => ({ key, steps: c.steps, values: c.values, ...(withTs ? { timestamps: c.timestamps } : {}), ...(extra ? { colour: 1 } : {}) })),
  );
const body = fc.oneof(
  fc.record({ points: fc.array(point, { maxLength: 6 }) }),
  fc.record({ series: fc.array(series, { maxLength: 4 }) }),
  fc.record({ points: fc.array(point, { maxLength: 2 }), series: fc.array(series, { maxLength: 2 }) }),
  fc.constantFrom({}, null, [], "x", { points: "no" }, { series: {} }),
);

describe("parseMetricBatch", () => {
  it("accepts exactly what the zod contract accepts", () => {
    fc.assert(
      fc.property(body, (b) => {
        const fast = parseMetricBatch(b);
        const slow = LogMetrics.safeParse(b);
        expect(fast.ok, JSON.stringify(b)).toBe(slow.success);
      }),
      { numRuns: 5000 },
    );
  });

  it("returns the same points in columns for both shapes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ key: fc.constantFrom("a", "b/c", "d e"), step: fc.nat(), value: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom("NaN" as const, "Infinity" as const)) }), { minLength: 1, maxLength: 50 }),
        (pts) => {
          const a = parseMetricBatch({ points: pts });
          const byKey = new Map<string, typeof pts>();
          for (const p of pts) byKey.set(p.key, [...(byKey.get(p.key) ?? []), p]);
          const b = parseMetricBatch({ series: [...byKey].map(([key, ps]) => ({ key, steps: ps.map((p) => p.step), values: ps.map((p) => p.value) })) });
          expect(a.ok && b.ok).toBe(true);
          if (!a.ok || !b.ok) return;
          const flatten = (c: typeof a.columns) =>
            Array.from({ length: c.length }, (_, i) => `${c.keys[c.keyIndex[i]!]}|${c.steps[i]}|${c.values[i]}`).sort();
          expect(flatten(a.columns)).toEqual(flatten(b.columns));
          expect(flatten(a.columns)).toEqual(pts.map((p) => `${p.key}|${p.step}|${toMetricNumber(p.value)}`).sort());
        },
      ),
    );
  });

  it("names the failing field by path", () => {
    const r = parseMetricBatch({ points: [{ key: "a", value: 1, step: 0 }, { key: "a", value: "x", step: -1 }] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.path)).toEqual(["points[1].value", "points[1].step"]);
    const s = parseMetricBatch({ series: [{ key: "a", steps: [0, 1], values: [1] }] });
    if (!s.ok) expect(s.errors[0]!.path).toBe("series[0].values");
  });
});
