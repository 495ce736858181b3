import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BiasReport, ClassificationReport, DriftReport, detectDrift, fairnessMetrics, RegressionReport, regressionMetrics } from "@cairn/core";
import { afterAll, describe, expect, it } from "vitest";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "cairn-cli-check-models-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

type Table = Record<string, string[]>;
function write(name: string, t: Table): string {
  const names = Object.keys(t);
  const n = t[names[0]!]!.length;
  const lines = [names.join(",")];
  for (let i = 0; i < n; i++) lines.push(names.map((k) => t[k]![i]).join(","));
  const path = join(dir, name);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

function sample(n: number, seed: number, shift = 0): Table {
  let s = seed;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const t: Table = { age: [], city: [], sex: [], label: [], pred: [], score: [] };
  for (let i = 0; i < n; i++) {
    const score = rnd();
    t.age!.push(String(20 + Math.floor(rnd() * 50) + shift));
    t.city!.push(["oslo", "rome", "lima"][Math.floor(rnd() * 3)]!);
    t.sex!.push(rnd() < 0.5 ? "f" : "m");
    t.label!.push(rnd() < 0.6 ? (score > 0.4 ? "1" : "0") : rnd() < 0.5 ? "1" : "0");
    t.pred!.push(score > 0.5 ? "1" : "0");
    t.score!.push(score.toFixed(4));
  }
  return t;
}

const ref = sample(400, 1);
const refFile = write("ref.csv", ref);

describe("cairn check drift", () => {
  it("exits 0 without drift and prints the contract's fields, as detectDrift computes them", async () => {
    const same = sample(400, 2);
    const r = await cli(["check", "drift", "--reference", refFile, "--current", write("same.csv", same), "--json"]);
    expect(r.code).toBe(0);
    const report = DriftReport.parse(JSON.parse(r.stdout));
    expect(report).toEqual(detectDrift(ref, same));
    for (const c of report.columns) expect(Object.keys(c)).toEqual(expect.arrayContaining(["column", "type", "method", "statistic", "pValue", "threshold", "drifted"]));
    expect(report.drifted).toBe(false);
  });
  it("exits 1 on dataset drift; --method, --threshold and --columns are honoured", async () => {
    const shifted = sample(400, 3, 25);
    const cur = write("shifted.csv", shifted);
    const r = await cli(["check", "drift", "--reference", refFile, "--current", cur, "--columns", "age,city", "--method", "psi", "--threshold", "0.3", "--json"]);
    expect(r.code).toBe(1);
    const report = DriftReport.parse(JSON.parse(r.stdout));
    expect(report.columns.map((c) => [c.column, c.method, c.threshold])).toEqual([["age", "psi", 0.3], ["city", "psi", 0.3]]);
    expect(report.columns[0]!.drifted).toBe(true);
    expect(report).toEqual(detectDrift(ref, shifted, { columns: ["age", "city"], method: "psi", threshold: 0.3 }));
    // ks applies to numerical columns only: city keeps its default (chi2).
    const ks = DriftReport.parse(JSON.parse((await cli(["check", "drift", "--reference", refFile, "--current", cur, "--columns", "age,city", "--method", "ks", "--json"])).stdout));
    expect(ks.columns.map((c) => c.method)).toEqual(["ks", "chi2"]);
    // Over all six columns only age drifts: 1/6 is below the dataset share 0.5, so exit 0.
    const all = await cli(["check", "drift", "--reference", refFile, "--current", cur]);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/16\.7% of columns drifted: no dataset drift/);
    const text = await cli(["check", "drift", "--reference", refFile, "--current", cur, "--columns", "age,city"]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/age\s+numerical\s+ks\s+\S+\s+\S+\s+0\.05\s+DRIFT/);
  });
  it("exits 2 on a word in a numerical column, an unknown column or method", async () => {
    const bad = { ...ref, age: ref.age!.map((v, i) => (i === 41 ? "old" : v)) };
    const word = await cli(["check", "drift", "--reference", refFile, "--current", write("word.csv", bad), "--json"]);
    expect(word.code).toBe(2);
    expect(word.stdout).toBe("");
    expect(word.stderr).toMatch(/word\.csv: column "age", data row 42: "old" is not a number, but the column is numerical in .*ref\.csv/);
    const col = await cli(["check", "drift", "--reference", refFile, "--current", refFile, "--columns", "age,nope"]);
    expect(col.code).toBe(2);
    expect(col.stderr).toMatch(/ref\.csv: no column "nope"/);
    expect((await cli(["check", "drift", "--reference", refFile, "--current", refFile, "--method", "t-test"])).code).toBe(2);
    expect((await cli(["check", "drift", "--reference", refFile, "--current", refFile, "--threshold", "abc"])).code).toBe(2);
  });
});

describe("cairn check bias", () => {
  it("prints per-group rates and the fairness differences, as fairnessMetrics computes them", async () => {
    const r = await cli(["check", "bias", "--data", refFile, "--group", "sex", "--label", "label", "--prediction", "pred", "--positive", "1", "--json"]);
    expect(r.code).toBe(0);
    const report = BiasReport.parse(JSON.parse(r.stdout));
    expect(report).toEqual(fairnessMetrics({ groups: ref.sex!, labels: ref.label!, predictions: ref.pred!, positive: "1" }));
    expect(Object.keys(report.groups).sort()).toEqual(["f", "m"]);
    expect(Object.keys(report.groups.f!)).toEqual(expect.arrayContaining(["count", "selectionRate", "truePositiveRate", "falsePositiveRate", "accuracy"]));
  });
  it("exits 2 naming a missing column, and on a missing option", async () => {
    const r = await cli(["check", "bias", "--data", refFile, "--group", "gender", "--label", "label", "--prediction", "pred"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ref\.csv: no column "gender" \(columns: age, city, sex, label, pred, score\)/);
    expect((await cli(["check", "bias", "--data", refFile, "--label", "label", "--prediction", "pred"])).code).toBe(2);
  });
});

describe("cairn check performance", () => {
  it("classification: the contract's metric names with a score column", async () => {
    const r = await cli(["check", "performance", "--task", "classification", "--data", refFile, "--label", "label", "--prediction", "pred", "--score", "score", "--json"]);
    expect(r.code).toBe(0);
    const report = ClassificationReport.parse(JSON.parse(r.stdout));
    for (const k of ["accuracy", "precision", "recall", "f1", "rocAuc", "logLoss"] as const) expect(report[k]).toEqual(expect.any(Number));
    expect(report.confusionMatrix.matrix.flat().reduce((a, b) => a + b, 0)).toBe(400);
  });
  it("regression: mae, rmse, r2, mape; a word in a numeric column exits 2", async () => {
    const t = { y: ["3", "-0.5", "2", "7", ""], p: ["2.5", "0.0", "2", "8", "1"] };
    const file = write("reg.csv", t);
    const r = await cli(["check", "performance", "--task", "regression", "--data", file, "--label", "y", "--prediction", "p", "--json"]);
    expect(r.code).toBe(0);
    const report = RegressionReport.parse(JSON.parse(r.stdout));
    expect(report).toEqual(regressionMetrics({ labels: [3, -0.5, 2, 7, Number.NaN], predictions: [2.5, 0, 2, 8, 1] }));
    expect(report.mae).toBeCloseTo(0.5, 12);
    const bad = await cli(["check", "performance", "--task", "regression", "--data", write("regbad.csv", { y: ["1", "x"], p: ["1", "2"] }), "--label", "y", "--prediction", "p"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/regbad\.csv: column "y", data row 2: "x" is not a number/);
    expect((await cli(["check", "performance", "--task", "ranking", "--data", file, "--label", "y", "--prediction", "p"])).code).toBe(2);
  });
});
