import type { MonitoringWindow } from "@cairn/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { evaluateRule } from "./rule-evaluation.js";

function windowOf(o: { count?: number; statistic?: number | null; featureCount?: number; accuracy?: number | null; labelled?: number; p95?: number | null; rate?: number | null; share?: number | null } = {}): MonitoringWindow {
  const count = o.count ?? 1000;
  return {
    start: "2026-01-01T00:00:00.000Z",
    end: "2026-01-01T01:00:00.000Z",
    count,
    latencyMs: { p50: null, p95: o.p95 ?? null, p99: null, count },
    score: null,
    output: {},
    schemaViolations: { total: 0, rate: o.rate ?? null, byKind: {}, byFeature: {} },
    labels: { count: o.labelled ?? 0, coverage: null },
    performance: o.accuracy === undefined ? null : { task: "classification", count: o.labelled ?? 0, accuracy: o.accuracy },
    drift: {
      features: [{ feature: "x", type: "numerical", method: "psi", statistic: o.statistic ?? null, threshold: 0.2, drifted: false, status: "ok", count: o.featureCount ?? count, missing: 0 }],
      driftedShare: o.share ?? null,
      drifted: false,
    },
  };
}

const stat = fc.double({ min: 0, max: 10, noNaN: true });
const n = fc.integer({ min: 0, max: 10_000 });

describe("evaluateRule (property)", () => {
  it("drift of a feature fires exactly when the statistic exceeds max, given enough samples", () => {
    fc.assert(
      fc.property(stat, stat, n, fc.integer({ min: 1, max: 10_000 }), (s, max, count, minSamples) => {
        const v = evaluateRule({ type: "drift", feature: "x", max }, [windowOf({ statistic: s, featureCount: count })], minSamples);
        if (count < minSamples) return v.kind === "not_enough_data";
        return v.kind !== "not_enough_data" && v.kind === (s > max ? "fired" : "ok") && v.observed === s && v.bound === max && v.sampleSize === count;
      }),
    );
  });

  it("a performance floor fires exactly when the metric is below it over enough labelled predictions", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), n, (acc, min, labelled) => {
        const v = evaluateRule({ type: "performance", metric: "accuracy", min }, [windowOf({ accuracy: acc, labelled })], 100);
        if (labelled < 100) return v.kind === "not_enough_data";
        return v.kind === (acc < min ? "fired" : "ok");
      }),
    );
  });

  it("volume fires exactly when the window is below minRatio × the trailing average; no verdict for a quiet model", () => {
    fc.assert(
      fc.property(fc.array(n, { minLength: 1, maxLength: 30 }), n, fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 30 }), (trailing, current, ratio, k) => {
        const windows = [...trailing.map((c) => windowOf({ count: c })), windowOf({ count: current })];
        const v = evaluateRule({ type: "volume", minRatio: ratio, trailingWindows: k }, windows, 50);
        const used = trailing.slice(-k);
        const avg = used.reduce((a, b) => a + b, 0) / used.length;
        if (avg < 50) return v.kind === "not_enough_data";
        return v.kind === (current < ratio * avg ? "fired" : "ok");
      }),
    );
  });

  it("no value in the window is never a verdict, whatever the bound", () => {
    for (const rule of [
      { type: "drift", feature: "x", max: 0 },
      { type: "drift", max: 0 },
      { type: "latency", percentile: "p95", max: 0 },
      { type: "schema_violation_rate", max: 0 },
      { type: "performance", metric: "accuracy", min: 1 },
    ] as const) {
      expect(evaluateRule(rule as never, [windowOf({ labelled: 1000 })], 1).kind, rule.type).toBe("not_enough_data");
    }
    expect(evaluateRule({ type: "drift", feature: "missing", max: 0 }, [windowOf({ statistic: 5 })], 1).kind).toBe("not_enough_data");
    expect(evaluateRule({ type: "latency", percentile: "p95", max: 100 }, [], 1).kind).toBe("not_enough_data");
    expect(evaluateRule({ type: "latency", percentile: "p95", max: 100 }, [windowOf({ p95: 101 })], 1)).toMatchObject({ kind: "fired", observed: 101, bound: 100 });
    expect(evaluateRule({ type: "schema_violation_rate", max: 0.1 }, [windowOf({ rate: 0.1 })], 1).kind).toBe("ok");
  });
});
