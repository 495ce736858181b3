import { describe, expect, it } from "vitest";
import { DatasetProfiler } from "./profiler.js";
import { validateProfileAgainstSchema } from "./schema.js";

const sample = () => {
  const p = new DatasetProfiler();
  p.addRecords([
    { id: 1, color: "red", ok: true },
    { id: 2, color: "blue", ok: false },
    { id: 3, color: null, ok: true },
  ]);
  return p.finish();
};

describe("validateProfileAgainstSchema", () => {
  it("accepts what the profiler produced", () => {
    const r = sample();
    expect(validateProfileAgainstSchema(r.schema, r.profile, r.rowCount)).toEqual([]);
  });

  it("names the column and the path of each inconsistency", () => {
    const r = sample();
    const schema = structuredClone(r.schema);
    const profile = structuredClone(r.profile);
    schema.columns[1]!.nullable = false;
    schema.columns[1]!.domain = ["red"];
    profile.columns[0]!.numerical!.min = 99;
    profile.columns[2]!.type = "categorical";
    profile.columns[0]!.numerical!.histogram.counts[0]! += 1;
    profile.columns[2]!.distinct.hll = "AAAA";
    const issues = validateProfileAgainstSchema(schema, profile, 4);
    const paths = issues.map((i) => i.path);
    expect(paths).toContain("profile.rowCount");
    expect(paths).toContain("profile.columns[0].numerical.min");
    expect(paths).toContain("profile.columns[0].numerical.histogram.counts");
    expect(paths).toContain("profile.columns[1].missing");
    expect(paths).toContain("profile.columns[1].categorical.top[0].value");
    expect(paths).toContain("profile.columns[2].type");
    expect(paths).toContain("profile.columns[2].distinct.hll");
    expect(issues.find((i) => i.path === "profile.columns[1].missing")!.message).toMatch(/column "color" is not nullable/);
    expect(issues.find((i) => i.path === "profile.columns[2].type")!.message).toMatch(/column "ok" is categorical in the profile but boolean in the schema/);
  });

  it("reports columns on one side only", () => {
    const r = sample();
    const schema = { columns: [...r.schema.columns.slice(1), { name: "extra", type: "text" as const, nullable: true }] };
    const paths = validateProfileAgainstSchema(schema, r.profile, 3).map((i) => i.path);
    expect(paths).toEqual(["profile.columns[0].name", "schema.columns[2]"]);
  });
});
