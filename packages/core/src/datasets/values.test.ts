import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { kindOf, parseBoolean, parseDatetime, parseNumber } from "./values.js";

describe("parseNumber", () => {
  it("gives the same double as Number() for every decimal spelling of a number", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: 0, max: 20 }), (x, digits) => {
        for (const s of [String(x), x.toFixed(Math.min(digits, 100)), x.toExponential(Math.min(digits, 100)), x.toPrecision(Math.max(1, digits))]) {
          expect(Object.is(parseNumber(s), Number(s))).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("parses short decimals exactly like Number() (fast path)", () => {
    fc.assert(
      fc.property(fc.integer({ min: -(10 ** 15) + 1, max: 10 ** 15 - 1 }), fc.integer({ min: 0, max: 15 }), (m, k) => {
        const digits = String(Math.abs(m)).padStart(k + 1, "0");
        const s = `${m < 0 ? "-" : ""}${digits.slice(0, digits.length - k)}${k ? `.${digits.slice(digits.length - k)}` : ""}`;
        expect(Object.is(parseNumber(s), Number(s))).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it("accepts nan/inf spellings and refuses what is not a plain decimal", () => {
    expect(parseNumber("NaN")).toBeNaN();
    expect(parseNumber("-inf")).toBe(Number.NEGATIVE_INFINITY);
    expect(parseNumber("Infinity")).toBe(Number.POSITIVE_INFINITY);
    expect(parseNumber(".5")).toBe(0.5);
    expect(parseNumber("5.")).toBe(5);
    expect(parseNumber("+1e3")).toBe(1000);
    for (const s of ["", " 1", "1 ", "0x10", "1,5", "1e", "e5", "--1", "1.2.3", "abc", "-", "."]) expect(parseNumber(s)).toBeUndefined();
  });
});

describe("parseDatetime and parseBoolean", () => {
  it("reads ISO 8601 in UTC unless an offset is given, and refuses impossible dates", () => {
    expect(parseDatetime("2024-02-29")).toBe(Date.UTC(2024, 1, 29));
    expect(parseDatetime("2024-02-29T12:30")).toBe(Date.UTC(2024, 1, 29, 12, 30));
    expect(parseDatetime("2024-02-29 12:30:15.1234Z")).toBe(Date.UTC(2024, 1, 29, 12, 30, 15, 123));
    expect(parseDatetime("2024-02-29T12:30:00+0200")).toBe(Date.UTC(2024, 1, 29, 10, 30));
    expect(parseDatetime("2024-02-29T12:30:00-05:30")).toBe(Date.UTC(2024, 1, 29, 18, 0));
    for (const s of ["2023-02-29", "2024-13-01", "2024-1-1", "20240101", "2024-01-01T25:00", "yesterday"]) expect(parseDatetime(s)).toBeUndefined();
  });

  it("reads true/false in three casings only; 0/1 are numbers", () => {
    expect([parseBoolean("true"), parseBoolean("FALSE"), parseBoolean("True"), parseBoolean("yes"), parseBoolean("1")]).toEqual([true, false, true, undefined, undefined]);
    expect([kindOf("1"), kindOf("true"), kindOf("2024-01-01"), kindOf("x"), kindOf(new Date(0)), kindOf(3n), kindOf({ a: 1 })]).toEqual(["number", "boolean", "datetime", "string", "datetime", "number", "string"]);
  });
});
