import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DatasetProfile, DatasetSchema, SchemaReport } from "@cairn/core";
import { afterAll, describe, expect, it } from "vitest";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "cairn-cli-check-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** A deterministic CSV: `rows` rows of age (numerical), city (categorical), score (numerical with some missing). */
function dataset(rows: number, opts: { seed?: number; cities?: string[]; ageShift?: number } = {}): string[][] {
  let s = opts.seed ?? 1;
  const rnd = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const cities = opts.cities ?? ["oslo", "rome", "lima"];
  const out = [["age", "city", "score"]];
  for (let i = 0; i < rows; i++) {
    out.push([String(20 + Math.floor(rnd() * 50) + (opts.ageShift ?? 0)), cities[Math.floor(rnd() * cities.length)]!, rnd() < 0.05 ? "" : rnd().toFixed(4)]);
  }
  return out;
}
const write = (name: string, rows: string[][] | string) => {
  const path = join(dir, name);
  writeFileSync(path, typeof rows === "string" ? rows : `${rows.map((r) => r.join(",")).join("\n")}\n`);
  return path;
};

const ref = write("ref.csv", dataset(500, { seed: 7 }));

describe("cairn profile", () => {
  it("prints the schema and profile of a CSV as one JSON document", async () => {
    const big = write("big.csv", dataset(40_000, { seed: 3 }));
    const r = await cli(["profile", big, "--json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.rowCount).toBe(40_000);
    expect(doc.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(DatasetSchema.parse(doc.schema).columns.map((c) => [c.name, c.type])).toEqual([["age", "numerical"], ["city", "categorical"], ["score", "numerical"]]);
    const profile = DatasetProfile.parse(doc.profile);
    expect(profile.columns[0]!.count).toBe(40_000);
    expect(profile.columns[2]!.missing).toBeGreaterThan(1000);
  });
  it("prints a table without --json", async () => {
    const r = await cli(["profile", ref]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/COLUMN\s+TYPE\s+COUNT\s+MISSING/);
    expect(r.stdout).toMatch(/city\s+categorical\s+500/);
  });
});

describe("cairn check schema", () => {
  it("exits 0 with no findings for a dataset against itself", async () => {
    const r = await cli(["check", "schema", "--reference", ref, "--current", ref, "--json"]);
    expect(r.code).toBe(0);
    expect(SchemaReport.parse(JSON.parse(r.stdout))).toEqual({ passed: true, referenceRows: 500, currentRows: 500, findings: [] });
  });
  it("exits 0 on a fresh sample of the same data (warnings at most)", async () => {
    const cur = write("same.csv", dataset(400, { seed: 99 }));
    const r = await cli(["check", "schema", "--reference", ref, "--current", cur, "--json"]);
    expect(r.code).toBe(0);
    expect(SchemaReport.parse(JSON.parse(r.stdout)).passed).toBe(true);
  });
  it("exits 1 and lists the findings when a check fails", async () => {
    const rows = dataset(500, { seed: 8, cities: ["oslo", "rome", "lima", "paris"], ageShift: 30 }).map((r) => [r[0]!, r[1]!, r[0]!]);
    rows[0] = ["age", "city", "age_copy"];
    const cur = write("changed.csv", rows);
    const r = await cli(["check", "schema", "--reference", ref, "--current", cur, "--json"]);
    expect(r.code).toBe(1);
    const report = SchemaReport.parse(JSON.parse(r.stdout));
    expect(report.passed).toBe(false);
    const byKind = Object.fromEntries(report.findings.map((f) => [f.kind, f]));
    expect(byKind.column_removed).toMatchObject({ column: "score", severity: "error" });
    expect(byKind.column_added).toMatchObject({ column: "age_copy", severity: "warning" });
    expect(byKind.duplicated_column).toMatchObject({ column: "age_copy", observed: "age" });
    expect(byKind.new_categories).toMatchObject({ column: "city", severity: "error" });
    expect(Object.keys(byKind.new_categories!.observed as object)).toEqual(["paris"]);
    expect(byKind.out_of_range).toMatchObject({ column: "age", severity: "error" });
    // Ages 50..99 against a reference of 20..69: exactly the values above 69.
    const above = rows.slice(1).filter((r) => Number(r[0]) > 69).length;
    expect(byKind.out_of_range!.observed).toBe(above);
    const table = await cli(["check", "schema", "--reference", ref, "--current", cur]);
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/ERROR\s+column_removed\s+score/);
    expect(table.stdout).toMatch(/failed: \d+ errors/);
  });
});

describe("cairn check schema against a stored reference (JSON)", () => {
  it("takes the output of cairn profile --json, or a schema alone", async () => {
    const stored = write("ref-profile.json", (await cli(["profile", ref, "--json"])).stdout);
    const same = await cli(["check", "schema", "--reference", stored, "--current", ref, "--json"]);
    expect(same.code).toBe(0);
    expect(SchemaReport.parse(JSON.parse(same.stdout))).toEqual({ passed: true, referenceRows: 500, currentRows: 500, findings: [] });
    const schemaOnly = write("schema.json", JSON.stringify({ schema: { columns: [{ name: "age", type: "numerical", nullable: false }, { name: "zip", type: "categorical", nullable: true }] } }));
    const r = await cli(["check", "schema", "--reference", schemaOnly, "--current", ref, "--json"]);
    expect(r.code).toBe(1);
    const report = SchemaReport.parse(JSON.parse(r.stdout));
    expect(report.referenceRows).toBeNull();
    expect(report.findings.map((f) => `${f.kind}:${f.column}`).sort()).toEqual(["column_added:city", "column_added:score", "column_removed:zip"]);
  });
  it("exits 2 on a JSON reference that is not a schema or profile", async () => {
    const bad = await cli(["check", "schema", "--reference", write("bad.json", '{"schema":{"columns":[{"name":"a","type":"number"}]}}'), "--current", ref]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.json: schema\.columns\.0\.type: /);
    const broken = await cli(["check", "schema", "--reference", write("broken.json", "{"), "--current", ref]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/broken\.json: not valid JSON/);
  });
});

describe("bad input exits 2 naming the file and the line or column", () => {
  const cases: Array<[string, string, RegExp]> = [
    ["ragged.csv", "a,b\n1,2\n3\n", /ragged\.csv: line 3: row has 1 fields, the header has 2/],
    ["noname.csv", "a,,c\n1,2,3\n", /noname\.csv: line 1: column 2 has no name/],
    ["empty.csv", "", /empty\.csv: the file is empty/],
    ["unclosed.csv", 'a,b\n1,"2\n', /unclosed\.csv: line 2: a quoted field is not closed/],
  ];
  for (const [name, text, message] of cases) {
    it(name, async () => {
      const path = write(name, text);
      for (const args of [["profile", path, "--json"], ["check", "schema", "--reference", ref, "--current", path, "--json"]]) {
        const r = await cli(args);
        expect(r.code).toBe(2);
        expect(r.stdout).toBe("");
        expect(r.stderr).toMatch(message);
      }
    });
  }
  it("a word in a numerical column, past the first chunk", async () => {
    const rows = dataset(20_000, { seed: 5 });
    rows[18_000]![0] = "forty";
    const path = write("word.csv", rows);
    const r = await cli(["check", "schema", "--reference", path, "--current", ref, "--json"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/word\.csv: column "age", data row 18000: "forty" is not a number/);
  });
  it("a missing file and a missing option", async () => {
    const gone = await cli(["profile", join(dir, "nope.csv")]);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/nope\.csv: no such file/);
    const usage = await cli(["check", "schema", "--reference", ref, "--json"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/check schema needs --current/);
    expect((await cli(["check", "nonsense"])).code).toBe(2);
  });
});
