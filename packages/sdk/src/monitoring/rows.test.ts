import { LogLabels } from "@cairn/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeBodies, labelProblem } from "./rows.js";
import { UuidV7Source } from "./uuid.js";

const ids = new UuidV7Source();
/** A prediction in the row form. */
interface PredictionRow {
  id: string;
  model: string;
  version: number;
  timestamp: number | undefined;
  features: Record<string, unknown>;
  output: unknown;
  score: number | undefined;
  latencyMs: number | undefined;
}
const scalar = fc.oneof(fc.double(), fc.string({ maxLength: 40 }), fc.boolean(), fc.constant(null));
const row = (features: Record<string, unknown>, extra: Partial<PredictionRow> = {}): PredictionRow => ({
  id: ids.next(),
  model: "fraud",
  version: 1,
  timestamp: undefined,
  features: features as PredictionRow["features"],
  output: 1,
  score: undefined,
  latencyMs: undefined,
  ...extra,
});
const rowArb = fc
  .record({ features: fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.oneof(scalar, fc.string({ unit: "grapheme", maxLength: 30 })), { maxKeys: 12 }), output: scalar, score: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true }), { nil: undefined }) })
  .map((r) => row(r.features, { output: r.output as PredictionRow["output"], score: r.score }));

describe("row-form bodies", () => {
  it("a label labelProblem accepts is one LogLabels accepts", () => {
    fc.assert(
      fc.property(fc.oneof(fc.constant(ids.next()), fc.string()), fc.oneof(scalar, fc.string({ unit: "binary" })), fc.option(fc.double({ min: -1, max: 2e12 }), { nil: undefined }), (predictionId, label, timestamp) => {
        const l = { predictionId, label: label as never, ...(timestamp !== undefined ? { timestamp } : {}) };
        if (labelProblem(l) === undefined) expect(LogLabels.safeParse({ labels: [l] }).success).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("encodes rows into bodies under the byte limit that together hold every row once, in order", () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 300 }), fc.integer({ min: 2_000, max: 50_000 }), (rows, limit) => {
        const { bodies, tooLarge } = encodeBodies("predictions", rows, limit);
        const back: string[] = [];
        for (const b of bodies) {
          expect(new TextEncoder().encode(b.body).length).toBeLessThanOrEqual(limit);
          const parsed = JSON.parse(b.body) as { predictions: PredictionRow[] };
          expect(parsed.predictions).toHaveLength(b.count);
          back.push(...parsed.predictions.map((p) => p.id));
        }
        const big = new Set(tooLarge.map((r) => r.id));
        expect(back).toEqual(rows.map((r) => r.id).filter((id) => !big.has(id)));
        for (const r of tooLarge) expect(JSON.stringify({ predictions: [r] }).length).toBeGreaterThan(limit / 3);
      }),
      { numRuns: 100 },
    );
  });

  it("a row larger than any body is set aside, not sent", () => {
    const big = row({ text: "x".repeat(9_000) });
    const small = row({ a: 1 });
    const { bodies, tooLarge } = encodeBodies("predictions", [small, big, small], 5_000);
    expect(tooLarge).toEqual([big]);
    expect(bodies.reduce((n, b) => n + b.count, 0)).toBe(2);
  });
});
