import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DatasetProfiler } from "../datasets/profiler.js";
import type { DatasetProfile } from "../schemas/datasets.js";
import { aggregateLabelPairs, type LabelPair } from "./labels.js";
import { compileReference } from "./reference.js";
import { aggregateLabels, aggregatePredictions, emptyWindowAggregate, mergeWindowAggregates, type PredictionRow, type WindowAggregate } from "./window-aggregate.js";

const training: DatasetProfile = (() => {
  const p = new DatasetProfiler({ types: { x: "numerical", c: "categorical", b: "boolean", y: "categorical" } });
  const n = 2000;
  p.addColumns(
    {
      x: Array.from({ length: n }, (_, i) => (i % 100) / 10),
      c: Array.from({ length: n }, (_, i) => ["a", "b", "c"][i % 3]),
      b: Array.from({ length: n }, (_, i) => i % 2 === 0),
      y: Array.from({ length: n }, (_, i) => String(i % 2)),
    },
    n,
  );
  return p.finish().profile;
})();
const ref = compileReference({ profile: training, labelColumn: "y" });

const rowArb: fc.Arbitrary<PredictionRow> = fc.record(
  {
    features: fc.record(
      {
        x: fc.oneof(fc.double({ min: -5, max: 15, noNaN: true }), fc.constantFrom(0, 1, 5, 9.9, null), fc.constant("oops")),
        c: fc.oneof(fc.constantFrom("a", "b", "c", "zz", null), fc.integer({ min: 0, max: 3 })),
        b: fc.oneof(fc.boolean(), fc.constant(null)),
        extra: fc.constantFrom(1, 2),
      },
      { requiredKeys: [] },
    ),
    output: fc.oneof(fc.constantFrom("0", "1"), fc.integer({ min: 0, max: 2 }), fc.record({ label: fc.constantFrom("0", "1"), p: fc.double({ min: 0, max: 1, noNaN: true }) })),
    score: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
    latencyMs: fc.option(fc.double({ min: 0, max: 500, noNaN: true }), { nil: undefined }),
  },
  { requiredKeys: ["features", "output"] },
);

/** Everything in an aggregate that is a count (exact under any merge order). */
function counts(a: WindowAggregate) {
  const sortObj = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).sort(([x], [y]) => (x < y ? -1 : 1)));
  return {
    count: a.count,
    latency: a.latency?.count ?? 0,
    latencyWeight: a.latency?.sketch.weights.reduce((s, w) => s + w, 0) ?? 0,
    latencyMin: a.latency?.min ?? null,
    latencyMax: a.latency?.max ?? null,
    score: a.score?.count ?? 0,
    classes: sortObj(a.output.classes.counts),
    other: a.output.classes.other,
    numericOutputs: a.output.numeric?.count ?? 0,
    profileRows: a.profile?.rowCount ?? 0,
    profileColumns: sortObj(Object.fromEntries((a.profile?.columns ?? []).map((c) => [c.name, [c.count, c.missing]]))),
    drift: sortObj(Object.fromEntries(Object.entries(a.drift).map(([k, d]) => [k, { bins: d.bins ?? null, cats: d.categories ? sortObj(d.categories.counts) : null, missing: d.missing }]))),
    violations: { predictions: a.violations.predictions, byKind: sortObj(a.violations.byKind), byFeature: sortObj(a.violations.byFeature) },
    labels: { count: a.labels.count, other: a.labels.other, confusion: sortObj(Object.fromEntries(Object.entries(a.labels.confusion).map(([k, r]) => [k, sortObj(r)]))), n: a.labels.regression.count },
  };
}

const rowsArb = fc.array(rowArb, { minLength: 0, maxLength: 60 });
/** Aggregates round-trip through JSON as the server stores them in jsonb. */
const stored = (a: WindowAggregate): WindowAggregate => JSON.parse(JSON.stringify(a));
const agg = (rows: PredictionRow[]) => stored(aggregatePredictions(rows, ref));

describe("window aggregates", () => {
  it("aggregating a split batch then merging equals aggregating the whole", () => {
    fc.assert(
      fc.property(rowsArb, fc.nat(), (rows, cut) => {
        const k = rows.length ? cut % (rows.length + 1) : 0;
        const whole = agg(rows);
        const merged = mergeWindowAggregates(agg(rows.slice(0, k)), agg(rows.slice(k)));
        expect(counts(merged)).toEqual(counts(whole));
        if (whole.latency) expect(merged.latency!.sum).toBeCloseTo(whole.latency.sum, 6);
      }),
      { numRuns: 150 },
    );
  });

  it("merge is commutative and associative on counts, with the empty aggregate as identity", () => {
    fc.assert(
      fc.property(rowsArb, rowsArb, rowsArb, (r1, r2, r3) => {
        const [a, b, c] = [agg(r1), agg(r2), agg(r3)];
        expect(counts(mergeWindowAggregates(a, b))).toEqual(counts(mergeWindowAggregates(b, a)));
        expect(counts(mergeWindowAggregates(mergeWindowAggregates(a, b), c))).toEqual(counts(mergeWindowAggregates(a, mergeWindowAggregates(b, c))));
        expect(counts(mergeWindowAggregates(a, emptyWindowAggregate()))).toEqual(counts(a));
      }),
      { numRuns: 100 },
    );
  });

  it("label parts merge by addition with prediction parts", () => {
    const pairArb: fc.Arbitrary<LabelPair> = fc.record({ label: fc.oneof(fc.constantFrom("0", "1"), fc.double({ min: -10, max: 10, noNaN: true })), output: fc.oneof(fc.constantFrom("0", "1"), fc.double({ min: -10, max: 10, noNaN: true })) });
    fc.assert(
      fc.property(fc.array(pairArb, { maxLength: 40 }), fc.nat(), (pairs, cut) => {
        const k = pairs.length ? cut % (pairs.length + 1) : 0;
        const whole = aggregateLabelPairs(pairs);
        const merged = mergeWindowAggregates(stored(aggregateLabels(pairs.slice(0, k))), stored(aggregateLabels(pairs.slice(k)))).labels;
        expect(merged.count).toBe(pairs.length);
        expect(counts({ ...emptyWindowAggregate(), labels: merged }).labels).toEqual(counts({ ...emptyWindowAggregate(), labels: whole }).labels);
        expect(merged.regression.sumSq).toBeCloseTo(whole.regression.sumSq, 6);
      }),
    );
  });
});

describe("aggregatePredictions against the training profile", () => {
  it("counts drift bins with the drift checks' rule: a value on an edge goes to the upper bin", () => {
    const edges = training.columns.find((c) => c.name === "x")!.numerical!.deciles.edges;
    const a = aggregatePredictions([{ features: { x: edges[0]! }, output: "1" }, { features: { x: -100 }, output: "1" }, { features: { x: null }, output: "1" }], ref);
    expect(a.drift.x!.bins![1]).toBe(1);
    expect(a.drift.x!.bins![0]).toBe(1);
    expect(a.drift.x!.missing).toBe(1);
  });

  it("finds each kind of schema violation", () => {
    const a = aggregatePredictions(
      [
        { features: { x: 1, c: "a", b: true }, output: "1" },
        { features: { x: 1, c: "a" }, output: "1" }, // missing b
        { features: { x: 1, c: "a", b: true, zz: 1 }, output: "1" }, // unknown
        { features: { x: "1", c: "a", b: true }, output: "1" }, // type
        { features: { x: 1e9, c: "nope", b: null }, output: "1" }, // range + unseen; null is missing, not a violation
      ],
      ref,
    );
    expect(a.violations.predictions).toBe(4);
    expect(a.violations.byKind).toEqual({ missing_field: 1, unknown_field: 1, type_mismatch: 1, out_of_range: 1, unseen_category: 1 });
    expect(a.violations.byFeature).toEqual({ b: 1, zz: 1, x: 2, c: 1 });
    expect(a.count).toBe(5);
  });

  it("without a reference still counts volume, latency and outputs, and no violations", () => {
    const a = aggregatePredictions([{ features: { q: 1 }, output: { label: "x" }, latencyMs: 3 }], compileReference({ profile: null }));
    expect(a.count).toBe(1);
    expect(a.latency!.count).toBe(1);
    expect(a.output.classes.counts).toEqual({ x: 1 });
    expect(a.violations.predictions).toBe(0);
    expect(a.drift).toEqual({});
    expect(a.profile!.columns.map((c) => c.name)).toEqual(["q"]);
  });

  it("keeps a feature typed differently by two batches instead of failing the merge", () => {
    const none = compileReference({ profile: null });
    const m = mergeWindowAggregates(aggregatePredictions([{ features: { q: 1 }, output: 1 }, { features: { q: 2 }, output: 1 }], none), aggregatePredictions([{ features: { q: "s" }, output: 1 }], none));
    expect(m.count).toBe(3);
    expect(m.profile!.columns.find((c) => c.name === "q")!.type).toBe("numerical");
  });
});
