import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeOp, encodeOp } from "../run/ops.js";
import { encodeBodies } from "./rows.js";

describe("predictions and labels in the spool", () => {
  it("a spooled batch reads back as the same op, whatever the project name and row content; a torn line is refused", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<"predictions" | "labels">("predictions", "labels"),
        fc.string({ unit: "grapheme", maxLength: 30 }),
        fc.array(fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ unit: "grapheme", maxLength: 12 }), fc.boolean(), fc.constant(null))), { minLength: 1, maxLength: 20 }),
        fc.nat(),
        (type, project, rows, cut) => {
          const [{ body, count }] = encodeBodies(type, rows).bodies as [{ body: string; count: number }];
          const op = { type, project, body, count };
          const line = encodeOp(op);
          expect(JSON.parse(line)).toEqual({ type, project, count, payload: JSON.parse(body) });
          expect(decodeOp(line)).toEqual(op);
          const torn = line.slice(0, cut % line.length);
          expect(() => decodeOp(torn)).toThrow();
        },
      ),
      { numRuns: 300 },
    );
  });
});
