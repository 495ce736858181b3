import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { measureJson } from "./json-scan.js";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function trueDepth(v: unknown): number {
  if (Array.isArray(v)) return 1 + Math.max(0, ...v.map(trueDepth));
  if (v !== null && typeof v === "object") return 1 + Math.max(0, ...Object.values(v).map(trueDepth));
  return 0;
}

function longestString(v: unknown): number {
  if (typeof v === "string") return v.length;
  if (Array.isArray(v)) return Math.max(0, ...v.map(longestString));
  if (v !== null && typeof v === "object") return Math.max(0, ...Object.entries(v).map(([k, x]) => Math.max(k.length, longestString(x))));
  return 0;
}

// Strings full of the characters a scanner could trip on, plus any UTF-16 (lone surrogates too).
const nastyString = fc.oneof(
  fc.string({ unit: fc.constantFrom('"', "\\", "[", "]", "{", "}", "u", "0", ",", ":", " ", "\n") }),
  fc.string({ unit: "binary" }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n)) }),
);

// Deep values too: fc.jsonValue rarely nests past a few levels.
const deepJson: fc.Arbitrary<Json> = fc.letrec<{ v: Json }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.oneof(fc.constant(null), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }), nastyString),
    fc.array(tie("v"), { maxLength: 3 }),
    fc.dictionary(nastyString, tie("v"), { maxKeys: 3 }),
  ),
})).v;

const nestedChain = fc
  .tuple(fc.array(fc.boolean(), { minLength: 1, maxLength: 200 }), fc.jsonValue({ maxDepth: 3 }))
  .map(([shape, leaf]) => shape.reduceRight<unknown>((inner, isArray) => (isArray ? [inner] : { k: inner }), leaf));

describe("measureJson", () => {
  it("property: depth and longest string of stringified JSON are exact", () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue({ maxDepth: 12 }), deepJson, nestedChain), fc.boolean(), (value, pretty) => {
        const text = pretty ? JSON.stringify(value, null, 2) : JSON.stringify(value);
        const shape = measureJson(text);
        expect(shape.depth).toBe(trueDepth(value));
        expect(shape.longestString).toBe(longestString(value));
      }),
      { numRuns: 1000 },
    );
  });

  it("property: stops past the limits, reporting a figure above them", () => {
    fc.assert(
      fc.property(nestedChain, fc.integer({ min: 1, max: 100 }), (value, limit) => {
        const depth = trueDepth(value);
        const shape = measureJson(JSON.stringify(value), limit);
        if (depth > limit) expect(shape.depth).toBe(limit + 1);
        else expect(shape.depth).toBe(depth);
      }),
    );
  });

  it("property: never throws on arbitrary text, and figures stay in range", () => {
    fc.assert(
      fc.property(nastyString, fc.integer({ min: 1, max: 10 }), fc.integer({ min: 0, max: 10 }), (text, d, s) => {
        for (const shape of [measureJson(text), measureJson(text, d, s)]) {
          expect(shape.depth).toBeGreaterThanOrEqual(0);
          expect(shape.depth).toBeLessThanOrEqual(text.length);
          expect(shape.longestString).toBeGreaterThanOrEqual(0);
          expect(shape.longestString).toBeLessThanOrEqual(text.length);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("handles the edge cases by hand", () => {
    expect(measureJson("")).toEqual({ depth: 0, longestString: 0 });
    expect(measureJson("42")).toEqual({ depth: 0, longestString: 0 });
    expect(measureJson('"ab\\u00e9\\n"')).toEqual({ depth: 0, longestString: 4 });
    expect(measureJson('"unterminated \\')).toEqual({ depth: 0, longestString: 14 });
    expect(measureJson("]]]]][[")).toEqual({ depth: 2, longestString: 0 });
    expect(measureJson('["\\\\", [["]"]]]').depth).toBe(3);
  });
});
