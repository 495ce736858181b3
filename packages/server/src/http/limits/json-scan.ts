/**
 * One pass over raw JSON text measuring what JSON.parse will not limit: nesting depth and string
 * length. It does not validate; for text that JSON.parse accepts, the figures are exact, and
 * text it rejects fails there anyway, so a malformed body cannot slip a deep value past us.
 */

export type JsonShape = {
  /** Deepest `[`/`{` nesting seen (a scalar is 0, `[]` is 1, `[{}]` is 2). */
  depth: number;
  /** Longest string or key, in UTF-16 code units after unescaping (JS `.length`). */
  longestString: number;
};

const QUOTE = 0x22; // "
const U = 0x75; // the u of \uXXXX
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * Measures `text`, stopping as soon as depth exceeds `stopAtDepth` or a string exceeds
 * `stopAtString` (the returned figure then shows the excess, not the true maximum): a
 * hostile body is rejected after reading only as far as the first violation.
 * Never throws, whatever the input.
 */
export function measureJson(text: string, stopAtDepth = Number.POSITIVE_INFINITY, stopAtString = Number.POSITIVE_INFINITY): JsonShape {
  const n = text.length;
  let depth = 0;
  let maxDepth = 0;
  let longest = 0;
  // Where the next backslash is (n: none left). Cached across strings so that text without
  // escapes is searched once, not once per string, which would be quadratic.
  let nextBackslash = -1;
  for (let i = 0; i < n; i++) {
    const ch = text.charCodeAt(i);
    if (ch === QUOTE) {
      // Strings are most of the bytes in text-heavy bodies: jump between quotes and escapes
      // with indexOf (native, ~10x a charCodeAt loop) instead of visiting every character.
      let len = 0;
      i++;
      for (;;) {
        let quote = text.indexOf('"', i);
        if (quote < 0) quote = n;
        if (nextBackslash < i) {
          nextBackslash = text.indexOf("\\", i);
          if (nextBackslash < 0) nextBackslash = n;
        }
        if (nextBackslash >= quote) {
          len += quote - i;
          i = quote;
          break;
        }
        // An escape is one code unit however it is spelled; skipping it also skips an escaped quote.
        len += nextBackslash - i + 1;
        i = nextBackslash + (text.charCodeAt(nextBackslash + 1) === U ? 6 : 2);
        if (len > stopAtString) return { depth: maxDepth, longestString: len };
        if (i >= n) {
          i = n;
          break;
        }
      }
      if (len > stopAtString) return { depth: maxDepth, longestString: len };
      if (len > longest) longest = len;
    } else if (ch === OPEN_BRACKET || ch === OPEN_BRACE) {
      depth++;
      if (depth > maxDepth) {
        maxDepth = depth;
        if (depth > stopAtDepth) break;
      }
    } else if ((ch === CLOSE_BRACKET || ch === CLOSE_BRACE) && depth > 0) {
      depth--;
    }
  }
  return { depth: maxDepth, longestString: longest };
}
