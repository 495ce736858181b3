import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SseParser } from "./watch.js";

interface Ev {
  event: string;
  data: string;
  id: string | undefined;
}

function parseAll(chunks: string[]): Ev[] {
  const out: Ev[] = [];
  const p = new SseParser((event, data, id) => out.push({ event, data, id }));
  for (const c of chunks) p.push(c);
  return out;
}

/** Cuts text at the given positions. */
function cut(text: string, at: number[]): string[] {
  const points = [...new Set(at.map((a) => a % (text.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(text.slice(prev, p));
    prev = p;
  }
  out.push(text.slice(prev));
  return out;
}

const line = fc.string({ maxLength: 30 }).filter((s) => !/[\r\n]/.test(s));

describe("SseParser", () => {
  it("yields the same events however the stream is cut into chunks, with CRLF or LF line ends, comments ignored", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ event: fc.constantFrom("alias", "other"), data: fc.array(line, { minLength: 1, maxLength: 3 }), id: fc.option(fc.uuid(), { nil: undefined }), comment: fc.boolean() }), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.boolean(),
        (events, at, crlf) => {
          const eol = crlf ? "\r\n" : "\n";
          const text = events
            .map((e) => [...(e.comment ? [": keep-alive"] : []), `event: ${e.event}`, ...e.data.map((d) => `data: ${d}`), ...(e.id ? [`id: ${e.id}`] : [])].join(eol) + eol + eol)
            .join("");
          const expected = events.map((e) => ({ event: e.event, data: e.data.join("\n"), id: e.id }));
          expect(parseAll([text])).toEqual(expected);
          expect(parseAll(cut(text, at))).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a block of comments only is no event", () => {
    expect(parseAll([": keep-alive\n\n", ": another\n\n"])).toEqual([]);
  });
});
