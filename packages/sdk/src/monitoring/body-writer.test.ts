import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BodyWriter, base64Length } from "./body-writer.js";

describe("BodyWriter", () => {
  it("writes text, bytes and base64 exactly as Buffer would, at any offset and length", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 9 }), fc.uint8Array({ maxLength: 300 }), fc.nat(7), fc.string({ maxLength: 5 }), (head, data, skip, tail) => {
        const src = data.subarray(Math.min(skip, data.length)); // an unaligned view too
        const w = new BodyWriter(BodyWriter.bound(head) + 3 + base64Length(src.length) + BodyWriter.bound(tail));
        const got = w.text(head).bytes(new Uint8Array([0x61, 0x62, 0x63])).base64(src).text(tail).toString();
        expect(got).toBe(`${head}abc${Buffer.from(src).toString("base64")}${tail}`);
      }),
      { numRuns: 1_000 },
    );
  });
});
