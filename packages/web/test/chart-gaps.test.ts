import { describe, expect, it } from "vitest";
import { isolatedPoints } from "../src/components/chart-gaps.js";

// Lines break at nulls (a window without data stays a gap), so a value between two gaps would
// be drawn as nothing: those are the points the chart draws as dots.
describe("isolatedPoints", () => {
  it("finds values with a gap or an end on both sides", () => {
    expect(isolatedPoints([1, null, 2, null, null, 3, 4, null, 5], false)).toEqual([0, 2, 8]);
    expect(isolatedPoints([7], false)).toEqual([0]);
    expect(isolatedPoints([1, 2, 3], false)).toEqual([]);
    expect(isolatedPoints([null, null], false)).toEqual([]);
  });

  it("skips the filler of joined series (undefined), which is never a gap", () => {
    expect(isolatedPoints([1, undefined, 2, undefined, null, 3], false)).toEqual([5]);
    expect(isolatedPoints([null, undefined, 4, undefined, null], false)).toEqual([2]);
  });

  it("with spanGaps only a lone value of the whole series is a dot", () => {
    expect(isolatedPoints([1, null, 2], true)).toEqual([]);
    expect(isolatedPoints([null, 5, null], true)).toEqual([1]);
  });
});
