import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BiasReport, ClassificationReport, DriftReport, RegressionReport } from "@cairn/core";
import { afterAll, describe, expect, it } from "vitest";

// `check drift|bias|performance` read whole files through their own reader (readCsvColumns), not the
// streaming profiler that `profile` and `check schema` use, so the bad-input contract is
// asserted here for each of them on its own.

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "cairn-cli-check-input-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const write = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

/** 60 rows; x and c have empty cells (missing), p is empty in every third row. */
function withGaps(): string {
  const lines = ["x,c,y,p,g"];
  for (let i = 0; i < 60; i++) lines.push(`${i % 7 === 0 ? "" : i},${i % 5 === 0 ? "" : "ab"[i % 2]},${i % 2},${i % 3 === 0 ? "" : i % 2},${"uv"[i % 2]}`);
  return `${lines.join("\n")}\n`;
}
const good = write("good.csv", withGaps());

/** Each command with the bad file in every position it reads a file from. */
const commands = (bad: string): string[][] => [
  ["check", "drift", "--reference", good, "--current", bad, "--json"],
  ["check", "drift", "--reference", bad, "--current", good, "--json"],
  ["check", "bias", "--data", bad, "--group", "g", "--label", "y", "--prediction", "p", "--json"],
  ["check", "performance", "--task", "classification", "--data", bad, "--label", "y", "--prediction", "p", "--json"],
  ["check", "performance", "--task", "regression", "--data", bad, "--label", "y", "--prediction", "p", "--json"],
];

describe("check drift|bias|performance: bad CSV exits 2 naming the file and the line or column", () => {
  const cases: Array<[string, string, RegExp]> = [
    ["ragged.csv", "x,c,y,p,g\n1,a,1,1,u\n2,b,0\n", /ragged\.csv: line 3: row has 3 fields, the header has 5/],
    ["noname.csv", "x,,y,p,g\n1,a,1,1,u\n", /noname\.csv: line 1: column 2 has no name/],
    ["empty.csv", "", /empty\.csv: the file is empty/],
    ["unclosed.csv", 'x,c,y,p,g\n1,"a,1,1,u\n', /unclosed\.csv: line 2: a quoted field is not closed/],
  ];
  for (const [name, text, message] of cases) {
    it(name, async () => {
      const bad = write(name, text);
      for (const args of commands(bad)) {
        const r = await cli(args);
        expect(r.code, args.join(" ")).toBe(2);
        expect(r.stdout).toBe("");
        expect(r.stderr).toMatch(message);
      }
    });
  }

  it("a word in a numerical column names the column and the data row", async () => {
    const bad = write("word.csv", withGaps().replace("\n8,", "\neight,"));
    const drift = await cli(["check", "drift", "--reference", good, "--current", bad, "--json"]);
    expect(drift.code).toBe(2);
    expect(drift.stderr).toMatch(/word\.csv: column "x", data row 9: "eight" is not a number/);
    const reg = await cli(["check", "performance", "--task", "regression", "--data", write("wordy.csv", "y,p\n1,1\n2,two\n"), "--label", "y", "--prediction", "p"]);
    expect(reg.code).toBe(2);
    expect(reg.stderr).toMatch(/wordy\.csv: column "p", data row 2: "two" is not a number/);
  });
});

describe("check drift|bias|performance: empty cells and too few values", () => {
  it("empty cells are missing values: excluded and counted", async () => {
    const drift = DriftReport.parse(JSON.parse((await cli(["check", "drift", "--reference", good, "--current", good, "--json"])).stdout));
    const x = drift.columns.find((c) => c.column === "x")!;
    expect([x.referenceSize, x.referenceMissing, x.currentMissing]).toEqual([51, 9, 9]);
    const c = drift.columns.find((col) => col.column === "c")!;
    expect([c.type, c.referenceSize, c.referenceMissing]).toEqual(["categorical", 48, 12]);
    const perf = ClassificationReport.parse(JSON.parse((await cli(["check", "performance", "--task", "classification", "--data", good, "--label", "y", "--prediction", "p", "--json"])).stdout));
    expect([perf.count, perf.missing]).toEqual([40, 20]);
    const bias = BiasReport.parse(JSON.parse((await cli(["check", "bias", "--data", good, "--group", "g", "--label", "y", "--prediction", "p", "--json"])).stdout));
    expect(bias.missing).toBe(20);
    expect(bias.groups.u!.count + bias.groups.v!.count).toBe(40);
  });

  it("fewer than 2 values is not enough data, never a figure (exit 0: nothing failed)", async () => {
    const one = write("one.csv", "y,p,g\n1,1,f\n");
    const perf = await cli(["check", "performance", "--task", "classification", "--data", one, "--label", "y", "--prediction", "p", "--json"]);
    expect(perf.code).toBe(0);
    expect(ClassificationReport.parse(JSON.parse(perf.stdout))).toMatchObject({ status: "not_enough_data", accuracy: null, f1: null });
    const reg = await cli(["check", "performance", "--task", "regression", "--data", one, "--label", "y", "--prediction", "p", "--json"]);
    expect(RegressionReport.parse(JSON.parse(reg.stdout))).toMatchObject({ status: "not_enough_data", mae: null, r2: null });
    const bias = await cli(["check", "bias", "--data", one, "--group", "g", "--label", "y", "--prediction", "p", "--json"]);
    expect(BiasReport.parse(JSON.parse(bias.stdout))).toMatchObject({ status: "not_enough_data", demographicParityRatio: null });
    const drift = await cli(["check", "drift", "--reference", one, "--current", one, "--json"]);
    expect(drift.code).toBe(0);
    const report = DriftReport.parse(JSON.parse(drift.stdout));
    for (const col of report.columns) expect(col).toMatchObject({ status: "not_enough_data", statistic: null, pValue: null, drifted: null });
    expect(report.drifted).toBe(false);
    const text = await cli(["check", "performance", "--task", "regression", "--data", one, "--label", "y", "--prediction", "p"]);
    expect(text.stdout).toMatch(/not enough data/);
    expect(text.stdout).not.toMatch(/mae\s+\d/);
  });
});
