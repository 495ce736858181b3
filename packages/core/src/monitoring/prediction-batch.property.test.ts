import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { uuidv7 } from "../ids.js";
import { LogPredictions } from "../schemas/monitoring.js";
import { parsePredictionBatch } from "./prediction-batch.js";

const valid = () => ({ id: uuidv7(), model: "m", version: 1, features: { a: 1, b: "x", c: null, d: true }, output: { label: "y", p: 0.3 }, score: 0.5, latencyMs: 2 });

/** Values that stress each rule: wrong types, nesting, bounds, bad text. */
const oddValue = fc.oneof(
  fc.constantFrom(null, undefined, 0, -1, 1.5, 2 ** 53, Number.NaN, "", "a\u0000b", "\ud800", "😀", "m", [], {}, { x: { y: 1 } }, [1], true, "x".repeat(10_001), 253_402_300_800_000, "0190b9c2-8c3a-7c4b-9d5e-1234567890ab"),
  fc.string({ maxLength: 5 }),
  fc.double(),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.constant(null), fc.constant([1]))),
);
const keyArb = fc.constantFrom("id", "model", "version", "timestamp", "features", "output", "score", "latencyMs", "extra");

describe("parsePredictionBatch", () => {
  it("agrees with the LogPredictions schema on mutated batches", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(keyArb, oddValue), { maxLength: 3 }), fc.integer({ min: 1, max: 4 }), (mutations, n) => {
        const predictions: Record<string, unknown>[] = Array.from({ length: n }, valid);
        for (const [k, v] of mutations) {
          const target = predictions[0]!;
          if (v === undefined) delete target[k];
          else target[k] = v;
        }
        const body = { predictions };
        const fast = parsePredictionBatch(body);
        const zod = LogPredictions.safeParse(body);
        expect(fast.ok).toBe(zod.success);
      }),
      { numRuns: 2000 },
    );
  });

  it("names the index and the field of a nested feature", () => {
    const predictions = Array.from({ length: 20 }, valid);
    (predictions[17]!.features as Record<string, unknown>).x = { nested: 1 };
    const r = parsePredictionBatch({ predictions });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.path)).toContain("predictions[17].features.x");
  });
});
