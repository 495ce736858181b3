import { type LabelIn, MAX_EPOCH_MS, parsePredictionBatch, parsePredictionColumns, type PredictionIn } from "@cairn/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Op } from "../run/ops.js";
import { Reporter } from "../run/reporter.js";
import type { Sender } from "../run/sender.js";
import type { RunStats } from "../run/stats.js";
import { PredictionColumns } from "./columns.js";
import { Monitor } from "./monitor.js";
import { MAX_BODY_BYTES, splitEncode } from "./rows.js";
import type { PredictionInput } from "./types.js";
import { UuidV7Source } from "./uuid.js";

/** What the row form makes of a value on the wire (NaN → null, -0 → 0, undefined dropped). */
const viaJson = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** A monitor whose sender only collects the ops it is given (the real encoding and batching, no network). */
function capturingMonitor(maxBatchRows: number) {
  const ops: Array<Extract<Op, { type: "predictions" | "labels" }>> = [];
  const sender = {
    enqueue: (op: (typeof ops)[number]) => ops.push(op),
    lastSeq: 0,
    isDurable: () => true,
    allSent: true,
    isDegraded: false,
    probesStarted: 0,
    lastFailedProbe: 0,
    kick: () => {},
    spillAll: () => {},
    close: () => {},
    changed: () => new Promise<void>(() => {}),
  } as unknown as Sender;
  const stats: RunStats = { logged: 0, sent: 0, spooled: 0, dropped: 0, retries: 0 };
  const problems: string[] = [];
  const reporter = new Reporter((e) => problems.push(e.error.message));
  reporter.report = (_kind, e) => void problems.push(e.error.message); // every problem, not once per kind
  const monitor = new Monitor({
    id: "0193a0c0-0000-7000-8000-000000000000",
    project: "p",
    model: "fraud",
    version: 3,
    reporter,
    stats,
    maxBatchRows,
    flushIntervalMs: 60_000,
    flushDeadlineMs: 1_000,
    maxBufferedRows: 1_000_000,
    backend: Promise.resolve({ sender, spool: undefined, exitHooks: undefined }),
  });
  return { monitor, ops, problems };
}

/** Every prediction the ops carry, decoded as the server decodes a columnar body. */
function decodeAll(ops: Array<{ type: string; body: string; count: number }>): PredictionIn[] {
  const out: PredictionIn[] = [];
  for (const op of ops) {
    if (op.type !== "predictions") continue;
    const r = parsePredictionColumns(JSON.parse(op.body));
    if (!r.ok) throw new Error(`server would refuse a batch: ${JSON.stringify(r.errors)}`);
    expect(r.predictions).toHaveLength(op.count);
    out.push(...r.predictions);
  }
  return out;
}

/** The row-form request of one logged prediction, as the API takes it (timestamps in whole milliseconds, as the SDK rounds them). */
function rowForm(p: PredictionInput, id: string): unknown {
  const ts = typeof p.timestamp === "number" ? Math.round(p.timestamp) : p.timestamp;
  return viaJson({ predictions: [{ id, model: "fraud", version: 3, features: p.features, output: p.output, score: p.score, latencyMs: p.latencyMs, timestamp: ts }] });
}

const name = fc.oneof({ weight: 4, arbitrary: fc.constantFrom("f0", "f1", "f2", "amount", "city", "constructor") }, fc.string({ maxLength: 5 }), fc.constant("x\u0000"));
const text = fc.oneof({ weight: 5, arbitrary: fc.string({ unit: "grapheme", maxLength: 12 }) }, fc.string({ unit: "binary", maxLength: 4 }), fc.constant("a".repeat(10_001)));
const number = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0));
const scalar = fc.oneof({ weight: 6, arbitrary: number }, text, fc.boolean(), fc.constant(null));
/** Mostly valid values; sometimes what the server refuses (nested objects, arrays). */
const value = fc.oneof({ weight: 20, arbitrary: scalar }, fc.constant({ deep: 1 }), fc.constant([1]));
// (`__proto__` only with valid values: the API's row form ignores the name, whatever its value.)
const features = fc.oneof(fc.dictionary(name, value, { maxKeys: 6 }), fc.dictionary(fc.oneof(name, fc.constant("__proto__")), fc.oneof(number, fc.string({ maxLength: 5 }), fc.boolean(), fc.constant(null)), { maxKeys: 4 }));
const numericFeatures = (names: string[]) => fc.tuple(...names.map(() => fc.oneof({ weight: 8, arbitrary: number }, fc.constant(null)))).map((vs) => Object.fromEntries(names.map((n, i) => [n, vs[i]])));
const output = fc.oneof({ weight: 6, arbitrary: number }, scalar, fc.dictionary(name, value, { maxKeys: 3 }), fc.constant(undefined), fc.constant([1]));
const optional = (arb: fc.Arbitrary<unknown>) => fc.option(arb, { nil: undefined, freq: 2 });

/** Rows as a service logs them: mostly the same numeric features, sometimes with more, fewer, other or invalid ones. */
const inputs = fc.tuple(fc.uniqueArray(fc.constantFrom("f0", "f1", "f2", "amount", "__proto__"), { maxLength: 4 }), fc.integer({ min: 1, max: 60 })).chain(([cols, n]) =>
  fc.array(
    fc.record({
      features: fc.oneof(
        { weight: 6, arbitrary: numericFeatures(cols) },
        fc.tuple(numericFeatures(cols), features).map(([a, b]) => ({ ...b, ...a })),
        fc.tuple(numericFeatures(cols), fc.nat()).map(([a, drop]) => Object.fromEntries(Object.entries(a).filter((_, i) => i !== drop % Math.max(cols.length, 1)))),
        features,
        fc.constantFrom(null, [1, 2], "x"),
      ),
      output,
      score: optional(fc.oneof({ weight: 5, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) }, fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, "1"))),
      latencyMs: optional(fc.oneof({ weight: 5, arbitrary: fc.double({ min: 0, max: 1e6, noNaN: true }) }, fc.constantFrom(-1, Number.NaN))),
      timestamp: optional(fc.oneof({ weight: 5, arbitrary: fc.double({ min: 0, max: 4.1e12, noNaN: true }) }, fc.constantFrom(-1, -0.4, MAX_EPOCH_MS, MAX_EPOCH_MS + 0.6, Number.NaN, Number.POSITIVE_INFINITY))),
      withId: fc.boolean(),
    }),
    { minLength: n, maxLength: n },
  ),
);

describe("monitor.logPrediction → columnar batches", () => {
  it("the server decodes exactly the rows logged (what the row form would store); a row the row form refuses is dropped and reported, alone", async () => {
    const own = new UuidV7Source();
    await fc.assert(
      fc.asyncProperty(inputs, fc.integer({ min: 1, max: 25 }), async (list, maxBatchRows) => {
        const { monitor, ops, problems } = capturingMonitor(maxBatchRows);
        const expected: unknown[] = [];
        let refused = 0;
        for (const r of list) {
          const { withId, ...rest } = r;
          const p = (withId ? { id: own.next(), ...rest } : rest) as PredictionInput;
          const id = monitor.logPrediction(p);
          if (withId) expect(id).toBe(p.id);
          const row = parsePredictionBatch(rowForm(p, id));
          if (row.ok) expected.push(row.predictions[0]);
          else refused++;
        }
        await monitor.close();
        expect(viaJson(decodeAll(ops))).toEqual(expected);
        expect(monitor.stats()).toMatchObject({ logged: list.length, dropped: refused });
        expect(problems).toHaveLength(refused);
        for (const op of ops) expect(op.count).toBeLessThanOrEqual(maxBatchRows);
      }),
      { numRuns: 300 },
    );
  });

  it("rows of one numeric shape travel as columns only: no JSON per row", async () => {
    const { monitor, ops } = capturingMonitor(5_000);
    for (let i = 0; i < 1_000; i++) monitor.logPrediction({ features: { a: i, b: i % 2 ? null : -i, c: Number.NaN }, output: i % 3, score: i / 1000 });
    await monitor.close();
    expect(ops).toHaveLength(1);
    const body = JSON.parse(ops[0]!.body) as { columns: { present: string[]; outputs: unknown; features: string[] }; extra: unknown[]; own: unknown[] };
    expect(body.columns).toMatchObject({ present: ["score"], outputs: "numbers", features: ["a", "b", "c"] });
    expect([body.extra, body.own]).toEqual([[], []]);
    expect(decodeAll(ops)[1]!.features).toEqual({ a: 1, b: null, c: null });
  });

  it("copies what it is given: changing the features object after logging changes nothing", async () => {
    const { monitor, ops } = capturingMonitor(100);
    const f: Record<string, unknown> = { a: 1, city: "paris" };
    monitor.logPrediction({ features: f as PredictionInput["features"], output: { label: "x" } });
    f.a = 2;
    f.city = "lyon";
    monitor.logPrediction({ features: f as PredictionInput["features"], output: 1 });
    await monitor.close();
    expect(decodeAll(ops).map((p) => p.features)).toEqual([
      { a: 1, city: "paris" },
      { a: 2, city: "lyon" },
    ]);
  });

  it("never throws into serving code: a throwing getter drops the row", async () => {
    const { monitor, ops } = capturingMonitor(100);
    const bad = {
      get x(): number {
        throw new Error("boom");
      },
    };
    expect(() => monitor.logPrediction({ features: bad, output: 1 })).not.toThrow();
    monitor.logPrediction({ features: { x: 1 }, output: 1 });
    await monitor.close();
    expect(monitor.stats()).toMatchObject({ logged: 2, dropped: 1 });
    expect(decodeAll(ops)).toHaveLength(1);
  });

  it("seals a batch before its body passes the request limit (long texts)", async () => {
    const { monitor, ops } = capturingMonitor(10_000);
    const long = "x".repeat(9_000);
    const f = Object.fromEntries(Array.from({ length: 100 }, (_, k) => [`t${k}`, long]));
    for (let i = 0; i < 20; i++) monitor.logPrediction({ features: f, output: i });
    await monitor.close();
    expect(ops.length).toBeGreaterThan(2);
    for (const op of ops) expect(Buffer.byteLength(op.body)).toBeLessThanOrEqual(MAX_BODY_BYTES);
    expect(decodeAll(ops)).toHaveLength(20);
  });
});

describe("PredictionColumns.encode over row ranges", () => {
  it("a row of more numeric features than the wire form's 10,000 columns still decodes whole (the rest as JSON)", () => {
    const b = new PredictionColumns(10);
    const features = Object.fromEntries(Array.from({ length: 10_003 }, (_, k) => [`f${k}`, k]));
    b.add({ features, output: 1 }, new UuidV7Source());
    const [p] = decodeAll([{ type: "predictions", body: b.encode("m", 1), count: 1 }]);
    expect(p!.features).toEqual(features);
  });


  it("bodies split under any byte limit hold every row once, in order; a row larger than the limit is set aside", () => {
    const source = new UuidV7Source();
    fc.assert(
      fc.property(fc.array(fc.record({ features: fc.dictionary(fc.constantFrom("a", "b", "c", "d"), fc.oneof(fc.double(), fc.string({ maxLength: 3_000 }), fc.constant(null)), { maxKeys: 4 }), output: fc.oneof(fc.double(), fc.string({ maxLength: 500 })) }), { minLength: 1, maxLength: 80 }), fc.integer({ min: 300, max: 6_000 }), (list, limit) => {
        const b = new PredictionColumns(1_000);
        const ids = list.map((p) => b.add(p as PredictionInput, source));
        expect(b.n).toBe(list.length);
        const { bodies, tooLarge } = splitEncode(b.n, (from, to) => b.encode("m", 1, from, to), limit);
        const got: string[] = [];
        for (const { body, count } of bodies) {
          expect(Buffer.byteLength(body)).toBeLessThanOrEqual(limit);
          const decoded = decodeAll([{ type: "predictions", body, count }]);
          got.push(...decoded.map((p) => p.id));
        }
        const big = new Set(tooLarge.map((i) => ids[i]));
        expect(got).toEqual(ids.filter((id) => !big.has(id)));
      }),
      { numRuns: 200 },
    );
  });
});

describe("labels", () => {
  it("go in row-form batches beside the predictions", async () => {
    const { monitor, ops } = capturingMonitor(100);
    const id = monitor.logPrediction({ features: { a: 1 }, output: 1 });
    monitor.logLabel(id, 1);
    await monitor.close();
    const labels = ops.filter((o) => o.type === "labels").map((o) => (JSON.parse(o.body) as { labels: LabelIn[] }).labels);
    expect(labels).toEqual([[{ predictionId: id, label: 1 }]]);
  });
});
