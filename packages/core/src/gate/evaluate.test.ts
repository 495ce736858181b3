import { describe, expect, it } from "vitest";
import { Policy, type PolicyRule } from "../schemas/models.js";
import { describeFailures, evaluatePolicy, failedRuleErrors, figureAt, higherIsBetter } from "./evaluate.js";
import { bundle, check, NOW, T0, TEST_V1, TEST_V2, version } from "./evaluate.testutil.js";

/** The issue's example policy, parsed as the server stores it (tolerance defaults filled in). */
const ISSUE_POLICY = Policy.parse({
  alias: "production",
  rules: [
    { metric: "accuracy", dataset: "test", min: 0.9 },
    { metric: "accuracy", dataset: "test", notWorseThan: "production", tolerance: 0.01 },
    { check: "bias", field: "demographicParityRatio", min: 0.8 },
    { check: "drift", field: "driftedShare", max: 0.3 },
    { check: "schema", compatibleWith: "production" },
    { check: "behaviour", allPass: true },
    { checksNewerThan: "7d" },
  ],
}).rules as PolicyRule[];

const holderV3 = version(3, { checks: [check("performance", { accuracy: 0.922 })] });
const compatible = { production: { status: "compared" as const, holderVersion: 3, compatible: true, problems: [], check: { id: "schema-check", createdAt: NOW.toISOString() } } };

describe("evaluatePolicy on the issue's example policy", () => {
  it("passes a candidate whose every piece of evidence is within bounds", () => {
    const candidate = version(4, {
      checks: [
        check("performance", { accuracy: 0.93 }),
        check("bias", { demographicParityRatio: 0.85 }),
        check("drift", { driftedShare: 0.1 }),
        check("behaviour", { passed: true, total: 3, failedCount: 0 }),
      ],
    });
    const outcomes = evaluatePolicy(ISSUE_POLICY, bundle(candidate, { holders: { production: holderV3 }, compatibility: compatible }), NOW);
    expect(outcomes.map((o) => o.passed)).toEqual([true, true, true, true, true, true, true]);
    expect(outcomes[1]!.bound).toBe("≥ 0.912 (production v3: 0.922 − 0.01)");
    expect(outcomes[6]!.observed).toBe("1d");
  });

  it("fails each rule with the observed value, the bound and the evidence id", () => {
    const perf = check("performance", { accuracy: 0.87 });
    const bias = check("bias", { demographicParityRatio: 0.7 });
    const behaviour = check("behaviour", { passed: false, total: 10, failedCount: 3 }, { status: "failed" });
    const candidate = version(4, { checks: [perf, bias, behaviour] });
    const incompatible = { production: { ...compatible.production, compatible: false, problems: ["input column age changed type from numerical to categorical"] } };
    const outcomes = evaluatePolicy(ISSUE_POLICY, bundle(candidate, { holders: { production: holderV3 }, compatibility: incompatible }), NOW);
    expect(outcomes.map((o) => o.passed)).toEqual([false, false, false, false, false, false, true]);
    expect(outcomes[0]).toMatchObject({ observed: 0.87, bound: "≥ 0.9", evidence: { kind: "check", id: perf.id }, message: `observed 0.87 < bound 0.9 (evidence check ${perf.id})` });
    expect(outcomes[1]!.message).toContain("observed 0.87 < bound 0.912 (production v3: 0.922 − 0.01");
    expect(outcomes[2]).toMatchObject({ observed: 0.7, evidence: { id: bias.id } });
    expect(outcomes[3]).toMatchObject({ observed: null, evidence: null, message: "no evidence: no drift check recorded for v4" });
    expect(outcomes[4]!.message).toContain("age changed type");
    expect(outcomes[5]).toMatchObject({ observed: "failed", message: `check ${behaviour.id} has status failed (3 of 10 cases failed)` });
    const errors = failedRuleErrors(outcomes);
    expect(errors.map((e) => e.path)).toEqual(["rules[0]", "rules[1]", "rules[2]", "rules[3]", "rules[4]", "rules[5]"]);
    expect(describeFailures(outcomes)).toMatch(/^6 of 7 rules failed: rules\[0\] accuracy on test: observed 0.87/);
  });
});

describe("metric evidence", () => {
  const rule: PolicyRule = { metric: "accuracy", dataset: "test", min: 0.9 };

  it("takes the newest performance check on the role that reports the metric", () => {
    const old = check("performance", { accuracy: 0.95 }, { createdAt: "2026-11-19T00:00:00.000Z" });
    const newer = check("performance", { accuracy: 0.91 }, { createdAt: "2026-11-20T00:00:00.000Z" });
    const newestWithoutMetric = check("performance", { f1: 0.5 }, { createdAt: "2026-11-21T00:00:00.000Z" });
    const otherRole = check("performance", { accuracy: 0.1 }, { createdAt: "2026-11-21T00:00:00.000Z", datasets: [{ datasetVersionId: TEST_V1, role: "validation" }] });
    const [o] = evaluatePolicy([rule], bundle(version(1, { checks: [old, newer, newestWithoutMetric, otherRole] })), NOW);
    expect(o).toMatchObject({ passed: true, observed: 0.91, evidence: { id: newer.id } });
  });

  it("falls back to the metrics snapshot under test/accuracy, test.accuracy or test_accuracy", () => {
    for (const key of ["test/accuracy", "test.accuracy", "test_accuracy"]) {
      const v = version(2, { metrics: { [key]: 0.95, accuracy: 0.1 } });
      const [o] = evaluatePolicy([rule], bundle(v), NOW);
      expect(o).toMatchObject({ passed: true, observed: 0.95, evidence: { kind: "metrics", id: v.id, createdAt: T0 } });
    }
  });

  it("fails without evidence and says where it looked", () => {
    const [o] = evaluatePolicy([rule], bundle(version(2, { metrics: { accuracy: 0.99 } })), NOW);
    expect(o).toMatchObject({ passed: false, observed: null, evidence: null });
    expect(o!.message).toMatch(/^no evidence: .*test\/accuracy/);
  });
});

describe("not worse than the alias holder", () => {
  const rule: PolicyRule = { metric: "accuracy", dataset: "test", notWorseThan: "production", tolerance: 0.01 };

  it("passes with no holder", () => {
    const [o] = evaluatePolicy([rule], bundle(version(1, { checks: [check("performance", { accuracy: 0.5 })] }), { holders: { production: null } }), NOW);
    expect(o).toMatchObject({ passed: true, message: "no version holds production yet" });
  });

  it("compares on the candidate's dataset version, not the holder's newest figure", () => {
    const holder = version(3, {
      checks: [
        check("performance", { accuracy: 0.8 }, { datasets: [{ datasetVersionId: TEST_V2, role: "test" }], createdAt: "2026-11-18T00:00:00.000Z" }),
        check("performance", { accuracy: 0.99 }, { datasets: [{ datasetVersionId: TEST_V1, role: "test" }], createdAt: "2026-11-20T00:00:00.000Z" }),
      ],
    });
    const candidate = version(4, { checks: [check("performance", { accuracy: 0.85 })] });
    const [o] = evaluatePolicy([rule], bundle(candidate, { holders: { production: holder } }), NOW);
    expect(o).toMatchObject({ passed: true, bound: "≥ 0.79 (production v3: 0.8 − 0.01)" });
  });

  it("fails when the holder has no figure on that dataset version", () => {
    const holder = version(3, { checks: [check("performance", { accuracy: 0.8 }, { datasets: [{ datasetVersionId: TEST_V1, role: "test" }] })] });
    const [o] = evaluatePolicy([rule], bundle(version(4, { checks: [check("performance", { accuracy: 0.85 })] }), { holders: { production: holder } }), NOW);
    expect(o).toMatchObject({ passed: false, message: "no evidence for production v3 on dataset iris-test v2" });
  });

  it("treats losses as lower-is-better unless told otherwise", () => {
    expect(["loss", "logLoss", "mae", "rmse", "mse", "mape", "errorRate"].every((m) => !higherIsBetter(m))).toBe(true);
    expect(["accuracy", "f1", "r2", "rocAuc"].every((m) => higherIsBetter(m))).toBe(true);
    expect(higherIsBetter("loss", true)).toBe(true);
    const holder = version(3, { checks: [check("performance", { logLoss: 0.3 })] });
    const lossRule: PolicyRule = { metric: "logLoss", dataset: "test", notWorseThan: "production", tolerance: 0.05 };
    const run = (x: number) => evaluatePolicy([lossRule], bundle(version(4, { checks: [check("performance", { logLoss: x })] }), { holders: { production: holder } }), NOW)[0]!;
    expect(run(0.35)).toMatchObject({ passed: true, bound: "≤ 0.35 (production v3: 0.3 + 0.05)" });
    expect(run(0.36).passed).toBe(false);
  });
});

describe("check rules", () => {
  it("reads a dot path into the figures, indexing arrays by number", () => {
    const figures = { columns: [{ statistic: 0.2 }, { statistic: 0.4 }], groups: { "0": { rate: 1 } } };
    expect(figureAt(figures, "columns.1.statistic")).toBe(0.4);
    expect(figureAt(figures, "groups.0.rate")).toBe(1);
    expect(figureAt(figures, "columns.x")).toBeUndefined();
    expect(figureAt(figures, "constructor")).toBeUndefined();
  });

  it("fails a missing or non-numeric field with observed null but names the check", () => {
    const c = check("drift", { driftedShare: "high" });
    const [o] = evaluatePolicy([{ check: "drift", field: "driftedShare", max: 0.3 }], bundle(version(1, { checks: [c] })), NOW);
    expect(o).toMatchObject({ passed: false, observed: null, evidence: { id: c.id } });
  });

  it("uses the newest check of the kind with the given name", () => {
    const sex = check("bias", { demographicParityRatio: 0.9 }, { name: "bias:sex", createdAt: "2026-11-19T00:00:00.000Z" });
    const age = check("bias", { demographicParityRatio: 0.5 }, { name: "bias:age", createdAt: "2026-11-20T00:00:00.000Z" });
    const v = version(1, { checks: [sex, age] });
    expect(evaluatePolicy([{ check: "bias", name: "bias:sex", field: "demographicParityRatio", min: 0.8 }], bundle(v), NOW)[0]!.passed).toBe(true);
    expect(evaluatePolicy([{ check: "bias", field: "demographicParityRatio", min: 0.8 }], bundle(v), NOW)[0]!.evidence?.id).toBe(age.id);
  });

  it("allPass reads only the newest check's status", () => {
    const v = version(1, { checks: [check("behaviour", {}, { status: "failed", createdAt: "2026-11-19T00:00:00.000Z" }), check("behaviour", {}, { createdAt: "2026-11-20T00:00:00.000Z" })] });
    expect(evaluatePolicy([{ check: "behaviour", allPass: true }], bundle(v), NOW)[0]!.passed).toBe(true);
  });
});

describe("schema compatibility and freshness", () => {
  it("passes with no holder and fails a missing signature", () => {
    const rule: PolicyRule = { check: "schema", compatibleWith: "production" };
    expect(evaluatePolicy([rule], bundle(version(1), { compatibility: { production: { status: "no_holder" } } }), NOW)[0]!.passed).toBe(true);
    const [o] = evaluatePolicy([rule], bundle(version(4), { compatibility: { production: { status: "no_signature", which: "holder", holderVersion: 3 } } }), NOW);
    expect(o).toMatchObject({ passed: false, message: "no signature: production v3 was registered without one" });
    expect(evaluatePolicy([rule], bundle(version(4)), NOW)[0]!.passed).toBe(false);
  });

  it("ages the oldest evidence the other rules used, inclusive at the limit", () => {
    const old = check("bias", { r: 1 }, { createdAt: "2026-11-14T12:00:00.000Z" });
    const v = version(1, { checks: [old, check("drift", { s: 0 }, { createdAt: "2026-11-21T00:00:00.000Z" })] });
    const rules: PolicyRule[] = [{ check: "bias", field: "r", min: 0 }, { check: "drift", field: "s", max: 1 }, { checksNewerThan: "7d" }];
    expect(evaluatePolicy(rules, bundle(v), NOW)[2]).toMatchObject({ passed: true, observed: "7d", evidence: { id: old.id } });
    const [, , late] = evaluatePolicy(rules, bundle(v), new Date(NOW.getTime() + 1000));
    expect(late).toMatchObject({ passed: false, observed: "7d 1s", evidence: { id: old.id } });
    expect(late!.message).toContain(`observed age 7d 1s > bound 7d (evidence check ${old.id}`);
    expect(evaluatePolicy([{ checksNewerThan: "1s" }], bundle(v), NOW)[0]).toMatchObject({ passed: true, observed: null });
  });
});

describe("figures in messages", () => {
  it("reads short, and a failing figure never prints equal to its bound", async () => {
    const { formatNumber } = await import("./evaluate.js");
    expect(formatNumber(0.922 - 0.01)).toBe("0.912");
    expect(formatNumber(81 / 86)).toBe("0.94186");
  });

  it("shows as many digits as it takes to tell a failing figure from its bound", () => {
    const candidate = version(4, { checks: [check("performance", { accuracy: 0.89999999 })] });
    const [outcome] = evaluatePolicy([{ metric: "accuracy", dataset: "test", min: 0.9 }], bundle(candidate), NOW);
    expect(outcome!.passed).toBe(false);
    expect(outcome!.message).toContain("observed 0.89999999 < bound 0.9");
  });
});
