import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cleanRows, features, loadPenguins, MEASUREMENTS, shifted, split } from "./data.mjs";
import { evaluate, predict, train } from "./models.mjs";

// The plain code under the example: a split users can trust and two models whose quality
// differs the way the gate's story needs (the full one good, the mass-only one clearly not).
const rows = cleanRows(await loadPenguins());

describe("data", () => {
  it("keeps only rows with a known sex and every measurement", () => {
    // 344 penguins; 11 have no sex recorded (one of them "."), and the 2 without measurements are among them.
    expect(rows).toHaveLength(333);
    expect(new Set(rows.map((r) => r.Sex))).toEqual(new Set(["MALE", "FEMALE"]));
  });

  it("splits into disjoint parts covering every row, the same way for the same seed", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.double({ min: 0.1, max: 0.5, noNaN: true }), (seed, fraction) => {
        const { train, test } = split(rows, fraction, seed);
        expect(train.length + test.length).toBe(rows.length);
        expect(new Set([...train, ...test]).size).toBe(rows.length);
        expect(split(rows, fraction, seed)).toEqual({ train, test });
      }),
      { numRuns: 50 },
    );
  });

  it("gives every species, island and sex group its share of the test set", () => {
    const { test } = split(rows, 0.25, 2026);
    const key = (r) => `${r.Species}/${r.Island}/${r.Sex}`;
    const counts = (list) => list.reduce((m, r) => m.set(key(r), (m.get(key(r)) ?? 0) + 1), new Map());
    const all = counts(rows);
    const held = counts(test);
    expect([...held.keys()].sort()).toEqual([...all.keys()].sort());
    for (const [k, n] of all) expect(Math.abs(held.get(k) - n * 0.25)).toBeLessThanOrEqual(0.5);
  });

  it("shifts body mass by 15 % and bill length by 3 mm and nothing else", () => {
    const moved = shifted(rows);
    moved.forEach((m, i) => {
      const r = rows[i];
      expect(m["Body Mass (g)"]).toBeCloseTo(r["Body Mass (g)"] * 1.15, -1);
      expect(m["Beak Length (mm)"]).toBeCloseTo(r["Beak Length (mm)"] + 3, 5);
      expect({ ...m, "Body Mass (g)": 0, "Beak Length (mm)": 0 }).toEqual({ ...r, "Body Mass (g)": 0, "Beak Length (mm)": 0 });
    });
    expect(Object.keys(features(rows)[0]).sort()).toEqual(["Island", "Species", ...MEASUREMENTS].sort());
  });
});

describe("models", () => {
  const { train: trainRows, test } = split(rows, 0.25, 2026);

  it("the full model tells the sexes apart on unseen penguins; body mass alone cannot", () => {
    const full = evaluate(train("full", trainRows), test);
    const massOnly = evaluate(train("mass-only", trainRows), test);
    expect(full.accuracy).toBeGreaterThan(0.88);
    expect(massOnly.accuracy).toBeLessThan(0.7);
    expect(full.loss).toBeLessThan(massOnly.loss);
  });

  it("is deterministic and predicts the same after a JSON round trip (what serving loads)", () => {
    const model = train("full", trainRows);
    expect(train("full", trainRows)).toEqual(model);
    const loaded = JSON.parse(JSON.stringify(model));
    for (const r of test) expect(predict(loaded, r)).toEqual(predict(model, r));
  });

  it("scores more male with more body mass, whatever the bird (both designs weigh mass positively)", () => {
    const models = [train("full", trainRows), train("mass-only", trainRows)];
    fc.assert(
      fc.property(fc.constantFrom(...test), fc.integer({ min: 1, max: 2000 }), fc.constantFrom(...models), (r, extra, model) => {
        const heavier = { ...r, "Body Mass (g)": r["Body Mass (g)"] + extra };
        expect(predict(model, heavier).score).toBeGreaterThan(predict(model, r).score);
      }),
    );
  });

  it("names the designs it knows when given another", () => {
    expect(() => train("deep", trainRows)).toThrow(/full or mass-only/);
  });
});
