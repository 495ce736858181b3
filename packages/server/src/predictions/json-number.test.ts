import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { writeJsNumber } from "./json-number.js";

const printed = (v: number) => {
  const buf = new Uint8Array(64);
  return Buffer.from(buf.subarray(0, writeJsNumber(buf, 0, v))).toString("latin1");
};

describe("writeJsNumber", () => {
  it("prints what String(v) prints, for short decimals, edge cases and any double", () => {
    const edges = [0, -0, 1, -1, 0.1, 0.2, 0.1 + 0.2, 1e-6, 1e-7, 9.99e-7, 123.456, -0.000123, 1e14, 999999999999999, 1e15, 1e21, 2 ** 53, Number.MAX_VALUE, Number.MIN_VALUE, 5e-324, 0.5, 100, 1234567.891, 4.35, 1.005];
    for (const v of edges) expect(printed(v), String(v)).toBe(String(v));
    const decimal = fc.tuple(fc.integer({ min: -(2 ** 31), max: 2 ** 31 }), fc.integer({ min: 0, max: 12 })).map(([m, k]) => m / 10 ** k);
    const scaled = fc.tuple(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 0, max: 8 })).map(([x, k]) => Math.round(x * 10 ** k) / 10 ** k);
    fc.assert(
      fc.property(fc.oneof(decimal, scaled, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.double({ min: -1e3, max: 1e3, noNaN: true })), (v) => {
        expect(printed(v)).toBe(String(v));
      }),
      { numRuns: 20_000 },
    );
  });
});
