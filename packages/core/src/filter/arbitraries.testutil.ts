/** fast-check generators and helpers for the filter tests (not part of the package). */
import fc from "fast-check";
import { RUN_ATTRIBUTES, type CompareOp, type FieldRef, type FilterExpr, type Literal } from "./ast.js";
import { valueKind, type ValueKind } from "./fields.js";

const KEY_CHARS = "abcXYZ019_-./: ".split("");
const STATUSES = ["running", "finished", "failed", "killed", "crashed"];

export const keyArb = fc
  .string({ unit: fc.constantFrom(...KEY_CHARS), minLength: 1, maxLength: 12 })
  .chain((k) => fc.constantFrom(k, k.padEnd(250, "k"))); // sometimes the longest allowed key

export const fieldArb: fc.Arbitrary<FieldRef> = fc.oneof(
  keyArb.map((key): FieldRef => ({ kind: "metric", key })),
  keyArb.map((key): FieldRef => ({ kind: "param", key })),
  keyArb.map((key): FieldRef => ({ kind: "tag", key })),
  fc.constantFrom(...RUN_ATTRIBUTES).map((name): FieldRef => ({ kind: "attribute", name })),
);

const numberArb = fc.double({ noNaN: true, noDefaultInfinity: true });
const textArb = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: "binary", maxLength: 8 }));
const dateArb = fc.oneof(
  fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(4e12) }).map((d) => d.toISOString()),
  fc.constantFrom("2024-05-01", "2024-05-01T12:00:00Z"),
  fc.integer({ min: 0, max: 4e12 }),
);

/** A non-null literal that the parser accepts for fields of this kind. */
function valueArb(kind: ValueKind): fc.Arbitrary<Literal> {
  switch (kind) {
    case "number":
      return fc.oneof(numberArb, fc.constantFrom("NaN", "Infinity", "-Infinity"));
    case "status":
      return fc.constantFrom(...STATUSES);
    case "date":
      return dateArb;
    case "text":
      return textArb;
    case "any":
      return fc.oneof(textArb, numberArb, fc.boolean());
  }
}

function opsFor(kind: ValueKind): CompareOp[] {
  const ordering: CompareOp[] = ["=", "!=", "<", "<=", ">", ">="];
  if (kind === "status") return ["=", "!="];
  if (kind === "number" || kind === "date") return ordering;
  return [...ordering, "like", "ilike", "not like", "not ilike"];
}

const compareArb: fc.Arbitrary<FilterExpr> = fieldArb.chain((field) => {
  const kind = valueKind(field);
  return fc.constantFrom(...opsFor(kind)).chain((op) => {
    let value: fc.Arbitrary<Literal> = valueArb(kind);
    if (op.endsWith("like")) value = textArb;
    else if (op !== "=" && op !== "!=") value = value.filter((v) => typeof v !== "boolean");
    return value.map((v): FilterExpr => ({ type: "compare", field, op, value: v, position: 0 }));
  });
});

const inArb: fc.Arbitrary<FilterExpr> = fieldArb.chain((field) =>
  fc.record({
    values: fc.array(valueArb(valueKind(field)), { minLength: 1, maxLength: 4 }),
    negated: fc.boolean(),
  }).map((r): FilterExpr => ({ type: "in", field, ...r, position: 0 })),
);

const isNullArb: fc.Arbitrary<FilterExpr> = fc
  .record({ field: fieldArb, negated: fc.boolean() })
  .map((r): FilterExpr => ({ type: "isNull", ...r, position: 0 }));

export const termArb = fc.oneof(compareArb, inArb, isNullArb);

/** Random filter trees up to a small depth; and/or have at least two items. */
export const exprArb: fc.Arbitrary<FilterExpr> = fc.letrec<{ expr: FilterExpr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    termArb,
    fc.array(tie("expr"), { minLength: 2, maxLength: 4 }).map((items): FilterExpr => ({ type: "and", items })),
    fc.array(tie("expr"), { minLength: 2, maxLength: 4 }).map((items): FilterExpr => ({ type: "or", items })),
    tie("expr").map((expr): FilterExpr => ({ type: "not", expr })),
  ),
})).expr;

/** Drops positions and flattens nested and/or of the same kind, as the parser does. */
export function normalize(expr: FilterExpr): unknown {
  switch (expr.type) {
    case "and":
    case "or": {
      const items: unknown[] = [];
      for (const item of expr.items) {
        const n = normalize(item) as { type: string; items?: unknown[] };
        if (n.type === expr.type && n.items) items.push(...n.items);
        else items.push(n);
      }
      return { type: expr.type, items };
    }
    case "not":
      return { type: "not", expr: normalize(expr.expr) };
    default: {
      const { position: _position, ...rest } = expr;
      return rest;
    }
  }
}

/** Bits of filter syntax, valid and not, to glue into hostile inputs. */
export const SOUP = [
  "metrics.", "params.", "tags.", "attr.", "metric", "loss", "status", "created", "name", "`", "`a b`", '"', "'",
  "\\", '"x"', "'y'", "(", ")", ",", " and ", " or ", " not ", "not", " ", "=", "==", "!=", "<>", "<", "<=", ">",
  ">=", "!", " in ", " is ", " null", " like ", " ilike ", "1", "-", "-1", ".", "0.5", "1e3", "e", "true", "\n",
  '"running"', '"2024-05-01"', "é", "\u0000", "💥", "&&", "||", "x",
];
export const soupArb = fc.array(fc.constantFrom(...SOUP), { maxLength: 40 }).map((parts) => parts.join(""));

/** Whole terms and connectors in random order: a fair share of these parse. */
const TERMS = [
  "metrics.a > 1", "metric.`b c` <= -2.5e3", "params.lr == '0.1'", 'tags.team <> "fraud"', 'status IN ("failed", "Crashed")',
  'name not like "x%"', "ended is not null", "attr.parent IS NULL", 'created > "2024-05-01"', "params.n not in (1, true)",
  'metrics.x = "nan"', "tags.`k` ilike '%a\\'b%'",
];
export const termSoupArb = fc
  .array(fc.constantFrom(...TERMS, " and ", " or ", " AND ", " Or ", "not ", "(", ")", " "), { minLength: 1, maxLength: 12 })
  .map((parts) => parts.join(""));
