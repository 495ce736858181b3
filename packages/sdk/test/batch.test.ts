import { LogMetrics } from "@cairn/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { batchFromPoints, batchToJson, batchToPoints, splitBatch } from "../src/run/batch.js";
import { MetricBuffer } from "../src/run/buffer.js";
import type { MetricBatch } from "../src/run/batch.js";

const key = fc.stringMatching(/^[A-Za-z0-9_\-./: ]{1,20}$/);
const value = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, 0, -0));
const point = fc.tuple(key, value, fc.nat(1e9), fc.nat(2e12));

describe("batch serialisation", () => {
  it("produces a valid LogMetrics body (series form) holding exactly the batch's points, NaN and ±Infinity included", () => {
    fc.assert(
      fc.property(fc.array(point, { minLength: 1, maxLength: 200 }), (points) => {
        const b = batchFromPoints(points);
        const body = LogMetrics.parse(JSON.parse(batchToJson(b)));
        if (!("series" in body)) throw new Error("expected the series form");
        const sent = body.series.flatMap((s) => s.steps.map((step, j) => ({ key: s.key, value: s.values[j], step, timestamp: s.timestamps?.[j] })));
        // Grouped by key, in logging order within a key; JSON has no -0 (it arrives as 0).
        const expected = batchToPoints(b).map((p) => ({ ...p, value: Object.is(p.value, -0) ? 0 : p.value }));
        const byKey = (xs: typeof expected) => [...new Set(xs.map((p) => p.key))].flatMap((k) => xs.filter((p) => p.key === k));
        expect(sent).toEqual(byKey(expected));
        for (const p of sent) {
          if (typeof p.value === "string") expect(["NaN", "Infinity", "-Infinity"]).toContain(p.value);
        }
      }),
    );
  });
});

function rows(b: MetricBatch): Array<[string, number, number]> {
  const out: Array<[string, number, number]> = [];
  for (let i = 0; i < b.length; i++) out.push([b.keys[i]!, b.values[i]!, b.steps[i]!]);
  return out;
}

describe("batching", () => {
  it("splitBatch never exceeds the limit and keeps order", () => {
    fc.assert(
      fc.property(fc.array(point, { maxLength: 500 }), fc.integer({ min: 1, max: 100 }), (points, max) => {
        const b = batchFromPoints(points);
        const parts = splitBatch(b, max);
        for (const p of parts) expect(p.length).toBeLessThanOrEqual(max);
        expect(parts.flatMap(rows)).toEqual(rows(b));
      }),
    );
  });

  it("the buffer seals batches of at most maxBatchPoints, in logging order", () => {
    fc.assert(
      fc.property(fc.array(point, { maxLength: 2000 }), fc.integer({ min: 1, max: 300 }), fc.array(fc.nat(2000)), (points, size, sealAt) => {
        const buf = new MetricBuffer(size);
        const sealed: MetricBatch[] = [];
        buf.onSeal = (b) => sealed.push(b);
        const seals = new Set(sealAt);
        points.forEach(([k, v, s, t], i) => {
          if (seals.has(i)) buf.seal();
          buf.push(k, v, s, t);
        });
        buf.seal();
        for (const b of sealed) {
          expect(b.length).toBeGreaterThan(0);
          expect(b.length).toBeLessThanOrEqual(size);
          expect(b.values.length).toBeGreaterThanOrEqual(b.length);
        }
        expect(sealed.flatMap(rows)).toEqual(points.map(([k, v, s]) => [k, v, s]));
      }),
    );
  });

  it("rejects a batch size above the API limit", () => {
    expect(() => new MetricBuffer(10_001)).toThrow(RangeError);
  });
});
