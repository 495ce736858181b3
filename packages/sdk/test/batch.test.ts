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
  it("produces a valid LogMetrics body that round-trips values, NaN and ±Infinity included", () => {
    fc.assert(
      fc.property(fc.array(point, { minLength: 1, maxLength: 200 }), (points) => {
        const b = batchFromPoints(points);
        const parsed = LogMetrics.parse(JSON.parse(batchToJson(b)));
        // JSON has no -0: it arrives as 0.
        expect(parsed.points).toEqual(batchToPoints(b).map((p) => ({ ...p, value: Object.is(p.value, -0) ? 0 : p.value })));
        parsed.points.forEach((p, i) => {
          const v = points[i]![1];
          if (Number.isNaN(v)) expect(p.value).toBe("NaN");
          else if (!Number.isFinite(v)) expect(p.value).toBe(v > 0 ? "Infinity" : "-Infinity");
          else expect(p.value).toBe(v === 0 ? 0 : v);
        });
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
