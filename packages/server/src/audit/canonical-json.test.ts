import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, toStorableJson } from "./canonical-json.js";

/** Rebuilds every object of `x` with its keys inserted in an order drawn from `rand`. */
function permuteKeys(x: unknown, rand: () => number): unknown {
  if (Array.isArray(x)) return x.map((v) => permuteKeys(v, rand));
  if (x === null || typeof x !== "object") return x;
  const entries = Object.entries(x);
  for (let i = entries.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [entries[i], entries[j]] = [entries[j]!, entries[i]!];
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, permuteKeys(v, rand)]));
}

/** A small deterministic PRNG, so a failing case replays from fast-check's seed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** JSON has no -0 (it is written as 0), so values "of JSON" have none. */
const noNegativeZero = (x: unknown): unknown =>
  Object.is(x, -0) ? 0 : Array.isArray(x) ? x.map(noNegativeZero) : x !== null && typeof x === "object" ? Object.fromEntries(Object.entries(x).map(([k, v]) => [k, noNegativeZero(v)])) : x;

// Full Unicode strings (binary units include lone surrogates) and keys like "__proto__" or "10".
const json = fc.jsonValue({ stringUnit: "binary", maxDepth: 4 }).map(noNegativeZero);
const keyish = fc.oneof(fc.string({ unit: "binary" }), fc.constantFrom("__proto__", "constructor", "10", "9", "", "a", "A", "é", "😀"));
const objects = fc.dictionary(keyish, json, { maxKeys: 8 });

describe("canonicalJson", () => {
  it("never depends on key order", () => {
    fc.assert(
      fc.property(fc.oneof(json, objects), fc.integer(), (x, seed) => {
        expect(canonicalJson(permuteKeys(x, mulberry32(seed)))).toBe(canonicalJson(x));
      }),
      { numRuns: 500 },
    );
  });

  it("parses back to the same value for any JSON value", () => {
    fc.assert(
      fc.property(fc.oneof(json, objects), (x) => {
        expect(JSON.parse(canonicalJson(x))).toEqual(x);
      }),
      { numRuns: 500 },
    );
  });

  it("sorts keys by code unit, recursively, with no whitespace", () => {
    expect(canonicalJson({ b: 1, a: [{ d: null, c: "x y" }], "10": true, "9": false, B: 0.1 })).toBe(
      '{"10":true,"9":false,"B":0.1,"a":[{"c":"x y","d":null}],"b":1}',
    );
    expect(canonicalJson([1e21, 5e-324, -0, "\u2028"])).toBe(JSON.stringify([1e21, 5e-324, 0, "\u2028"]));
    expect(canonicalJson({ a: undefined, b: () => 1, c: [undefined] })).toBe('{"c":[null]}');
  });
});

describe("toStorableJson", () => {
  it("gives JSON that PostgreSQL can store and is a fixed point of itself", () => {
    fc.assert(
      fc.property(fc.oneof(json, objects), (x) => {
        const s = toStorableJson(x);
        const text = JSON.stringify(s);
        expect(text).not.toMatch(/\\u0000|\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}/i);
        expect(toStorableJson(s)).toEqual(s);
      }),
      { numRuns: 300 },
    );
  });

  it("drops undefined, keeps __proto__ as data, turns Dates and bigints into strings", () => {
    const x = JSON.parse('{"__proto__": {"x": 1}}') as object;
    const out = toStorableJson({ a: undefined, d: new Date(0), n: 10n, nan: Number.NaN, p: x, s: "a\u0000b\ud800" }) as Record<string, unknown>;
    expect(out).toEqual({ d: "1970-01-01T00:00:00.000Z", n: "10", nan: null, p: x, s: "a\uFFFDb\uFFFD" });
    expect(Object.getPrototypeOf(out.p)).toBe(Object.prototype);
    expect(Object.keys(out.p as object)).toEqual(["__proto__"]);
    expect(toStorableJson(undefined)).toBeNull();
  });
});
