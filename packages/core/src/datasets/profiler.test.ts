import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DatasetProfile } from "../schemas/datasets.js";
import { CsvParser } from "./csv.js";
import type { DigestSink } from "./digest.js";
import { ColumnTypeChangeError, DatasetProfiler, type ProfilerOptions } from "./profiler.js";
import { validateProfileAgainstSchema } from "./schema.js";

export const sha256 = (): DigestSink => {
  const h = createHash("sha256");
  return { update: (b) => void h.update(b), digest: () => h.digest("hex") };
};

function fromCsv(text: string, chunkChars: number, batchRows: number, opts: ProfilerOptions = {}) {
  const parser = new CsvParser();
  const p = new DatasetProfiler({ digest: sha256, ...opts });
  const drain = () => {
    for (let b = parser.take(batchRows); b; b = parser.take(batchRows)) p.addColumns(b.columns, b.rowCount);
  };
  for (let i = 0; i < text.length; i += chunkChars) {
    parser.push(text.slice(i, i + chunkChars));
    drain();
  }
  parser.end();
  drain();
  return p.finish();
}

function fromRecords(records: Record<string, unknown>[], batch = records.length || 1, opts: ProfilerOptions = {}) {
  const p = new DatasetProfiler({ digest: sha256, ...opts });
  for (let i = 0; i < records.length; i += batch) p.addRecords(records.slice(i, i + batch));
  return p.finish();
}

/** A profile restarted with widened types whenever the profiler asks for it (what the SDK does). */
function withRestarts(run: (opts: ProfilerOptions) => ReturnType<DatasetProfiler["finish"]>) {
  let types: ProfilerOptions["types"];
  for (let i = 0; i < 20; i++) {
    try {
      return run({ types });
    } catch (e) {
      if (!(e instanceof ColumnTypeChangeError)) throw e;
      types = e.types;
    }
  }
  throw new Error("no convergence");
}

const rowArb = fc.record(
  {
    amount: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), fc.integer({ min: -5, max: 5 }), fc.constant(null)),
    city: fc.oneof(fc.constantFrom("Paris", "Oslo", "Zürich", "São Paulo", 'Quote "q"', "a,b"), fc.constant(null)),
    flag: fc.oneof(fc.boolean(), fc.constant(null)),
    at: fc.oneof(fc.integer({ min: 0, max: 4e12 }).map((ms) => new Date(ms)), fc.constant(null)),
  },
  { requiredKeys: ["amount", "city", "flag", "at"] },
);

const csvCell = (v: unknown) => {
  if (v === null || v === undefined) return "";
  const s = v instanceof Date ? v.toISOString() : String(v);
  return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

describe("content digest", () => {
  it("is the same for records, columns, typed arrays and CSV, in any chunking and column order", () => {
    fc.assert(
      fc.property(fc.array(rowArb, { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 200 }), (rows, batch, chunkChars) => {
        // The same numbers written as "1.0" / "1e0" in the CSV still digest as numbers.
        const names = ["flag", "at", "amount", "city"];
        const csv = [names.join(","), ...rows.map((r) => names.map((n) => (n === "amount" && Number.isInteger(r.amount) ? `${r.amount}.0` : csvCell(r[n as keyof typeof r]))).join(","))].join("\n");
        const a = withRestarts((o) => fromRecords(rows, rows.length, o));
        const b = withRestarts((o) => fromRecords(rows, batch, o));
        const c = withRestarts((o) => fromCsv(csv, chunkChars, batch, o));
        const cols = withRestarts((o) => {
          const p = new DatasetProfiler({ digest: sha256, ...o });
          p.addColumns({ city: rows.map((r) => r.city), amount: rows.map((r) => r.amount), at: rows.map((r) => r.at), flag: rows.map((r) => r.flag) }, rows.length);
          return p.finish();
        });
        expect(b.digest).toBe(a.digest);
        expect(c.digest).toBe(a.digest);
        expect(cols.digest).toBe(a.digest);
        expect(c.profile.columns.find((x) => x.name === "amount")).toEqual(a.profile.columns.find((x) => x.name === "amount"));
        // Whatever the data, what the profiler produces fits the contract and passes the server's check.
        for (const r of [a, c]) {
          expect(DatasetProfile.safeParse(r.profile).success).toBe(true);
          expect(validateProfileAgainstSchema(r.schema, r.profile, r.rowCount)).toEqual([]);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("treats typed arrays like plain numbers, and changes with any value, type or name", () => {
    const digest = (cols: Record<string, ArrayLike<unknown>>, n: number) => {
      const p = new DatasetProfiler({ digest: sha256 });
      p.addColumns(cols, n);
      return p.finish().digest;
    };
    const base = digest({ x: Float64Array.from([1, 2.5, -0]), y: ["a", "b", "c"] }, 3);
    expect(digest({ y: ["a", "b", "c"], x: [1, 2.5, 0] }, 3)).toBe(base);
    expect(digest({ x: Int32Array.from([1, 2, 0]), y: ["a", "b", "c"] }, 3)).not.toBe(base);
    expect(digest({ x: [1, 2.5, 0], y: ["a", "b", "d"] }, 3)).not.toBe(base);
    expect(digest({ x: [1, 2.5, 0], z: ["a", "b", "c"] }, 3)).not.toBe(base);
    expect(digest({ x: ["1", "2.5", "0"], y: ["a", "b", "c"] }, 3)).toBe(base);
    expect(digest({ x: [1, 2.5, null], y: ["a", "b", "c"] }, 3)).not.toBe(base);
    expect(digest({ x: [1, 2.5, 0, 4], y: ["a", "b", "c", ""] }, 4)).not.toBe(base);
    expect(base).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe("type inference", () => {
  it("infers each type, nullability and small domains", () => {
    const r = fromRecords([
      { n: "1", c: "red", b: "true", d: "2024-03-01", t: "id-1", e: "" },
      { n: "2.5", c: "blue", b: "false", d: "2024-03-02T10:00:00+02:00", t: "id-2", e: null },
      { n: "", c: "red", b: "TRUE", d: "2024-03-03 11:12:13.5", t: "id-3" },
      ...Array.from({ length: 60 }, (_, i) => ({ n: i, c: i % 2 ? "red" : "blue", b: true, d: new Date(Date.UTC(2024, 0, 1 + i)), t: `id-${i + 4}` })),
    ]);
    const byName = Object.fromEntries(r.schema.columns.map((c) => [c.name, c]));
    expect(byName.n).toEqual({ name: "n", type: "numerical", nullable: true });
    expect(byName.c).toEqual({ name: "c", type: "categorical", nullable: false, domain: ["blue", "red"] });
    expect(byName.b).toEqual({ name: "b", type: "boolean", nullable: false });
    expect(byName.d).toEqual({ name: "d", type: "datetime", nullable: false });
    expect(byName.t?.type).toBe("text");
    expect(byName.e).toMatchObject({ type: "categorical", nullable: true });
    const d = r.profile.columns.find((c) => c.name === "d")!;
    expect(d.numerical?.min).toBe(Date.UTC(2024, 0, 1));
    expect(DatasetProfile.parse(r.profile)).toEqual(r.profile);
    expect(validateProfileAgainstSchema(r.schema, r.profile, r.rowCount)).toEqual([]);
  });

  it("widens within the first chunk without an error", () => {
    const r = fromRecords([{ v: "1" }, { v: "2" }, { v: "two" }]);
    expect(r.schema.columns[0]!.type).toBe("categorical");
    expect(r.profile.columns[0]!.categorical?.top.map((t) => t.value)).toEqual(["1", "2", "two"]);
  });

  it("refuses to miscount a word after numbers in an earlier chunk, and a restart gives the one-pass result", () => {
    const rows = [...Array.from({ length: 100 }, (_, i) => ({ v: String(i % 7), w: i })), { v: "many", w: 1 }];
    const p = new DatasetProfiler({ digest: sha256 });
    p.addRecords(rows.slice(0, 50));
    let err: unknown;
    try {
      p.addRecords(rows.slice(50));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ColumnTypeChangeError);
    expect(err).toMatchObject({ column: "v", from: "numerical", to: "categorical", types: { v: "categorical" } });
    const restarted = fromRecords(rows, 50, { types: (err as ColumnTypeChangeError).types });
    expect(restarted).toEqual(fromRecords(rows));
  });

  it("counts NaN and infinities as non-finite values, not missing", () => {
    const r = fromRecords([{ x: 1 }, { x: Number.NaN }, { x: "inf" }, { x: "-Infinity" }, { x: null }, { x: 3 }]);
    const c = r.profile.columns[0]!;
    expect(c).toMatchObject({ type: "numerical", count: 5, missing: 1 });
    expect(c.numerical).toMatchObject({ nonFinite: 3, min: 1, max: 3, mean: 2 });
  });

  it("fills columns that appear late or disappear with missing values", () => {
    const p = new DatasetProfiler({ digest: sha256 });
    p.addColumns({ a: [1, 2] }, 2);
    p.addColumns({ b: ["x", "y", "z"] }, 3);
    const r = p.finish();
    expect(r.profile.columns.map((c) => [c.name, c.count, c.missing])).toEqual([["a", 2, 3], ["b", 3, 2]]);
    expect(r.digest).toBe(fromRecords([{ a: 1 }, { a: 2 }, { b: "x" }, { b: "y" }, { b: "z" }]).digest);
  });
});

describe("profiles of larger data", () => {
  it("fit the contract and bound their size: 50,000 rows of ids, free numbers, ties and a late word in a CSV", () => {
    const lines = ["id,x,k,late"];
    for (let i = 0; i < 50_000; i++) lines.push(`id-${i},${(i * 7919) % 10007}.${i % 10},${i % 3 === 0 ? 0 : i % 17},${i === 49_999 ? "oops" : i % 5}`);
    const text = lines.join("\n");
    let first: unknown;
    try {
      fromCsv(text, 1 << 14, 4096);
    } catch (e) {
      first = e;
    }
    expect(first).toMatchObject({ column: "late", from: "numerical", to: "categorical" });
    const r = withRestarts((o) => fromCsv(text, 1 << 14, 4096, o));
    expect(r.schema.columns.map((c) => c.type)).toEqual(["text", "numerical", "numerical", "categorical"]);
    expect(DatasetProfile.parse(r.profile)).toEqual(r.profile);
    expect(validateProfileAgainstSchema(r.schema, r.profile, 50_000)).toEqual([]);
    const [id, x, k] = r.profile.columns;
    expect(id!.categorical!.top).toHaveLength(100);
    expect(id!.distinct.estimate).toBe(50_000);
    expect(x!.numerical!.sketch.means.length).toBeLessThanOrEqual(500);
    expect(k!.numerical!.sketch.exact).toBe(true);
    expect(JSON.stringify(r.profile).length).toBeLessThan(100_000);
  });
});

describe("bounded memory", () => {
  it("folds blocks beyond exactLimit into the sketch: exact counts and moments, quantiles within 1% in rank", () => {
    let s = 12345;
    const values = Array.from({ length: 100_000 }, (_, i) => (i % 10 === 0 ? null : ((s = (s * 16807) % 2147483647) / 2147483647) ** 3 * 1000));
    const run = (exactLimit?: number) => {
      const p = new DatasetProfiler({ digest: sha256, exactLimit });
      for (let i = 0; i < values.length; i += 7000) p.addColumns({ v: values.slice(i, i + 7000) }, Math.min(7000, values.length - i));
      return p.finish();
    };
    const exact = run();
    const folded = run(10_000);
    const e = exact.profile.columns[0]!;
    const f = folded.profile.columns[0]!;
    expect(folded.digest).toBe(exact.digest);
    expect([f.count, f.missing, f.numerical!.min, f.numerical!.max, f.numerical!.zeros]).toEqual([e.count, e.missing, e.numerical!.min, e.numerical!.max, e.numerical!.zeros]);
    expect(f.numerical!.mean).toBeCloseTo(e.numerical!.mean, 9);
    expect(f.numerical!.m2 / e.numerical!.m2).toBeCloseTo(1, 9);
    const sorted = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
    const rank = (v: number) => sorted.findIndex((x) => x >= v) / sorted.length;
    for (const [k, q] of Object.entries({ p1: 0.01, p25: 0.25, p50: 0.5, p99: 0.99 })) {
      expect(Math.abs(rank(f.numerical!.quantiles[k as "p1"]) - q)).toBeLessThan(0.01);
    }
    expect(validateProfileAgainstSchema(folded.schema, folded.profile, folded.rowCount)).toEqual([]);
  });
});

describe("column names", () => {
  it("may be __proto__ or constructor, from records, CSV and restarts", () => {
    const records = [JSON.parse('{"__proto__": 1, "constructor": "a", "x": 1}'), JSON.parse('{"__proto__": 2, "constructor": "b", "x": "word"}')];
    const r = withRestarts((o) => fromRecords(records, 1, o));
    expect(r.profile.columns.map((c) => [c.name, c.type, c.count])).toEqual([["__proto__", "numerical", 2], ["constructor", "categorical", 2], ["x", "categorical", 2]]);
    const c = withRestarts((o) => fromCsv("__proto__,constructor,x\n1,a,1\n2,b,word\n", 5, 1, o));
    expect(c.digest).toBe(r.digest);
  });
});

describe("values the database cannot store", () => {
  it("shows NUL in category values as U+FFFD, counting values that then look alike together", () => {
    const r = fromRecords([{ s: "a\u0000" }, { s: "a\uFFFD" }, { s: "b" }]);
    expect(r.profile.columns[0]!.categorical!.top).toEqual([
      { value: "a\uFFFD", count: 2, share: 2 / 3 },
      { value: "b", count: 1, share: 1 / 3 },
    ]);
    expect(JSON.stringify(r.profile)).not.toContain("\\u0000");
    expect(validateProfileAgainstSchema(r.schema, r.profile, 3)).toEqual([]);
    expect(r.digest).not.toBe(fromRecords([{ s: "a\uFFFD" }, { s: "a\uFFFD" }, { s: "b" }]).digest);
  });

  it("cuts category values to 1,000 characters so a profile stays small", () => {
    const long = (c: string) => "x".repeat(998) + "😀" + c.repeat(5000);
    const r = fromRecords([{ s: long("a") }, { s: long("b") }, { s: "short" }]);
    const top = r.profile.columns[0]!.categorical!.top;
    expect(top[0]).toMatchObject({ count: 2 });
    expect(top[0]!.value).toBe(`${"x".repeat(998)}…`);
    expect(top[0]!.value.length).toBeLessThanOrEqual(1000);
    expect(r.profile.columns[0]!.text!.maxLength).toBe(5000 + 1000);
  });
});
