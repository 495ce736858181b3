/** Turns a lexed field reference (`metrics.loss`, `status`, `attr.name`) into a FieldRef. */
import { FilterSyntaxError, RUN_ATTRIBUTES, type FieldRef, type RunAttribute } from "./ast.js";
import type { Token } from "./lexer.js";
import { KEY_PATTERN, MAX_KEY_LENGTH } from "../schemas/common.js";

type FieldKind = FieldRef["kind"];

/** Prefixes, lower-cased: plural and singular forms, and the attribute spellings. */
const PREFIXES: ReadonlyMap<string, FieldKind> = new Map<string, FieldKind>([
  ["metrics", "metric"],
  ["metric", "metric"],
  ["params", "param"],
  ["param", "param"],
  ["tags", "tag"],
  ["tag", "tag"],
  ["attributes", "attribute"],
  ["attribute", "attribute"],
  ["attr", "attribute"],
]);

const ATTRIBUTE_LIST = RUN_ATTRIBUTES.join(", ");

export function asAttribute(name: string): RunAttribute | undefined {
  const lower = name.toLowerCase();
  return (RUN_ATTRIBUTES as readonly string[]).includes(lower) ? (lower as RunAttribute) : undefined;
}

/** Words that can never be a field: seeing one where a field is expected gets a different message. */
export const KEYWORDS: ReadonlySet<string> = new Set([
  "and", "or", "not", "like", "ilike", "in", "is", "null", "true", "false", "asc", "desc",
]);

/** Resolves a `field` token or a bare `word` token; throws FilterSyntaxError when it names no field. */
export function resolveField(tok: Extract<Token, { kind: "field" | "word" }>): FieldRef {
  if (tok.kind === "word") {
    const name = asAttribute(tok.text);
    if (name) return { kind: "attribute", name };
    const k = tok.text;
    throw new FilterSyntaxError(
      `unknown field "${k}" (use metrics.${k}, params.${k}, tags.${k} or an attribute: ${ATTRIBUTE_LIST})`,
      tok.pos,
    );
  }
  const kind = PREFIXES.get(tok.prefix.toLowerCase());
  if (kind === undefined) {
    throw new FilterSyntaxError(
      `unknown field prefix "${tok.prefix}" (use metrics., params., tags. or an attribute: ${ATTRIBUTE_LIST})`,
      tok.pos,
    );
  }
  if (kind === "attribute") {
    const name = asAttribute(tok.key);
    if (name) return { kind, name };
    throw new FilterSyntaxError(`unknown attribute "${tok.key}" (attributes are: ${ATTRIBUTE_LIST})`, tok.keyPos);
  }
  checkKey(tok.key, tok.keyPos);
  return { kind, key: tok.key };
}

function checkKey(key: string, pos: number): void {
  if (key.length === 0) throw new FilterSyntaxError("a key must not be empty", pos);
  if (key.length > MAX_KEY_LENGTH) {
    throw new FilterSyntaxError(`a key must be at most ${MAX_KEY_LENGTH} characters (this one has ${key.length})`, pos);
  }
  if (!KEY_PATTERN.test(key)) {
    throw new FilterSyntaxError(
      `key "${key.length > 60 ? `${key.slice(0, 60)}…` : key}" may contain only letters, digits, spaces and _ - . / :`,
      pos,
    );
  }
}

/** How a field's values are checked (see validate.ts). */
export type ValueKind = "number" | "status" | "date" | "text" | "any";

export function valueKind(field: FieldRef): ValueKind {
  switch (field.kind) {
    case "metric":
      return "number";
    case "param":
    case "tag":
      return "any";
    case "attribute":
      if (field.name === "status") return "status";
      if (field.name === "created" || field.name === "started" || field.name === "ended") return "date";
      return "text";
  }
}
