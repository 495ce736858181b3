/**
 * Hand-written lexer for the run filter language (the language is described in
 * parser.ts and README.md). One pass, no regular expressions on the input, so its
 * cost is linear in the input's length whatever the input is.
 */
import { FilterSyntaxError } from "./ast.js";

export type Token =
  /** A word such as `and`, `status` or `true` (keywords are matched case-insensitively by the parser). */
  | { kind: "word"; text: string; pos: number; end: number }
  /** `<prefix>.<key>`: a word immediately followed by a dot, then a plain or backtick-quoted key. */
  | { kind: "field"; prefix: string; key: string; keyPos: number; text: string; pos: number; end: number }
  | { kind: "number"; value: number; text: string; pos: number; end: number }
  | { kind: "string"; value: string; text: string; pos: number; end: number }
  /** Comparison operators, `(`, `)` and `,`. */
  | { kind: "punct"; text: string; pos: number; end: number }
  | { kind: "eof"; text: ""; pos: number; end: number };

/** Positions in tokens are 1-based columns; `end` is the column just after the token. */
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isLetter = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isWordStart = (c: number): boolean => isLetter(c) || c === 95; // _
const isWordChar = (c: number): boolean => isWordStart(c) || isDigit(c);
/** Characters of an unquoted key: [A-Za-z0-9_./:-]. */
export const isPlainKeyChar = (c: number): boolean =>
  isWordChar(c) || c === 46 || c === 47 || c === 58 || c === 45; // . / : -
const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11;

const ESCAPES: Record<string, string> = { '"': '"', "'": "'", "\\": "\\", n: "\n", t: "\t" };

/** Shows a character in an error message; non-printable ones as a code point. */
function showChar(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  return code < 32 || code === 127 ? `U+${code.toString(16).toUpperCase().padStart(4, "0")}` : `"${ch}"`;
}

export function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  const n = input.length;
  let i = 0;
  const fail = (message: string, at: number): never => {
    throw new FilterSyntaxError(message, at + 1);
  };

  while (i < n) {
    const c = input.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    const start = i;
    if (isWordStart(c)) {
      while (i < n && isWordChar(input.charCodeAt(i))) i++;
      const word = input.slice(start, i);
      if (input.charCodeAt(i) !== 46) {
        tokens.push({ kind: "word", text: word, pos: start + 1, end: i + 1 });
        continue;
      }
      i++; // the dot: everything after it is the key
      const keyStart = i;
      let key: string;
      if (input.charCodeAt(i) === 96) {
        const close = input.indexOf("`", i + 1);
        if (close < 0) fail("unterminated quoted key (missing closing backtick)", keyStart);
        key = input.slice(i + 1, close);
        i = close + 1;
      } else {
        while (i < n && isPlainKeyChar(input.charCodeAt(i))) i++;
        key = input.slice(keyStart, i);
        if (key === "") fail(`expected a key after "${word}."`, keyStart);
      }
      const text = input.slice(start, i);
      tokens.push({ kind: "field", prefix: word, key, keyPos: keyStart + 1, text, pos: start + 1, end: i + 1 });
      continue;
    }
    if (isDigit(c) || (c === 45 && isDigit(input.charCodeAt(i + 1)))) {
      i = scanNumber(input, i, fail);
      const text = input.slice(start, i);
      const value = Number(text);
      if (!Number.isFinite(value)) fail(`number ${text} is out of range`, start);
      tokens.push({ kind: "number", value, text, pos: start + 1, end: i + 1 });
      continue;
    }
    if (c === 34 || c === 39) {
      let value = "";
      i++;
      let chunk = i;
      for (;;) {
        if (i >= n) fail("unterminated string", start);
        const d = input.charCodeAt(i);
        if (d === c) break;
        if (d === 92) {
          value += input.slice(chunk, i);
          const esc = input[i + 1];
          if (esc === undefined) fail("unterminated string", start);
          const replacement = ESCAPES[esc as string];
          if (replacement === undefined) {
            fail(`unknown escape "\\${esc}" in string (use \\" \\' \\\\ \\n or \\t)`, i);
          }
          value += replacement;
          i += 2;
          chunk = i;
          continue;
        }
        i++;
      }
      value += input.slice(chunk, i);
      i++;
      tokens.push({ kind: "string", value, text: input.slice(start, i), pos: start + 1, end: i + 1 });
      continue;
    }
    const two = input.slice(i, i + 2);
    if (two === "==" || two === "!=" || two === "<>" || two === "<=" || two === ">=") {
      i += 2;
      tokens.push({ kind: "punct", text: two, pos: start + 1, end: i + 1 });
      continue;
    }
    if (c === 61 || c === 60 || c === 62 || c === 40 || c === 41 || c === 44) {
      // = < > ( ) ,
      i++;
      tokens.push({ kind: "punct", text: input[start] as string, pos: start + 1, end: i + 1 });
      continue;
    }
    if (c === 96) fail("a backtick-quoted key must follow a prefix such as metrics.", start);
    if (c === 46 && isDigit(input.charCodeAt(i + 1))) fail("a number must start with a digit (write 0.5, not .5)", start);
    if (c === 33) fail('unexpected "!" (use != or "not")', start);
    if (c === 38 || c === 124) fail(`unexpected "${input[i]}" (use "and" / "or")`, start);
    const cp = input.codePointAt(i) ?? c;
    fail(`unexpected character ${showChar(String.fromCodePoint(cp))}`, start);
  }
  tokens.push({ kind: "eof", text: "", pos: n + 1, end: n + 1 });
  return tokens;
}

/** Scans `-?digits(.digits)?([eE][+-]?digits)?` from `i`; returns the index after it. */
function scanNumber(input: string, i: number, fail: (message: string, at: number) => never): number {
  const start = i;
  const n = input.length;
  if (input.charCodeAt(i) === 45) i++;
  while (i < n && isDigit(input.charCodeAt(i))) i++;
  if (input.charCodeAt(i) === 46) {
    i++;
    if (!isDigit(input.charCodeAt(i))) fail('expected a digit after "." in number', i);
    while (i < n && isDigit(input.charCodeAt(i))) i++;
  }
  const e = input.charCodeAt(i);
  if (e === 101 || e === 69) {
    i++;
    const sign = input.charCodeAt(i);
    if (sign === 43 || sign === 45) i++;
    if (!isDigit(input.charCodeAt(i))) fail("expected a digit in the number's exponent", i);
    while (i < n && isDigit(input.charCodeAt(i))) i++;
  }
  const next = input.charCodeAt(i);
  if (isWordChar(next) || next === 46) {
    let j = i;
    while (j < n && (isWordChar(input.charCodeAt(j)) || input.charCodeAt(j) === 46)) j++;
    fail(`invalid number "${input.slice(start, j)}"`, start);
  }
  return i;
}
