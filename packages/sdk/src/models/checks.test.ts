import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateCheckResult, DatasetProfiler, checkSkew, classificationMetrics, detectDrift, driftAgainstProfile, fairnessMetrics, type GateEvaluation, regressionMetrics } from "@cairn/core";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { CairnError } from "../client/errors.js";
import { SDK_VERSION } from "../version.js";
import { runCheck } from "./checks.js";
import { GateRefusedError, modelsError } from "./errors.js";
import { describeRule, refusalMessage, ruleLine } from "./gate-text.js";

const dir = mkdtempSync(join(tmpdir(), "cairn-models-checks-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rows = [
  { sex: "f", y: 1, p: 1, s: 0.9 },
  { sex: "f", y: 0, p: 1, s: 0.6 },
  { sex: "m", y: 1, p: 0, s: 0.4 },
  { sex: "m", y: 0, p: 0, s: 0.1 },
  { sex: "m", y: 1, p: 1, s: 0.8 },
  { sex: "f", y: 0, p: 0, s: 0.3 },
];
const col = <K extends keyof (typeof rows)[number]>(k: K) => rows.map((r) => r[k]);
const toCols = (records: Array<Record<string, unknown>>) => Object.fromEntries(Object.keys(records[0]!).map((k) => [k, records.map((r) => r[k])]));

describe("runCheck", () => {
  it("performance: the core report as figures from records, columns or a CSV file; status passed; the dataset link defaults to role test", async () => {
    const expected = classificationMetrics({ labels: col("y"), predictions: col("p"), scores: col("s") });
    const csv = join(dir, "perf.csv");
    writeFileSync(csv, `sex,y,p,s\n${rows.map((r) => `${r.sex},${r.y},${r.p},${r.s}`).join("\n")}\n`);
    const dv = { id: "0193a0c0-0000-7000-8000-000000000001" };
    for (const data of [rows, { y: col("y"), p: col("p"), s: new Float64Array(col("s")) }, csv]) {
      const r = await runCheck({ kind: "performance", task: "classification", data, label: "y", prediction: "p", score: "s", dataset: { datasetVersion: dv } });
      expect(r.figures).toEqual(expected);
      expect(r).toMatchObject({ kind: "performance", status: "passed", datasets: [{ datasetVersionId: dv.id, role: "test" }], tool: { name: "@cairn/sdk", version: SDK_VERSION } });
      expect(CreateCheckResult.safeParse(r).success).toBe(true);
    }
    const reg = await runCheck({ kind: "performance", task: "regression", data: csv, label: "y", prediction: "s" });
    expect(reg.figures).toEqual(regressionMetrics({ labels: col("y"), predictions: col("s") }));
  });

  it("performance on fewer than 2 rows is not_enough_data, not a pass", async () => {
    const r = await runCheck({ kind: "performance", task: "classification", data: rows.slice(0, 1), label: "y", prediction: "p" });
    expect(r.status).toBe("not_enough_data");
  });

  it("bias: fairness figures and status passed (the policy holds the bounds)", async () => {
    const r = await runCheck({ kind: "bias", name: "bias:sex", data: rows, group: "sex", label: "y", prediction: "p", datasets: [{ datasetVersionId: "0193a0c0-0000-7000-8000-000000000002", role: "test" }] });
    expect(r.figures).toEqual(fairnessMetrics({ groups: col("sex"), labels: col("y"), predictions: col("p") }));
    expect(r).toMatchObject({ name: "bias:sex", status: "passed" });
  });

  it("data_bias: failed when a group is under-represented, with dataBias's flags", async () => {
    const data = { g: [...Array(19).fill("a"), "b"], y: Array.from({ length: 20 }, (_, i) => i % 2), x: [...Array(19).fill(1), null] };
    const r = await runCheck({ kind: "data_bias", data, group: "g", label: "y", minShare: 0.1 });
    expect(r.status).toBe("failed");
    expect((r.figures as { flags: Array<{ kind: string; group: string }> }).flags).toContainEqual(expect.objectContaining({ kind: "share_below_bound", group: "b" }));
    expect((r.figures as { groups: Record<string, { missingRate: number }> }).groups.b!.missingRate).toBe(0.5); // x and y are checked, not the group
    expect((await runCheck({ kind: "data_bias", data, group: "g", minShare: 0.01 })).status).toBe("passed");
  });

  it("drift: failed exactly when the dataset drifted, with detectDrift's report", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 1000 }), async (shift, seed) => {
        let x = seed;
        const rand = () => ((x = (x * 16807) % 2147483647) / 2147483647);
        const reference = { a: Array.from({ length: 60 }, rand) };
        const current = { a: Array.from({ length: 60 }, () => rand() + shift / 10) };
        const r = await runCheck({ kind: "drift", reference, current });
        const report = detectDrift(reference, current);
        expect(r.figures).toEqual(report);
        expect(r.status).toBe(report.drifted ? "failed" : "passed");
      }),
      { numRuns: 30 },
    );
    const tiny = await runCheck({ kind: "drift", reference: { a: [1, 2, 3] }, current: { a: [1, 2, 3] } });
    expect(tiny.status).toBe("not_enough_data");
  });

  it("drift and schema against a stored dataset version use its profile (PSI / Jensen–Shannon; the stored ranges and types)", async () => {
    const train = Array.from({ length: 400 }, (_, i) => ({ x: (i * 37) % 100, c: i % 3 === 0 ? "a" : "b" }));
    const profiler = new DatasetProfiler();
    profiler.addRecords(train);
    const version = { id: "0193a0c0-0000-7000-8000-000000000003", digest: "sha256:00", profile: profiler.finish().profile };
    const shifted = train.map((r) => ({ ...r, x: r.x + 60 }));
    const drift = await runCheck({ kind: "drift", reference: version, current: shifted, method: "psi", datasets: [{ datasetVersion: version, role: "reference" }] });
    expect(drift.figures).toEqual(driftAgainstProfile(version.profile, shifted, { method: "psi" }));
    expect(drift.status).toBe("failed");
    expect(drift.datasets).toEqual([{ datasetVersionId: version.id, role: "reference" }]);
    expect((await runCheck({ kind: "drift", reference: version.profile, current: train })).status).toBe("passed");
    await expect(runCheck({ kind: "drift", reference: version, current: train, method: "ks" })).rejects.toThrow(/psi or jensenshannon/);
    await expect(runCheck({ kind: "drift", reference: { ...version, profile: null }, current: train })).rejects.toThrow(/has no profile/);
    const schema = await runCheck({ kind: "schema", reference: version, current: shifted.map(({ c: _c, ...r }) => r) });
    expect(schema.status).toBe("failed");
    expect((schema.figures as { findings: Array<{ kind: string }> }).findings.map((f) => f.kind).sort()).toEqual(["column_removed", "out_of_range"]);
  });

  it("skew: serving data or a window's profile against a training profile, by checkSkew; failed when a feature is skewed", async () => {
    const train = Array.from({ length: 400 }, (_, i) => ({ x: (i * 37) % 100, c: i % 3 === 0 ? "a" : "b" }));
    const profiler = new DatasetProfiler();
    profiler.addRecords(train);
    const version = { id: "0193a0c0-0000-7000-8000-000000000004", digest: "sha256:00", profile: profiler.finish().profile };
    const same = await runCheck({ kind: "skew", training: version, serving: train.slice(0, 200) });
    expect(same.status).toBe("passed");
    expect(same.figures).toEqual(checkSkew(version.profile, toCols(train.slice(0, 200))));
    const shifted = train.map((r) => ({ x: r.x + 60, c: "a" }));
    const skewed = await runCheck({ kind: "skew", training: version.profile, serving: shifted, thresholds: { c: 0.9 } });
    expect(skewed.status).toBe("failed");
    expect((skewed.figures as { skewedColumns: string[] }).skewedColumns).toEqual(["x"]);
    // A window's profile is served data too.
    const window = new DatasetProfiler();
    window.addRecords(shifted);
    expect((await runCheck({ kind: "skew", training: version, serving: window.finish().profile })).status).toBe("failed");
    expect((await runCheck({ kind: "skew", training: version, serving: [{ x: 1, c: "a" }] })).status).toBe("not_enough_data");
    await expect(runCheck({ kind: "skew", serving: train })).rejects.toThrow(/skew needs the training profile/);
    await expect(runCheck({ kind: "skew", training: version, serving: [...train, { x: "lots", c: "a" }] })).rejects.toThrow(/"x".*row 401/);
  });

  it("schema: failed when a column is removed; passed on the same data", async () => {
    const same = await runCheck({ kind: "schema", reference: rows, current: rows });
    expect(same.status).toBe("passed");
    const removed = await runCheck({ kind: "schema", reference: rows, current: rows.map(({ s: _s, ...r }) => r) });
    expect(removed.status).toBe("failed");
    expect((removed.figures as { findings: Array<{ kind: string; column: string }> }).findings).toContainEqual(expect.objectContaining({ kind: "column_removed", column: "s" }));
  });

  it("behaviour: passed only when every case passed", async () => {
    const r = await runCheck({
      kind: "behaviour",
      predict: (x: number) => x * 2,
      cases: [
        { type: "minimum_functionality", name: "two", input: 1, expected: 2 },
        { type: "minimum_functionality", name: "wrong", input: 1, expected: 3 },
      ],
    });
    expect(r).toMatchObject({ status: "failed", figures: { passed: false, total: 2, failedCount: 1 } });
  });

  it("bad input names the column, the row or the kind", async () => {
    await expect(runCheck({ kind: "bias", data: rows, group: "gender", label: "y", prediction: "p" })).rejects.toThrow(/no column "gender" \(columns: sex, y, p, s\)/);
    await expect(runCheck({ kind: "performance", task: "regression", data: [{ y: 1, p: "high" }], label: "y", prediction: "p" })).rejects.toThrow(/column "p" of data, row 1: "high" is not a number/);
    await expect(runCheck({ kind: "drift", reference: { a: [1] }, current: { b: [1] }, columns: ["a"] })).rejects.toThrow(CairnError);
    await expect(runCheck({ kind: "fairness" } as never)).rejects.toThrow(/unknown kind "fairness"/);
    await expect(runCheck({ kind: "performance", task: "classification", data: { y: [1, 2], p: [1] }, label: "y", prediction: "p" })).rejects.toThrow(/different lengths/);
    await expect(runCheck({ kind: "performance", task: "classification", data: join(dir, "nope.csv"), label: "y", prediction: "p" })).rejects.toThrow(/nope\.csv: no such file/);
  });
});

const evaluation: GateEvaluation = {
  id: "0193a0c0-0000-7000-8000-0000000000aa",
  modelId: "0193a0c0-0000-7000-8000-0000000000bb",
  modelName: "churn",
  alias: "production",
  version: 3,
  currentVersion: 2,
  policyRevision: 1,
  passed: false,
  forced: false,
  mode: "promote",
  rules: [
    { index: 0, rule: { metric: "accuracy", dataset: "test", min: 0.9 }, passed: false, observed: 0.87, bound: "≥ 0.9", evidence: { kind: "check", id: "0193c", createdAt: null }, message: "accuracy 0.87 < 0.9" },
    { index: 3, rule: { check: "behaviour", name: "core", allPass: true }, passed: false, observed: "failed", bound: "status passed", evidence: { kind: "check", id: "0193e", createdAt: null }, message: "check 0193e has status failed (2 of 6 cases failed)" },
    { index: 1, rule: { check: "bias", field: "demographicParityRatio", min: 0.8 }, passed: true, observed: 0.91, bound: "≥ 0.8", evidence: { kind: "check", id: "0193d", createdAt: null }, message: "ok" },
    { index: 2, rule: { check: "behaviour", allPass: true }, passed: false, observed: null, bound: "status passed", evidence: null, message: "no evidence: no behaviour check recorded for v3" },
  ],
  reason: null,
  actor: "admin",
  evaluatedAt: "2026-11-28T19:00:00.000Z",
};

describe("gate refusal text", () => {
  it("lists each failed rule, numbered from 1, with observed value, bound and evidence", () => {
    expect(ruleLine(evaluation.rules[0]!)).toBe("rule 1 accuracy on test ≥ 0.9: observed 0.87 (check 0193c)");
    const msg = refusalMessage(evaluation);
    expect(msg.split("\n")[0]).toBe("promotion of churn v3 to production refused: 3 of 4 rules failed (policy revision 1)");
    expect(msg).toContain("rule 4 behaviour:core status passed: observed failed (check 0193e) — has status failed (2 of 6 cases failed)");
    expect(msg).toContain("rule 3 behaviour status passed: observed none (no evidence) — no behaviour check recorded for v3");
    expect(msg).not.toContain("rule 2");
  });

  it("describes every kind of rule", () => {
    expect(describeRule({ metric: "f1", dataset: "test", notWorseThan: "production", tolerance: 0.01 })).toBe("f1 on test");
    expect(describeRule({ check: "schema", compatibleWith: "production" })).toBe("schema");
    expect(describeRule({ check: "drift", name: "drift:nov", field: "driftedShare", max: 0.3 })).toBe("drift:nov driftedShare");
    expect(describeRule({ check: "bias", name: "sex", field: "demographicParityRatio", min: 0.8 })).toBe("bias:sex demographicParityRatio");
    expect(describeRule({ checksNewerThan: "7d" })).toBe("evidence");
  });

  it("a 409 gate_failed becomes GateRefusedError with the evaluation; another 409 stays a ConflictError", () => {
    const problem = { type: "about:blank", title: "Promotion refused", status: 409, code: "gate_failed", evaluation };
    const err = modelsError({ status: 409, headers: new Headers(), body: problem });
    expect(err).toBeInstanceOf(GateRefusedError);
    expect((err as GateRefusedError).evaluation.rules).toHaveLength(4);
    expect(err.message).toContain("rule 1 accuracy on test ≥ 0.9: observed 0.87");
    const other = modelsError({ status: 409, headers: new Headers(), body: { type: "about:blank", title: "Conflict", status: 409, code: "conflict" } });
    expect(other).not.toBeInstanceOf(GateRefusedError);
    expect(other.name).toBe("ConflictError");
  });
});
