import { isUuidV7 } from "@cairn/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { UuidV7Source } from "./uuid.js";

/** The 48-bit millisecond time an id carries. */
const msOf = (id: string) => Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);

describe("UuidV7Source", () => {
  it("makes valid UUIDv7s carrying the clock's millisecond, strictly increasing for any clock (same ms, jumps, going back)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 47 }), fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 5000 }), (start, steps) => {
        let t = start;
        const source = new UuidV7Source(() => t);
        let prev = "";
        let maxMs = -1;
        for (const step of steps) {
          t = Math.max(0, t + (step > 2 ? step : 0)); // mostly the same millisecond, sometimes later, never an invalid time
          if (step < -3) t = Math.max(0, t - 1000); // the clock goes back
          const id = source.next();
          expect(isUuidV7(id)).toBe(true);
          expect(id > prev).toBe(true);
          const ms = msOf(id);
          // The id's time is the clock's, or (same millisecond overflowing its counter, or a clock gone back) a little after the latest seen.
          expect(ms).toBeGreaterThanOrEqual(Math.min(t, maxMs === -1 ? t : maxMs));
          maxMs = Math.max(maxMs, ms);
          prev = id;
        }
      }),
      { numRuns: 50 },
    );
  });

  it("counts more than 4,096 ids in one millisecond by moving to the next one, unique", () => {
    const source = new UuidV7Source(() => 1_700_000_000_000);
    const ids = Array.from({ length: 20_000 }, () => source.next());
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(msOf(ids[0]!)).toBe(1_700_000_000_000);
    expect(msOf(ids.at(-1)!)).toBeGreaterThan(1_700_000_000_000);
  });

  it("formats the full 48-bit time range", () => {
    const max = 2 ** 48 - 1;
    expect(msOf(new UuidV7Source(() => max).next())).toBe(max);
    expect(msOf(new UuidV7Source(() => 0).next())).toBe(0);
    expect(msOf(new UuidV7Source(() => 0x1234_5678_9abc).next())).toBe(0x1234_5678_9abc);
  });
});
