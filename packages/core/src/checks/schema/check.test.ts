import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DatasetProfiler } from "../../datasets/profiler.js";
import { SchemaReport } from "../../schemas/checks.js";
import type { DatasetProfile } from "../../schemas/datasets.js";
import fixtures from "../fixtures/skew.json" with { type: "json" };
import { checkSchema } from "./check.js";
import { checkSchemaOfColumns } from "./data.js";
import { ColumnScan } from "./scan.js";

const profileOf = (columns: Record<string, ArrayLike<unknown>>): DatasetProfile => {
  const p = new DatasetProfiler();
  p.addColumns(columns, Object.values(columns)[0]?.length ?? 0);
  return p.finish().profile;
};
const kinds = (r: SchemaReport) => r.findings.map((f) => `${f.kind}:${f.column ?? ""}:${f.severity}`).sort();

const ref = {
  age: [31, 45, 27, 60, 38, 52, 44, 29],
  city: ["oslo", "rome", "oslo", "lima", "rome", "oslo", "lima", "rome"],
  score: ["0.5", "0.7", "0.1", "0.9", "0.3", "0.2", "0.8", "0.6"],
};

describe("checkSchemaOfColumns", () => {
  it("finds nothing when data is checked against itself", () => {
    const r = SchemaReport.parse(checkSchemaOfColumns(ref, ref));
    expect(r).toEqual({ passed: true, referenceRows: 8, currentRows: 8, findings: [] });
  });

  it("finds added, removed and retyped columns", () => {
    const cur = { age: ref.age.map(String), city: ref.city.map((c) => (c === "oslo" ? "1" : "2")), extra: ref.age };
    const r = checkSchemaOfColumns(ref, cur);
    expect(kinds(r)).toEqual(["column_added:extra:warning", "column_removed:score:error", "duplicated_column:extra:warning", "type_changed:city:error"]);
    expect(r.passed).toBe(false);
    expect(r.findings.find((f) => f.kind === "type_changed")).toMatchObject({ observed: "numerical", expected: "categorical" });
    expect(r.findings.find((f) => f.kind === "duplicated_column")).toMatchObject({ observed: "age", message: 'column "extra" has the same values as column "age" in every row' });
  });

  it("reports new categories with their share, an error beyond the tolerance", () => {
    const cur = { ...ref, city: ["oslo", "rome", "oslo", "lima", "rome", "oslo", "paris", "rome"] };
    const r = checkSchemaOfColumns(ref, cur);
    expect(r.findings).toEqual([
      expect.objectContaining({ column: "city", kind: "new_categories", severity: "error", observed: { paris: 0.125 }, expected: ["oslo", "rome", "lima"] }),
    ]);
    expect(checkSchemaOfColumns(ref, cur, { newCategoryShareTolerance: 0.2 }).findings[0]!.severity).toBe("warning");
  });

  it("reports a rise in missing values beyond the tolerance", () => {
    const cur = { ...ref, score: ["0.5", "", "", "0.9", "0.3", "0.2", "0.8", "0.6"] };
    const r = checkSchemaOfColumns(ref, cur);
    expect(r.findings).toEqual([expect.objectContaining({ column: "score", kind: "missing_increase", severity: "error", observed: 0.25, expected: 0 })]);
    expect(checkSchemaOfColumns(ref, cur, { missingShareTolerance: 0.3 }).findings).toEqual([]);
  });

  it("counts values outside the reference range exactly (scan) and by the sketch (profile only)", () => {
    for (const f of fixtures.numerical) {
      const r = checkSchemaOfColumns({ x: f.training }, { x: f.serving }, { rowCountTolerance: 10 });
      const found = r.findings.find((x) => x.kind === "out_of_range");
      expect(found?.observed ?? 0).toBe(f.outOfRange);
      const estimated = checkSchema({ reference: { profile: profileOf({ x: f.training }) }, current: profileOf({ x: f.serving }) }, { rowCountTolerance: 10 });
      expect(Math.abs(((estimated.findings[0]?.observed as number) ?? 0) - f.outOfRange)).toBeLessThanOrEqual(Math.max(2, f.outOfRange * 0.1));
    }
    const r = checkSchemaOfColumns(ref, { ...ref, age: [31, 45, 27, 99, 38, 52, 44, 1] });
    expect(r.findings).toEqual([expect.objectContaining({ column: "age", kind: "out_of_range", severity: "error", observed: 2, expected: "[27, 60]" })]);
    expect(r.findings[0]!.message).toContain("2 values (25.0%) outside the reference range [27, 60]");
  });

  it("reports constant columns and row count changes as warnings", () => {
    const cur = { age: [40, 40, 40], city: ["oslo", "rome", "lima"], score: ["0.1", "0.2", "0.3"] };
    const r = checkSchemaOfColumns(ref, cur);
    expect(kinds(r)).toEqual(["constant_column:age:warning", "row_count_change::warning"]);
    expect(r.passed).toBe(true);
    expect(checkSchemaOfColumns(ref, cur, { severity: { row_count_change: "error" } }).passed).toBe(false);
  });

  it("checks against a stored schema alone (nullable and domain)", () => {
    const schema = { columns: [{ name: "city", type: "categorical" as const, nullable: false, domain: ["lima", "oslo"] }] };
    const r = checkSchema({ reference: { schema }, current: profileOf({ city: ["oslo", "", "rome", "lima"] }) });
    expect(kinds(r)).toEqual(["missing_increase:city:error", "new_categories:city:error"]);
    expect(r.referenceRows).toBeNull();
  });
});

describe("ColumnScan", () => {
  it("groups identical columns, numbers by value, across chunks", () => {
    const s = new ColumnScan({ a: { min: 0, max: 2 } });
    s.add({ a: ["1", "2.0", ""], b: [1, 2, null], c: ["1", "2", "x"] }, 3);
    s.add({ a: ["3", "-1", "1e0"], b: [3, -1, 1], c: ["3", "-1", "1"] }, 3);
    expect(s.result()).toEqual({ outOfRange: { a: { below: 1, above: 1 } }, duplicates: [["a", "b"]] });
  });
});

describe("properties", () => {
  const column = fc.oneof(
    fc.array(fc.oneof(fc.integer({ min: -50, max: 50 }).map(String), fc.constant("")), { minLength: 12, maxLength: 12 }),
    fc.array(fc.constantFrom("a", "b", "c", "d", ""), { minLength: 12, maxLength: 12 }),
  );
  const dataset = fc.dictionary(fc.constantFrom("p", "q", "r", "s"), column, { minKeys: 1 });
  const unexpected = (r: SchemaReport) => r.findings.filter((f) => f.kind !== "constant_column" && f.kind !== "duplicated_column");
  it("a dataset checked against itself has no error (only constant/duplicated-column warnings)", () => {
    fc.assert(
      fc.property(dataset, (d) => {
        const r = checkSchemaOfColumns(d, d);
        expect(unexpected(r)).toEqual([]);
        expect(r.passed).toBe(true);
      }),
    );
  });
  it("adding a column is found; removing one fails the check", () => {
    fc.assert(
      fc.property(dataset, column, (d, extra) => {
        const added = checkSchemaOfColumns(d, { ...d, zz: extra });
        expect(added.findings.filter((f) => f.kind === "column_added").map((f) => f.column)).toEqual(["zz"]);
        const [first, ...rest] = Object.keys(d);
        const removed = checkSchemaOfColumns(d, rest.length > 0 ? Object.fromEntries(rest.map((k) => [k, d[k]!])) : { zz: extra });
        expect(removed.findings.some((f) => f.kind === "column_removed" && f.column === first)).toBe(true);
        expect(removed.passed).toBe(false);
      }),
    );
  });
  it("a copied column is reported as a duplicate of its original", () => {
    fc.assert(
      fc.property(dataset, (d) => {
        const [first] = Object.keys(d);
        fc.pre(d[first!]!.some((v) => v !== ""));
        const r = checkSchemaOfColumns(d, { ...d, copy: [...d[first!]!] });
        expect(r.findings.some((f) => f.kind === "duplicated_column" && f.column === "copy")).toBe(true);
      }),
    );
  });
});

describe("ColumnScan properties", () => {
  const cell = fc.oneof(fc.integer({ min: -5, max: 5 }).map(String), fc.constantFrom("", "a", "b", "1.0", "-0"));
  it("counts out-of-range values as a naive count does, and finds the same duplicates however the rows are chunked", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(cell, cell, cell), { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 60 }), (rows, chunk) => {
        const cols = { p: rows.map((r) => r[0]), q: rows.map((r) => r[1]), r: rows.map((r) => r[2]), copy: rows.map((r) => r[0]) };
        const ranges = { p: { min: -2, max: 3 } };
        const whole = new ColumnScan(ranges);
        whole.add(cols, rows.length);
        const parts = new ColumnScan(ranges);
        for (let i = 0; i < rows.length; i += chunk) {
          const slice = Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, v.slice(i, i + chunk)]));
          parts.add(slice, Math.min(chunk, rows.length - i));
        }
        expect(parts.result()).toEqual(whole.result());
        const nums = cols.p.filter((v) => v !== "" && !Number.isNaN(Number(v))).map(Number);
        expect(whole.result().outOfRange.p).toEqual({ below: nums.filter((x) => x < -2).length, above: nums.filter((x) => x > 3).length });
        // Duplicates are exactly the columns equal value by value (numbers by value, "" as missing).
        const canon = (v: string) => (v === "" ? "<missing>" : Number.isNaN(Number(v)) ? `s:${v}` : `n:${Number(v) === 0 ? 0 : Number(v)}`);
        const key = (k: keyof typeof cols) => cols[k].map(canon).join("|");
        const groups = new Map<string, string[]>();
        for (const k of ["p", "q", "r", "copy"] as const) groups.set(key(k), [...(groups.get(key(k)) ?? []), k]);
        expect(whole.result().duplicates).toEqual([...groups.values()].filter((g) => g.length > 1));
      }),
    );
  });
});
