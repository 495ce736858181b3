/**
 * Prints filter ASTs back to source. The output is canonical (lower-case keywords,
 * plural prefixes, double-quoted strings, parentheses only where precedence needs
 * them), and parseFilter(formatFilter(e)) gives back e, positions aside.
 */
import type { FieldRef, FilterExpr, Literal, OrderBy } from "./ast.js";
import { isPlainKeyChar } from "./lexer.js";

const PREFIX = { metric: "metrics", param: "params", tag: "tags" } as const;

function isPlainKey(key: string): boolean {
  if (key.length === 0) return false;
  for (let i = 0; i < key.length; i++) if (!isPlainKeyChar(key.charCodeAt(i))) return false;
  return true;
}

/** `metrics.loss`, ``params.`my key` ``, `status`. Throws RangeError for a key holding a backtick. */
export function formatField(field: FieldRef): string {
  if (field.kind === "attribute") return field.name;
  const { key } = field;
  if (isPlainKey(key)) return `${PREFIX[field.kind]}.${key}`;
  if (key.includes("`")) throw new RangeError(`a key cannot contain a backtick: ${JSON.stringify(key)}`);
  return `${PREFIX[field.kind]}.\`${key}\``;
}

/** A literal in source form: `null`, `true`, `-0.5`, `"it's \"fine\""`. */
export function formatLiteral(value: Literal): string {
  if (value === null) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new RangeError(`a filter number must be finite, not ${value}`);
    return Object.is(value, -0) ? "-0" : String(value);
  }
  let out = '"';
  let chunk = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    const esc = c === '"' ? '\\"' : c === "\\" ? "\\\\" : c === "\n" ? "\\n" : c === "\t" ? "\\t" : undefined;
    if (esc !== undefined) {
      out += value.slice(chunk, i) + esc;
      chunk = i + 1;
    }
  }
  return `${out}${value.slice(chunk)}"`;
}

const PRECEDENCE = { or: 1, and: 2 } as const;

function format(expr: FilterExpr, parent: number): string {
  switch (expr.type) {
    case "and":
    case "or": {
      const own = PRECEDENCE[expr.type];
      if (expr.items.length === 0) throw new RangeError(`cannot format an empty "${expr.type}"`);
      if (expr.items.length === 1) return format(expr.items[0] as FilterExpr, parent);
      const text = expr.items.map((item) => format(item, own)).join(` ${expr.type} `);
      return parent > own ? `(${text})` : text;
    }
    case "not":
      return `not ${format(expr.expr, 3)}`;
    case "compare":
      return `${formatField(expr.field)} ${expr.op} ${formatLiteral(expr.value)}`;
    case "in":
      return `${formatField(expr.field)} ${expr.negated ? "not in" : "in"} (${expr.values.map(formatLiteral).join(", ")})`;
    case "isNull":
      return `${formatField(expr.field)} is ${expr.negated ? "not null" : "null"}`;
  }
}

/** Prints a filter in canonical source form. */
export function formatFilter(expr: FilterExpr): string {
  return format(expr, 0);
}

/** Prints a sort order: `metrics.loss desc`. */
export function formatOrderBy(order: OrderBy): string {
  return `${formatField(order.field)} ${order.direction}`;
}
