import { aggregatePredictionColumns, aggregatePredictions, compileReference, DatasetProfiler, decodePredictionColumns, encodePredictionColumns, predictionsOfColumns } from "@cairn/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { batchOfColumns, featureColumns } from "./batch.js";
import { encodePredictionsBinary } from "./copy-encode.js";

const profiler = new DatasetProfiler();
profiler.addRecords(Array.from({ length: 200 }, (_, i) => ({ x: i / 10, "2": i % 7, c: ["a", "b", "c"][i % 3]!, label: String(i % 2) })));
const ref = compileReference({ profile: profiler.finish().profile, labelColumn: "label" });

// Names that stress key order (integer-like), escaping and a column that is sometimes not a number.
const name = fc.constantFrom("x", "2", "10", "c", "ключ é", 'q"\\', "late");
const value = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: -1000, max: 1000 }).map((i) => i / 8), fc.constantFrom("a", "b", "z", true, null));
const row = fc.record({
  features: fc.dictionary(name, value, { maxKeys: 6 }),
  output: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom("0", "1", true, null)),
  score: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
  latencyMs: fc.option(fc.double({ min: 0, max: 1e4, noNaN: true }), { nil: undefined }),
});

/** The features' JSON texts of a binary COPY buffer (the 6th field of each row). */
function featureTexts(buf: Uint8Array): string[] {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: string[] = [];
  let o = 19;
  for (;;) {
    const fields = b.readInt16BE(o);
    o += 2;
    if (fields === -1) return out;
    for (let f = 0; f < fields; f++) {
      const len = b.readInt32BE(o);
      o += 4;
      if (f === 5) out.push(b.toString("utf8", o + 1, o + len)); // jsonb: version byte, then the text
      if (len > 0) o += len;
    }
  }
}

describe("a columnar batch kept in columns", () => {
  it("aggregates and stores features exactly as its row objects would be", () => {
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 40 }), (rows) => {
        const withIds = rows.map((r, i) => ({ ...r, id: `0190a0b0-0000-7000-8000-${String(i).padStart(12, "0")}` }));
        const decoded = decodePredictionColumns(JSON.parse(encodePredictionColumns("m", 1, withIds)));
        expect(decoded.ok).toBe(true);
        if (!decoded.ok) return;
        const predictions = predictionsOfColumns(decoded.batch);
        const b = batchOfColumns(decoded.batch);
        const all = predictions.map((_, i) => i);
        const fromColumns = aggregatePredictionColumns({ count: b.count, features: featureColumns(b, all), outputs: b.outputs, scores: b.scores, latencies: b.latencies }, ref);
        expect(fromColumns).toEqual(aggregatePredictions(predictions, ref));
        const place = { ids: b.ids, versionIds: b.ids.map(() => "00000000-0000-4000-8000-000000000002"), idTimes: new Float64Array(b.count).fill(1.7e12), times: new Float64Array(b.count).fill(1.7e12) };
        const texts = featureTexts(encodePredictionsBinary("00000000-0000-4000-8000-000000000001", b, place, all));
        expect(texts.map((t) => JSON.parse(t))).toEqual(predictions.map((p) => JSON.parse(JSON.stringify(p.features))));
      }),
      { numRuns: 300 },
    );
  });
});
