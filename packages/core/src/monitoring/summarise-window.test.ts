import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { driftAgainstProfile } from "../checks/drift/profile.js";
import { classificationMetrics } from "../checks/performance/classification.js";
import { lInfinityDistance } from "../checks/skew/distance.js";
import { quantileSorted } from "../datasets/numerical.js";
import { DatasetProfiler } from "../datasets/profiler.js";
import type { DatasetProfile } from "../schemas/datasets.js";
import { aggregateLabelPairs } from "./labels.js";
import { compileReference } from "./reference.js";
import { featureDrift, OTHER_OUTPUT, summariseWindow, windowPerformance } from "./summarise-window.js";
import { aggregateLabels, aggregatePredictions, emptyWindowAggregate, mergeWindowAggregates, type PredictionRow } from "./window-aggregate.js";

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

const CITIES = ["ams", "ber", "cph", "dub"];

/** Training data: x ~ U(0, 100), y ~ exp, city with shares 40/30/20/10. */
function trainingProfile(n = 5000): DatasetProfile {
  const r = rng(1);
  const p = new DatasetProfiler({ types: { x: "numerical", y: "numerical", city: "categorical" } });
  p.addColumns(
    {
      x: Array.from({ length: n }, () => r() * 100),
      y: Array.from({ length: n }, () => -Math.log(1 - r()) * 3),
      city: Array.from({ length: n }, (_, i) => CITIES[i % 10 < 4 ? 0 : i % 10 < 7 ? 1 : i % 10 < 9 ? 2 : 3]),
    },
    n,
  );
  return p.finish().profile;
}

const training = trainingProfile();
const ref = compileReference({ profile: training });
const reference = { profile: training, features: ["x", "y", "city"] };

/** Serving rows; `shiftX` moves x only. */
function serving(n: number, seed: number, shiftX = 0): PredictionRow[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => ({
    features: { x: r() * 100 + shiftX, y: -Math.log(1 - r()) * 3, city: CITIES[i % 10 < 4 ? 0 : i % 10 < 7 ? 1 : i % 10 < 9 ? 2 : 3]! },
    output: r() < 0.3 ? "1" : "0",
    score: r(),
    latencyMs: 5 + r() * 20,
  }));
}

const column = (rows: PredictionRow[], name: string) => rows.map((row) => row.features[name] as number | string);

describe("summariseWindow", () => {
  it("gives PSI and Jensen–Shannon equal to driftAgainstProfile on the same rows, and flags only the shifted feature", () => {
    for (const [shift, method] of [[0, "psi"], [0, "jensenshannon"], [40, "psi"], [40, "jensenshannon"]] as const) {
      const rows = serving(3000, 7 + shift, shift);
      const s = summariseWindow(aggregatePredictions(rows, ref), reference, { method });
      const direct = driftAgainstProfile(training, { x: column(rows, "x"), y: column(rows, "y") }, { method });
      for (const name of ["x", "y"]) {
        const got = s.drift.features.find((f) => f.feature === name)!;
        const want = direct.columns.find((c) => c.column === name)!;
        expect(got.method).toBe(method);
        expect(got.statistic).toBeCloseTo(want.statistic!, 12);
        expect(got.threshold).toBe(method === "psi" ? 0.2 : 0.1);
        expect(got.count).toBe(3000);
      }
      const drifted = s.drift.features.filter((f) => f.drifted).map((f) => f.feature);
      expect(drifted).toEqual(shift ? ["x"] : []);
      expect(s.drift.driftedShare).toBeCloseTo(shift ? 1 / 3 : 0, 12);
      expect(s.drift.drifted).toBe(false);
    }
  });

  it("measures categories by the L-infinity distance of shares, new categories included", () => {
    const rows = serving(1000, 3).map((r, i) => ({ ...r, features: { ...r.features, city: i < 300 ? "osl" : r.features.city! } }));
    const s = summariseWindow(aggregatePredictions(rows, ref), reference);
    const city = s.drift.features.find((f) => f.feature === "city")!;
    const counts = [...CITIES, "osl"].map((c) => rows.filter((r) => r.features.city === c).length);
    const trainShares = [...CITIES.map((c) => training.columns.find((x) => x.name === "city")!.categorical!.top.find((t) => t.value === c)!.count), 0];
    expect(city.method).toBe("linf");
    expect(city.threshold).toBe(0.1);
    expect(city.statistic).toBeCloseTo(lInfinityDistance(trainShares, counts).distance, 12);
    expect(city.status).toBe("drift");
  });

  it("says not_enough_data below 30 values, and such features do not vote", () => {
    const rows = serving(29, 5, 50);
    const s = summariseWindow(aggregatePredictions(rows, ref), reference);
    expect(s.drift.features.map((f) => f.status)).toEqual(["not_enough_data", "not_enough_data", "not_enough_data"]);
    expect(s.drift.driftedShare).toBeNull();
    expect(s.drift.drifted).toBe(false);
    const empty = summariseWindow(emptyWindowAggregate(), reference);
    expect(empty.count).toBe(0);
    expect(empty.drift.features.map((f) => [f.feature, f.count, f.status])).toEqual([
      ["x", 0, "not_enough_data"],
      ["y", 0, "not_enough_data"],
      ["city", 0, "not_enough_data"],
    ]);
    expect(empty.latencyMs).toEqual({ p50: null, p95: null, p99: null, count: 0 });
    expect(empty.labels.coverage).toBeNull();
    expect(empty.schemaViolations.rate).toBeNull();
    expect(summariseWindow(aggregatePredictions(rows, ref), { profile: null }).drift).toEqual({ features: [], driftedShare: null, drifted: false });
  });

  it("calls the window drifted when at least half the judged features drifted", () => {
    const rows = serving(2000, 9, 60).map((r) => ({ ...r, features: { ...r.features, y: (r.features.y as number) + 30 } }));
    const s = summariseWindow(aggregatePredictions(rows, ref), reference);
    expect(s.drift.driftedShare).toBeCloseTo(2 / 3, 12);
    expect(s.drift.drifted).toBe(true);
  });

  it("reads latency and score quantiles from the sketches within their error, and output class shares exactly", () => {
    const rows = serving(20_000, 11);
    const s = summariseWindow(aggregatePredictions(rows, ref), reference);
    const lat = Float64Array.from(rows.map((r) => r.latencyMs!)).sort();
    const score = Float64Array.from(rows.map((r) => r.score!)).sort();
    // Ranks: within 0.5% of the data (the sketch's tails are finer than that).
    const rankOf = (sorted: Float64Array, v: number) => sorted.findIndex((x) => x >= v) / sorted.length;
    for (const [q, got] of [[0.5, s.latencyMs.p50], [0.95, s.latencyMs.p95], [0.99, s.latencyMs.p99]] as const) {
      expect(Math.abs(rankOf(lat, got!) - q), `latency p${q * 100}`).toBeLessThan(0.005);
      expect(got).toBeCloseTo(quantileSorted(lat, q), 0);
    }
    expect(s.latencyMs.count).toBe(20_000);
    expect(Math.abs(rankOf(score, s.score!.p95!) - 0.95)).toBeLessThan(0.005);
    expect(s.score!.mean).toBeCloseTo(rows.reduce((a, r) => a + r.score!, 0) / rows.length, 9);
    const ones = rows.filter((r) => r.output === "1").length;
    expect(s.output).toEqual({ "0": (rows.length - ones) / rows.length, "1": ones / rows.length });
  });

  it("reports numeric outputs of a regression model as quantiles", () => {
    const r = rng(4);
    const rows = Array.from({ length: 500 }, () => ({ features: { x: 1 }, output: r() * 1000 }));
    const s = summariseWindow(aggregatePredictions(rows, ref), { profile: training, task: "regression" });
    expect(Object.keys(s.output).sort()).toEqual(["mean", "p25", "p5", "p50", "p75", "p95"]);
    expect(s.output.p50).toBeGreaterThan(400);
    expect(s.output.p50).toBeLessThan(600);
    // Unknown task: hundreds of distinct numbers are not classes either.
    expect(Object.keys(summariseWindow(aggregatePredictions(rows, ref), { profile: null }).output)).toContain("p95");
    expect(OTHER_OUTPUT).toBe("(other)");
  });

  it("counts schema violations per kind and feature, and the rate of predictions with any", () => {
    const rows: PredictionRow[] = [
      { features: { x: 5, y: 1, city: "ams" }, output: "0" },
      { features: { x: "five", y: 1, city: "ams" }, output: "0" },
      { features: { x: 500, city: "xyz" }, output: "0" },
      { features: { x: 5, y: 1, city: "ams", extra: true }, output: "0" },
    ];
    const s = summariseWindow(aggregatePredictions(rows, ref), reference);
    expect(s.schemaViolations.byKind).toEqual({ type_mismatch: 1, out_of_range: 1, missing_field: 1, unseen_category: 1, unknown_field: 1 });
    expect(s.schemaViolations.byFeature).toEqual({ x: 2, y: 1, city: 1, extra: 1 });
    expect(s.schemaViolations.total).toBe(5);
    expect(s.schemaViolations.rate).toBe(3 / 4);
  });
});

describe("windowPerformance", () => {
  const labelArb = fc.constantFrom("0", "1", "2");
  const pairsArb = (classes: fc.Arbitrary<string>) => fc.array(fc.record({ label: classes, output: classes }), { minLength: 2, maxLength: 200 });

  it("equals scikit-learn's figures (classificationMetrics) over the same pairs, after any split into windows", () => {
    for (const classes of [fc.constantFrom("0", "1"), labelArb]) {
      fc.assert(
        fc.property(pairsArb(classes), fc.nat(), (pairs, cut) => {
          const k = cut % (pairs.length + 1);
          const merged = mergeWindowAggregates(aggregateLabels(pairs.slice(0, k)), aggregateLabels(pairs.slice(k)));
          const got = windowPerformance(merged.labels, "classification")!;
          const want = classificationMetrics({ labels: pairs.map((p) => p.label), predictions: pairs.map((p) => p.output as string) });
          expect(got.count).toBe(pairs.length);
          expect(got.accuracy).toBeCloseTo(want.accuracy!, 12);
          expect(got.precision).toBeCloseTo(want.precision!, 12);
          expect(got.recall).toBeCloseTo(want.recall!, 12);
          expect(got.f1).toBeCloseTo(want.f1!, 12);
        }),
        { numRuns: 150 },
      );
    }
  });

  it("gives regression errors from the sums, and infers the task when the signature does not say", () => {
    const pairs = Array.from({ length: 100 }, (_, i) => ({ label: i * 1.5, output: i * 1.5 + (i % 2 ? 2 : -1) }));
    const got = windowPerformance(aggregateLabelPairs(pairs), null)!;
    expect(got.task).toBe("regression");
    expect(got.mae).toBeCloseTo(1.5, 12);
    expect(got.rmse).toBeCloseTo(Math.sqrt(2.5), 12);
    expect(windowPerformance(aggregateLabelPairs([{ label: "a", output: "a" }, { label: "b", output: "a" }]), null)).toMatchObject({ task: "classification", accuracy: 0.5, count: 2 });
    expect(windowPerformance(aggregateLabelPairs([]), null)).toBeNull();
  });

  it("raises coverage with labels", () => {
    const rows = serving(100, 2);
    const withLabels = mergeWindowAggregates(aggregatePredictions(rows, ref), aggregateLabels(rows.slice(0, 40).map((r) => ({ label: "1", output: r.output }))));
    const s = summariseWindow(withLabels, reference);
    expect(s.labels).toEqual({ count: 40, coverage: 0.4 });
    const ones = rows.slice(0, 40).filter((r) => r.output === "1").length;
    expect(s.performance).toMatchObject({ task: "classification", count: 40, accuracy: ones / 40 });
  });
});

describe("featureDrift", () => {
  it("gives no verdict for counts made against other bins", () => {
    const x = training.columns.find((c) => c.name === "x")!;
    expect(featureDrift(x, { type: "numerical", bins: [100, 100], missing: 0 }).status).toBe("not_enough_data");
    expect(featureDrift(x, undefined).status).toBe("not_enough_data");
  });
});
