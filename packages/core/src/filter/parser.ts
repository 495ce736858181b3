/**
 * The run filter language (README.md in this folder has more examples).
 *
 *   metrics.accuracy > 0.9 and params.optimizer = "adam" and tags.team = "fraud"
 *   status in ("failed", "crashed") or (metrics.loss is null and created > "2024-05-01")
 *
 * Grammar (keywords case-insensitive; precedence not > and > or):
 *
 *   filter  := or
 *   or      := and ("or" and)*
 *   and     := unary ("and" unary)*
 *   unary   := "not" unary | "(" or ")" | term
 *   term    := field cmp literal
 *            | field ["not"] ("like" | "ilike") string
 *            | field ["not"] "in" "(" literal ("," literal)* ")"
 *            | field "is" ["not"] "null"
 *   cmp     := "=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">="     (== is =, <> is !=)
 *   field   := prefix "." key | attribute | ("attributes" | "attr") "." attribute
 *   prefix  := metrics | metric | params | param | tags | tag            (case-insensitive)
 *   key     := [A-Za-z0-9_./:-]+ | "`" anything but a backtick "`"    (everything after the first dot)
 *   attribute := id | name | status | created | started | ended | parent | notes
 *   literal := number | string | true | false | null
 *   number  := -?digits(.digits)?([eE][+-]?digits)?
 *   string  := "..." | '...'   with escapes \" \' \\ \n \t
 *
 * Nested and/or of the same kind are flattened into one node. Meaning checks (validate.ts)
 * run here too: like needs a string; <, <=, >, >= need a number or string; `= null` must be
 * `is null`; in-lists hold at least one value and no null; metrics compare against numbers
 * (or "NaN", "Infinity", "-Infinity"); status against running, finished, failed, killed,
 * crashed with =, != or in only; created/started/ended against a date string or epoch ms;
 * id, name, parent and notes against strings.
 *
 * Every error is a FilterSyntaxError at a 1-based column (the input is treated as one line).
 * Inputs are capped at 10,000 characters and 64 levels of nesting, and the lexer is
 * a single linear pass, so hostile input costs little.
 */
import { FilterSyntaxError, type CompareOp, type FilterExpr, type Literal, type OrderBy } from "./ast.js";
import { tokenize, type Token } from "./lexer.js";
import { KEYWORDS, resolveField } from "./fields.js";
import { checkCompare, checkInValue, checkOperator } from "./validate.js";

export const MAX_FILTER_LENGTH = 10_000;
export const MAX_FILTER_DEPTH = 64;

const COMPARATORS: ReadonlyMap<string, CompareOp> = new Map<string, CompareOp>([
  ["=", "="],
  ["==", "="],
  ["!=", "!="],
  ["<>", "!="],
  ["<", "<"],
  ["<=", "<="],
  [">", ">"],
  [">=", ">="],
]);

/** A token as an error message shows it. */
function show(tok: Token): string {
  if (tok.kind === "eof") return "the end of the filter";
  return JSON.stringify(tok.text.length > 40 ? `${tok.text.slice(0, 40)}…` : tok.text);
}

function isWord(tok: Token, ...words: string[]): boolean {
  return tok.kind === "word" && words.includes(tok.text.toLowerCase());
}

function combine(type: "and" | "or", items: FilterExpr[]): FilterExpr {
  if (items.length === 1) return items[0] as FilterExpr;
  const flat: FilterExpr[] = [];
  for (const item of items) {
    if (item.type === type) flat.push(...item.items);
    else flat.push(item);
  }
  return { type, items: flat };
}

class Parser {
  private i = 0;
  private depth = 0;

  constructor(private readonly tokens: Token[]) {}

  peek(): Token {
    return this.tokens[this.i] as Token;
  }

  next(): Token {
    const tok = this.peek();
    if (tok.kind !== "eof") this.i++;
    return tok;
  }

  /** The token before the current one, for "expected ... after X" messages. */
  private prev(): Token | undefined {
    return this.i > 0 ? this.tokens[this.i - 1] : undefined;
  }

  private fail(message: string, tok: Token): never {
    throw new FilterSyntaxError(message, tok.pos);
  }

  private enter(tok: Token): void {
    if (++this.depth > MAX_FILTER_DEPTH) {
      this.fail(`the filter is nested too deeply (more than ${MAX_FILTER_DEPTH} levels of parentheses or "not")`, tok);
    }
  }

  parseOr(): FilterExpr {
    const items = [this.parseAnd()];
    while (isWord(this.peek(), "or")) {
      this.next();
      items.push(this.parseAnd());
    }
    return combine("or", items);
  }

  parseAnd(): FilterExpr {
    const items = [this.parseUnary()];
    while (isWord(this.peek(), "and")) {
      this.next();
      items.push(this.parseUnary());
    }
    return combine("and", items);
  }

  parseUnary(): FilterExpr {
    const tok = this.peek();
    if (isWord(tok, "not")) {
      this.enter(tok);
      this.next();
      const expr = this.parseUnary();
      this.depth--;
      return { type: "not", expr };
    }
    if (tok.kind === "punct" && tok.text === "(") {
      this.enter(tok);
      this.next();
      const expr = this.parseOr();
      const close = this.next();
      if (close.kind === "eof") this.fail(`missing ")" to close the "(" at column ${tok.pos}`, close);
      if (close.text !== ")") this.fail(`expected "and", "or" or ")" but found ${show(close)}`, close);
      this.depth--;
      return expr;
    }
    return this.parseTerm();
  }

  parseField(what: string): ReturnType<typeof resolveField> {
    const prev = this.prev();
    const tok = this.next();
    if (tok.kind === "field" || (tok.kind === "word" && !KEYWORDS.has(tok.text.toLowerCase()))) {
      return resolveField(tok);
    }
    if (tok.kind === "punct" && tok.text === ")") this.fail('unexpected ")"', tok);
    const after = prev ? ` after ${show(prev)}` : "";
    if (tok.kind === "eof") this.fail(`expected ${what}${after}`, tok);
    this.fail(`expected ${what}${after} but found ${show(tok)}`, tok);
  }

  parseTerm(): FilterExpr {
    const start = this.peek();
    const field = this.parseField("a condition (such as metrics.loss < 0.5)");
    const position = start.pos;
    let opTok = this.next();
    const opPos = opTok.pos; // where the operator starts, "not" included
    let negated = false;
    if (isWord(opTok, "is")) {
      let tok = this.next();
      if (isWord(tok, "not")) {
        negated = true;
        tok = this.next();
      }
      if (!isWord(tok, "null")) this.fail(`expected "null" or "not null" after "is"`, tok);
      return { type: "isNull", field, negated, position };
    }
    if (isWord(opTok, "not")) {
      negated = true;
      opTok = this.next();
      if (!isWord(opTok, "like", "ilike", "in")) this.fail(`expected "like", "ilike" or "in" after "not"`, opTok);
    }
    if (isWord(opTok, "in")) {
      checkOperator(field, "in", opPos);
      return { type: "in", field, values: this.parseList(field), negated, position };
    }
    let op: CompareOp | undefined;
    if (isWord(opTok, "like", "ilike")) {
      op = `${negated ? "not " : ""}${opTok.text.toLowerCase()}` as CompareOp;
    } else if (opTok.kind === "punct") {
      op = COMPARATORS.get(opTok.text);
    }
    if (op === undefined) {
      const found = opTok.kind === "eof" ? "" : ` but found ${show(opTok)}`;
      this.fail(`expected an operator (=, !=, <, <=, >, >=, like, ilike, in, is null) after ${show(start)}${found}`, opTok);
    }
    checkOperator(field, op, opPos);
    const [value, valuePos] = this.parseValue(opTok);
    return { type: "compare", field, op, value: checkCompare(field, op, value, valuePos), position };
  }

  /** Reads one literal; `after` is the token before it, for the error message. */
  parseValue(after: Token): [Literal, number] {
    const tok = this.next();
    if (tok.kind === "number" || tok.kind === "string") return [tok.value, tok.pos];
    if (tok.kind === "word") {
      const lower = tok.text.toLowerCase();
      if (lower === "true") return [true, tok.pos];
      if (lower === "false") return [false, tok.pos];
      if (lower === "null") return [null, tok.pos];
    }
    const shown = after.text.toLowerCase();
    const hint = tok.kind === "word" ? ` (put text in quotes: "${tok.text}")` : "";
    const found = tok.kind === "eof" ? "" : ` but found ${show(tok)}`;
    this.fail(`expected a value after "${shown}"${found}${hint}`, tok);
  }

  parseList(field: ReturnType<typeof resolveField>): Literal[] {
    const open = this.next();
    if (open.kind !== "punct" || open.text !== "(") {
      this.fail(`expected "(" after "in", as in status in ("failed", "crashed")`, open);
    }
    if (this.peek().kind === "punct" && this.peek().text === ")") {
      this.fail('an "in" list needs at least one value', this.peek());
    }
    const values: Literal[] = [];
    let after: Token = open;
    for (;;) {
      const [value, pos] = this.parseValue(after);
      values.push(checkInValue(field, value, pos));
      after = this.next();
      if (after.kind === "punct" && after.text === ")") return values;
      if (after.kind === "eof") this.fail(`missing ")" to close the "in" list at column ${open.pos}`, after);
      if (after.kind !== "punct" || after.text !== ",") {
        this.fail(`expected "," or ")" in the "in" list but found ${show(after)}`, after);
      }
    }
  }
}

function lex(input: string): Token[] | null {
  if (input.length > MAX_FILTER_LENGTH) {
    throw new FilterSyntaxError(`the filter is too long (${input.length} characters; at most ${MAX_FILTER_LENGTH})`, 1);
  }
  const tokens = tokenize(input);
  return tokens.length === 1 ? null : tokens;
}

/** Parses a run filter; null when the input is empty or only whitespace. Throws FilterSyntaxError. */
export function parseFilter(input: string): FilterExpr | null {
  const tokens = lex(input);
  if (tokens === null) return null;
  const parser = new Parser(tokens);
  const expr = parser.parseOr();
  const rest = parser.peek();
  if (rest.kind === "punct" && rest.text === ")") throw new FilterSyntaxError('unexpected ")"', rest.pos);
  if (rest.kind !== "eof") {
    throw new FilterSyntaxError(`unexpected ${show(rest)} (expected "and", "or" or the end of the filter)`, rest.pos);
  }
  return expr;
}

/** Parses a sort order such as `metrics.loss asc` or `created` (ascending); null when empty. */
export function parseOrderBy(input: string): OrderBy | null {
  const tokens = lex(input);
  if (tokens === null) return null;
  const parser = new Parser(tokens);
  const field = parser.parseField("a field to sort by (such as metrics.loss or created)");
  let tok = parser.next();
  const hasDirection = isWord(tok, "asc", "desc");
  const direction: OrderBy["direction"] = hasDirection && tok.text.toLowerCase() === "desc" ? "desc" : "asc";
  if (hasDirection) tok = parser.next();
  if (tok.kind === "punct" && tok.text === ",") {
    throw new FilterSyntaxError("only one sort key is supported (remove the comma and what follows it)", tok.pos);
  }
  if (tok.kind !== "eof") {
    const expected = hasDirection ? "the end of the sort order" : '"asc", "desc" or the end of the sort order';
    throw new FilterSyntaxError(`unexpected ${show(tok)} (expected ${expected})`, tok.pos);
  }
  return { field, direction };
}
