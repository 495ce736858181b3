import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JsonLinesError, JsonLinesParser, parseJsonLinesChunk } from "./jsonl.js";

describe("JSON Lines", () => {
  it("gives the same records wherever the text is cut", () => {
    const record = fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.string(), fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => x + 0), fc.boolean(), fc.constant(null)), { maxKeys: 4 });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 6 }), fc.boolean(), (records, cuts, crlf) => {
        const text = records.map((r) => JSON.stringify(r)).join(crlf ? "\r\n" : "\n");
        const p = new JsonLinesParser();
        let prev = 0;
        for (const c of [...new Set(cuts.map((x) => x % (text.length + 1)))].sort((a, b) => a - b)) {
          p.push(text.slice(prev, c));
          prev = c;
        }
        p.push(text.slice(prev));
        p.end();
        expect(p.take()).toEqual(records);
      }),
    );
  });

  it("names the line of bad JSON or a non-object, counting blank lines", () => {
    expect(() => parseJsonLinesChunk('{"a":1}\n\n{"a":\n', 1, true)).toThrow(/^line 3: invalid JSON/);
    const p = new JsonLinesParser();
    p.push('{"a":1}\n{"a":2}\n[1');
    expect(p.take()).toEqual([{ a: 1 }, { a: 2 }]);
    expect(() => p.push(",2]\n")).toThrow(/^line 3: a line must hold a JSON object/);
    expect(() => parseJsonLinesChunk("[1,2]\n", 7)).toThrow(JsonLinesError);
    expect(() => parseJsonLinesChunk("[1,2]\n", 7)).toThrow(/^line 7: a line must hold a JSON object/);
  });
});
