/**
 * Meaning checks on a parsed term: which operators and literals make sense for which
 * field. They run in the parser so the UI shows them, with a column, as the user types,
 * and so the server's SQL compiler can trust every node it gets.
 */
import { FilterSyntaxError, type CompareOp, type FieldRef, type Literal } from "./ast.js";
import { valueKind } from "./fields.js";
import { RunStatus } from "../schemas/runs.js";

const STATUSES: readonly string[] = RunStatus.options;
const SPECIAL_NUMBERS: ReadonlyMap<string, string> = new Map([
  ["nan", "NaN"],
  ["infinity", "Infinity"],
  ["-infinity", "-Infinity"],
]);

/** A literal in source form, for error messages. */
export function showLiteral(value: Literal): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return String(value);
}

function fieldName(field: FieldRef): string {
  return field.kind === "attribute" ? field.name : `${field.kind}s.${field.key}`;
}

const isOrdering = (op: CompareOp): boolean => op === "<" || op === "<=" || op === ">" || op === ">=";
const isLike = (op: CompareOp): boolean => op.endsWith("like");

/** Checks that `op` can apply to `field` at all; `opPos` is the operator's column. */
export function checkOperator(field: FieldRef, op: CompareOp | "in", opPos: number): void {
  const kind = valueKind(field);
  const fail = (message: string): never => {
    throw new FilterSyntaxError(message, opPos);
  };
  if (kind === "status" && op !== "=" && op !== "!=" && op !== "in") {
    fail(`status can only be compared with =, != or in (not "${op}")`);
  }
  if (isLike(op as CompareOp)) {
    if (kind === "number") fail(`"${op}" cannot be used with metrics (their values are numbers)`);
    if (kind === "date") fail(`"${op}" cannot be used with ${fieldName(field)} (a date: use <, <=, >, >=, = or !=)`);
  }
}

/** Checks a comparison's literal and returns it, normalised (status lower-cased, "nan" → "NaN"). */
export function checkCompare(field: FieldRef, op: CompareOp, value: Literal, valuePos: number): Literal {
  const fail = (message: string): never => {
    throw new FilterSyntaxError(message, valuePos);
  };
  if (value === null) {
    if (op === "=") fail('use "is null" instead of "= null"');
    if (op === "!=") fail('use "is not null" instead of "!= null"');
  }
  if (isLike(op) && typeof value !== "string") {
    fail(`"${op}" needs a string pattern in quotes, such as "%loss%" (got ${showLiteral(value)})`);
  }
  if (isOrdering(op) && typeof value !== "number" && typeof value !== "string") {
    fail(`"${op}" needs a number or a string (got ${showLiteral(value)})`);
  }
  return checkValue(field, value, valuePos);
}

/** Checks one value of an `in` list. */
export function checkInValue(field: FieldRef, value: Literal, valuePos: number): Literal {
  if (value === null) throw new FilterSyntaxError('null is not allowed in an "in" list (use "is null")', valuePos);
  return checkValue(field, value, valuePos);
}

function checkValue(field: FieldRef, value: Literal, pos: number): Literal {
  const fail = (message: string): never => {
    throw new FilterSyntaxError(message, pos);
  };
  switch (valueKind(field)) {
    case "number": {
      if (typeof value === "number") return value;
      const special = typeof value === "string" ? SPECIAL_NUMBERS.get(value.toLowerCase()) : undefined;
      if (special !== undefined) return special;
      return fail(`metrics compare only against numbers (or "NaN", "Infinity", "-Infinity"), not ${showLiteral(value)}`);
    }
    case "status": {
      const lower = typeof value === "string" ? value.toLowerCase() : undefined;
      if (lower !== undefined && STATUSES.includes(lower)) return lower;
      return fail(`status must be one of ${STATUSES.join(", ")} (got ${showLiteral(value)})`);
    }
    case "date": {
      if (typeof value === "number") return value;
      if (typeof value === "string" && !Number.isNaN(Date.parse(value))) return value;
      return fail(
        `${fieldName(field)} compares against a date such as "2024-05-01" or "2024-05-01T12:00:00Z", ` +
          `or epoch milliseconds (got ${showLiteral(value)})`,
      );
    }
    case "text": {
      if (typeof value === "string") return value;
      const hint = typeof value === "number" ? ` (put it in quotes: "${value}")` : "";
      return fail(`${fieldName(field)} compares only against strings, not ${showLiteral(value)}${hint}`);
    }
    case "any":
      return value;
  }
}
