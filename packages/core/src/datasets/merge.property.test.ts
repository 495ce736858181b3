import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type ColumnProfile, DatasetProfile } from "../schemas/datasets.js";
import { bytesToBase64, HyperLogLog } from "./hll.js";
import { mergeProfiles } from "./merge.js";
import { DatasetProfiler } from "./profiler.js";
import { schemaFromProfile, validateProfileAgainstSchema } from "./schema.js";

type Row = { x: number | null; c: string | null; b: boolean | null };

const profileOf = (rows: Row[]): DatasetProfile => {
  const p = new DatasetProfiler({ types: { x: "numerical", c: "categorical", b: "boolean" } });
  p.addColumns({ x: rows.map((r) => r.x), c: rows.map((r) => r.c), b: rows.map((r) => r.b) }, rows.length);
  return p.finish().profile;
};

const rowArb = fc.record({
  x: fc.oneof(
    { weight: 6, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }) },
    { weight: 3, arbitrary: fc.integer({ min: -3, max: 3 }) },
    { weight: 1, arbitrary: fc.constantFrom(null, Number.NaN, Number.POSITIVE_INFINITY) },
  ),
  c: fc.oneof(fc.constantFrom("a", "b", "c", "d", "é", ""), fc.constant(null)),
  b: fc.oneof(fc.boolean(), fc.constant(null)),
});
/** Big samples from a few distributions, so sketches actually compress. */
const bigSample = fc
  .record({ n: fc.integer({ min: 1, max: 20_000 }), seed: fc.integer(), kind: fc.constantFrom("uniform", "normal", "exp", "ints", "mixture") })
  .map(({ n, seed, kind }) => {
    let s = seed | 1;
    const rand = () => {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      return ((s >>> 0) + 0.5) / 4294967296;
    };
    return Array.from({ length: n }, (): Row => {
      const u = rand();
      const x = kind === "uniform" ? u * 100 : kind === "normal" ? Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand()) : kind === "exp" ? -Math.log(u) : kind === "ints" ? Math.floor(u * 10) : u < 0.3 ? u * 3 : 1000 + rand();
      return { x, c: `k${Math.floor(u * 5)}`, b: u < 0.4 };
    });
  });

const col = (p: DatasetProfile, name: string) => p.columns.find((c) => c.name === name)!;
const close = (a: number, b: number, rel = 1e-9) => Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));

/** Everything the contract says merges exactly. */
function expectExact(merged: ColumnProfile, whole: ColumnProfile): void {
  expect(merged.count).toBe(whole.count);
  expect(merged.missing).toBe(whole.missing);
  expect(merged.distinct.hll).toBe(whole.distinct.hll);
  expect(merged.boolean).toEqual(whole.boolean);
  if (whole.categorical?.complete) expect(merged.categorical).toEqual(whole.categorical);
  const m = merged.numerical;
  const w = whole.numerical;
  expect(!!m).toBe(!!w);
  if (!m || !w) return;
  expect([m.min, m.max, m.zeros, m.nonFinite]).toEqual([w.min, w.max, w.zeros, w.nonFinite]);
  expect(close(m.mean, w.mean)).toBe(true);
  expect(close(m.m2, w.m2, 1e-8) || Math.abs(m.m2 - w.m2) < 1e-6).toBe(true);
  expect(m.histogram.counts.reduce((a, b) => a + b, 0)).toBe(w.histogram.counts.reduce((a, b) => a + b, 0));
}

/** Rank error of a merged quantile against the union's data, as a share of n. */
function rankError(values: number[], v: number, q: number): number {
  const n = values.length;
  let below = 0;
  let atOrBelow = 0;
  for (const x of values) {
    if (x < v) below++;
    if (x <= v) atOrBelow++;
  }
  const target = q * (n - 1);
  if (target < below - 1) return (below - 1 - target) / n;
  if (target > atOrBelow) return (target - atOrBelow) / n;
  return 0;
}

describe("mergeProfiles(profile(A), profile(B)) = profile(A ∪ B)", () => {
  it("exactly for counts, extremes, moments, booleans, complete categories and HLL registers", () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 80 }), fc.array(rowArb, { maxLength: 80 }), (a, b) => {
        const merged = mergeProfiles(profileOf(a), profileOf(b));
        const whole = profileOf([...a, ...b]);
        expect(merged.rowCount).toBe(whole.rowCount);
        expect(DatasetProfile.safeParse(merged).success).toBe(true);
        expect(validateProfileAgainstSchema(schemaFromProfile(merged), merged, merged.rowCount)).toEqual([]);
        for (const name of ["x", "c", "b"]) expectExact(col(merged, name), col(whole, name));
      }),
      { numRuns: 300 },
    );
  });

  it("with exact quantiles, deciles and histogram while every value is its own centroid", () => {
    fc.assert(
      fc.property(fc.array(rowArb, { maxLength: 70 }), fc.array(rowArb, { maxLength: 70 }), (a, b) => {
        const m = col(mergeProfiles(profileOf(a), profileOf(b)), "x").numerical;
        const w = col(profileOf([...a, ...b]), "x").numerical;
        if (!m || !w) return;
        for (const k of Object.keys(w.quantiles) as Array<keyof typeof w.quantiles>) expect(close(m.quantiles[k], w.quantiles[k], 1e-9)).toBe(true);
        m.deciles.edges.forEach((e, i) => expect(close(e, w.deciles.edges[i]!, 1e-9)).toBe(true));
        m.deciles.shares.forEach((s, i) => expect(s).toBeCloseTo(w.deciles.shares[i]!, 9));
        expect(m.histogram.counts).toEqual(w.histogram.counts);
      }),
      { numRuns: 200 },
    );
  });

  it("within 1% of n in rank for quantiles and decile edges, 1% for shares at its own edges and per histogram bin, on large data", () => {
    fc.assert(
      fc.property(bigSample, bigSample, (a, b) => {
        const merged = col(mergeProfiles(profileOf(a), profileOf(b)), "x");
        const m = merged.numerical!;
        const whole = col(profileOf([...a, ...b]), "x");
        const values = [...a, ...b].map((r) => r.x as number);
        const n = values.length;
        expectExact(merged, whole);
        const levels = { p1: 0.01, p5: 0.05, p25: 0.25, p50: 0.5, p75: 0.75, p95: 0.95, p99: 0.99 };
        for (const [k, q] of Object.entries(levels)) expect(rankError(values, m.quantiles[k as keyof typeof levels], q)).toBeLessThanOrEqual(0.01);
        m.deciles.edges.forEach((e, i) => expect(rankError(values, e, (i + 1) / 10)).toBeLessThanOrEqual(0.01));
        // What PSI needs: the shares are right for the edges the profile states.
        const counts = new Array<number>(10).fill(0);
        for (const x of values) {
          let k = 0;
          while (k < 9 && x >= m.deciles.edges[k]!) k++;
          counts[k]!++;
        }
        m.deciles.shares.forEach((s, i) => expect(Math.abs(s - counts[i]! / n)).toBeLessThanOrEqual(0.01));
        m.histogram.counts.forEach((c, i) => expect(Math.abs(c - whole.numerical!.histogram.counts[i]!)).toBeLessThanOrEqual(0.01 * n + 1));
        expect(m.sketch.means.length).toBeLessThanOrEqual(500);
      }),
      { numRuns: 40 },
    );
  });

  it("is commutative and associative within the same tolerance", () => {
    fc.assert(
      fc.property(bigSample, bigSample, bigSample, (a, b, c) => {
        const [pa, pb, pc] = [profileOf(a), profileOf(b), profileOf(c)];
        const left = mergeProfiles(mergeProfiles(pa, pb), pc);
        const right = mergeProfiles(pa, mergeProfiles(pc, pb));
        const values = [...a, ...b, ...c].map((r) => r.x as number);
        for (const p of [left, right]) {
          const x = col(p, "x").numerical!;
          expectExact(col(p, "x"), col(left, "x"));
          expect(rankError(values, x.quantiles.p50, 0.5)).toBeLessThanOrEqual(0.01);
          expect(rankError(values, x.quantiles.p99, 0.99)).toBeLessThanOrEqual(0.01);
          x.deciles.edges.forEach((e, i) => expect(rankError(values, e, (i + 1) / 10)).toBeLessThanOrEqual(0.01));
        }
        expect(col(left, "c").categorical).toEqual(col(right, "c").categorical);
      }),
      { numRuns: 25 },
    );
  }, 60_000);

  it("keeps heavy ties exact through merges (zero-inflated data)", () => {
    const zeros = Array.from({ length: 6000 }, (): Row => ({ x: 0, c: "a", b: true }));
    const spread = Array.from({ length: 4000 }, (_, i): Row => ({ x: 1 + i / 7, c: "b", b: false }));
    const merged = col(mergeProfiles(profileOf(zeros.slice(0, 3000).concat(spread.slice(0, 2000))), profileOf(zeros.slice(3000).concat(spread.slice(2000)))), "x").numerical!;
    const whole = col(profileOf([...zeros, ...spread]), "x").numerical!;
    expect(merged.deciles.edges.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(merged.deciles.shares.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(merged.deciles.shares[5]).toBeCloseTo(whole.deciles.shares[5]!, 3);
    expect(merged.quantiles.p50).toBe(0);
  });

  it("takes a column missing on one side as missing values, and refuses mixing numbers with categories", () => {
    const a = profileOf([{ x: 1, c: "a", b: true }]);
    const p = new DatasetProfiler();
    p.addColumns({ x: ["zz", "yy"] }, 2);
    const b = p.finish().profile;
    expect(() => mergeProfiles(a, b)).toThrow(/column "x" is numerical in one profile and categorical in the other/);
    const p2 = new DatasetProfiler();
    p2.addColumns({ y: [1, 2] }, 2);
    const merged = mergeProfiles(a, p2.finish().profile);
    expect(merged.columns.map((c) => [c.name, c.count, c.missing])).toEqual([["x", 1, 2], ["c", 1, 2], ["b", 1, 2], ["y", 2, 1]]);
  });
});

describe("HyperLogLog", () => {
  it("encodes sparse and dense registers compactly and decodes them (and the raw 4,096 bytes) exactly", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double({ noNaN: true }), fc.integer()), { maxLength: 3000 }), (xs) => {
        const h = new HyperLogLog();
        for (const x of xs) h.addNumber(x);
        const text = h.toBase64();
        expect(HyperLogLog.fromBase64(text).registers).toEqual(h.registers);
        expect(text.length).toBeLessThanOrEqual(4100);
        expect(HyperLogLog.fromBase64(bytesToBase64(h.registers)).registers).toEqual(h.registers);
      }),
      { numRuns: 50 },
    );
    const b = new HyperLogLog();
    b.addNumber(0);
    b.addNumber(1);
    expect(b.toBase64().length).toBeLessThanOrEqual(12);
    expect(() => HyperLogLog.fromBase64("AAAA")).toThrow(RangeError);
  });

  it("estimates within 5% and survives base64", () => {
    for (const n of [10, 1000, 50_000, 300_000]) {
      const h = new HyperLogLog();
      for (let i = 0; i < n; i++) {
        h.addNumber(i * 1.5);
        h.addString(`user-${i}`);
      }
      const est = HyperLogLog.fromBase64(h.toBase64()).estimate();
      expect(Math.abs(est - 2 * n) / (2 * n)).toBeLessThan(0.05);
    }
  });
});
