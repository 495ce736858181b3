import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { uuidv7 } from "../ids.js";
import { parsePredictionBatch } from "./prediction-batch.js";
import { type ColumnarRowInput, encodePredictionColumns, isColumnarBody, parsePredictionColumns } from "./prediction-columns.js";

/** What the row form makes of a value on the wire (NaN → null, -0 → 0, undefined dropped). */
const viaJson = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

const name = fc.oneof(fc.constantFrom("f0", "f1", "f2", "amount", "country", "__proto__", "constructor"), fc.string({ minLength: 1, maxLength: 6 }));
const text = fc.string({ unit: "grapheme", maxLength: 12 });
const scalar = fc.oneof(fc.double(), fc.integer(), text, fc.boolean(), fc.constant(null));
const features = fc.dictionary(name, scalar, { maxKeys: 6 });
const numericFeatures = (names: string[]) => fc.tuple(...names.map(() => fc.double())).map((vs) => Object.fromEntries(names.map((n, i) => [n, vs[i]])));
const output = fc.oneof(fc.double(), fc.integer(), text, fc.boolean(), fc.constant(null), fc.dictionary(name, scalar, { maxKeys: 3 }));
const optionalNumber = (arb: fc.Arbitrary<number>) => fc.option(arb, { nil: undefined });

/** Rows as a service logs them: mostly the same numeric features, sometimes with more, fewer or other ones. */
const rows = fc
  .tuple(fc.uniqueArray(name, { maxLength: 5 }), fc.integer({ min: 1, max: 30 }))
  .chain(([cols, n]) =>
    fc.array(
      fc.record({
        features: fc.oneof({ weight: 4, arbitrary: numericFeatures(cols) }, fc.tuple(numericFeatures(cols), features).map(([a, b]) => ({ ...b, ...a })), features),
        output: fc.oneof({ weight: 3, arbitrary: fc.double() }, output),
        timestamp: optionalNumber(fc.integer({ min: 0, max: 4_102_444_800_000 })),
        score: optionalNumber(fc.double({ noNaN: true, noDefaultInfinity: true })),
        latencyMs: optionalNumber(fc.double({ min: 0, noNaN: true, noDefaultInfinity: true })),
      }),
      { minLength: n, maxLength: n },
    ),
  )
  .map((list) => list.map((r) => ({ id: uuidv7(), ...r }) as ColumnarRowInput));

describe("columnar prediction batches", () => {
  it("decode to exactly what the row form stores for the same rows", () => {
    fc.assert(
      fc.property(rows, (list) => {
        const body = JSON.parse(encodePredictionColumns("fraud", 3, list)) as unknown;
        expect(isColumnarBody(body)).toBe(true);
        const decoded = parsePredictionColumns(body);
        if (!decoded.ok) throw new Error(JSON.stringify(decoded.errors));
        const rowForm = parsePredictionBatch(viaJson({ predictions: list.map((r) => ({ ...r, model: "fraud", version: 3 })) }));
        if (!rowForm.ok) throw new Error(JSON.stringify(rowForm.errors));
        expect(viaJson(decoded.predictions)).toEqual(rowForm.predictions);
      }),
      { numRuns: 400 },
    );
  });

  it("keeps every column numeric for rows of the same numeric features: nothing goes as JSON but names and ids", () => {
    const list = Array.from({ length: 100 }, (_, i) => ({ id: uuidv7(), features: { a: i * 0.1, b: -i, c: Math.PI * i }, output: i % 2, score: i / 100 }));
    const body = JSON.parse(encodePredictionColumns("m", 1, list)) as { columns: { outputs: unknown; features: string[] }; extra: unknown[]; own: unknown[] };
    expect(body.columns.outputs).toBe("numbers");
    expect(body.columns.features).toEqual(["a", "b", "c"]);
    expect(body.extra).toEqual([]);
    expect(body.own).toEqual([]);
  });

  it("never throws on a malformed body and names a field for each error", () => {
    const valid = JSON.parse(encodePredictionColumns("fraud", 1, [{ id: uuidv7(), features: { a: 1, b: 2 }, output: 1 }, { id: uuidv7(), features: { a: 3, b: "x" }, output: "y" }])) as Record<string, unknown>;
    const paths = ["columns.model", "columns.version", "columns.count", "columns.ids", "columns.present", "columns.outputs", "columns.features", "columns.numbers", "extra", "own", "columns", "columns.other", "other"];
    const mutated = fc.tuple(fc.constantFrom(...paths), fc.oneof(fc.jsonValue(), fc.constant(undefined), fc.string(), fc.base64String())).map(([path, value]) => {
      const body = structuredClone(valid);
      const [a, b] = path.split(".") as [string, string | undefined];
      const target = (b === undefined ? body : body[a]) as Record<string, unknown>;
      const key = b ?? a;
      if (value === undefined) delete target[key];
      else target[key] = value;
      return body;
    });
    fc.assert(
      fc.property(fc.oneof(mutated, fc.anything(), fc.jsonValue()), (body) => {
        const r = parsePredictionColumns(body);
        if (!r.ok) {
          expect(r.errors.length).toBeGreaterThan(0);
          for (const e of r.errors) expect(e.path.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("names the row and field of a bad value", () => {
    const list = Array.from({ length: 5 }, (_, i) => ({ id: uuidv7(), features: { a: i }, output: 1, latencyMs: 1 }));
    const body = JSON.parse(encodePredictionColumns("fraud", 1, list)) as { columns: { ids: string; numbers: string }; extra: unknown[] };
    const bytes = Buffer.from(body.columns.numbers, "base64");
    bytes.writeDoubleLE(-5, (2 * 5 + 3) * 8); // row 3's latency
    const badLatency = parsePredictionColumns({ ...body, columns: { ...body.columns, numbers: bytes.toString("base64") } });
    expect(badLatency).toEqual({ ok: false, errors: [{ path: "predictions[3].latencyMs", message: "must be a finite number >= 0" }] });
    const nested = parsePredictionColumns({ ...body, extra: [[2, { deep: { x: 1 } }]] });
    expect(nested.ok === false && nested.errors[0]!.path).toBe("predictions[2].features.deep");
    const badId = parsePredictionColumns({ ...body, columns: { ...body.columns, ids: `${body.columns.ids.slice(0, 36)}${"x".repeat(36)}${body.columns.ids.slice(72)}` } });
    expect(badId.ok === false && badId.errors[0]!.path).toBe("predictions[1].id");
    const short = parsePredictionColumns({ ...body, columns: { ...body.columns, numbers: body.columns.numbers.slice(0, 8) } });
    expect(short.ok === false && short.errors[0]!.path).toBe("columns.numbers");
  });
});
