import fc from "fast-check";

/**
 * fast-check arbitraries for fuzzing the HTTP API from its OpenAPI document: a small
 * JSON-Schema → arbitrary generator that yields valid-ish values (types, enums, bounds and
 * patterns respected loosely) and mutations of them (wrong types, missing required fields,
 * extra fields, arrays where objects belong, boundary violations), plus hostile strings,
 * numbers and structures for every slot.
 */

export type JsonSchema = { [k: string]: any };
export type OpenApiDoc = {
  paths: Record<string, Record<string, JsonSchema>>;
  components?: { schemas?: Record<string, JsonSchema> };
};

/** JSON text written verbatim (1e400, -0, 1.0, 200 levels of nesting, a real `__proto__` key…), which JSON.stringify cannot express. */
export class RawJson {
  constructor(readonly text: string) {}
  toString(): string {
    return `RawJson(${this.text.length > 80 ? `${this.text.slice(0, 80)}…(${this.text.length} chars)` : this.text})`;
  }
}

/** URL text sent verbatim, not percent-encoded (malformed escapes, `..` segments). */
export class RawUrl {
  constructor(readonly text: string) {}
  toString(): string {
    return `RawUrl(${this.text})`;
  }
}

/** JSON.stringify that also writes RawJson verbatim and keeps own `__proto__` keys. */
export function toJsonText(v: unknown): string {
  if (v instanceof RawJson) return v.text;
  if (v === undefined) return "null";
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) return `[${v.map(toJsonText).join(",")}]`;
  return `{${Object.keys(v)
    .map((k) => `${JSON.stringify(k)}:${toJsonText((v as Record<string, unknown>)[k])}`)
    .join(",")}}`;
}

/** A plain object built with defineProperty, so `__proto__` and friends become own keys. */
export function makeObject(entries: Array<[string, unknown]>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

/** Percent-encodes every byte of the UTF-8 form except unreserved characters (lone surrogates become U+FFFD). */
export function encodeComponent(s: string): string {
  let out = "";
  for (const b of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9_.~-]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

export const urlPart = (v: string | RawUrl): string => (v instanceof RawUrl ? v.text : encodeComponent(v));

const deepArrays = (n: number) => new RawJson("[".repeat(n) + "]".repeat(n));
const deepObjects = (n: number) => new RawJson('{"a":'.repeat(n) + "1" + "}".repeat(n));

export const HOSTILE_STRINGS: readonly string[] = [
  "", " ", "\t\n\r", "'", '"', "\\", "`", ";", "--", "/*", "*/",
  // SQL injection
  "'; drop table runs; --", '"; drop table runs; --', "1' or '1'='1", "1 or 1=1", "') or ('a'='a", "x'||pg_sleep(2)||'",
  "$1", "$$; drop table projects; $$", "E'\\x00'", "x::uuid", "1::int8", "%' and 1=1 --", "\\'; select 1; --",
  // filter-language injection
  "metrics.x > 1 or 1=1", "metrics.loss > 0 or true", "params.lr = 'x' or 1=1 --", 'tags."a" = 1', "metrics.`x` < -1", "((((((((((", "))))",
  'name like "%"', "created > 1e300", "metrics.loss = NaN", "params.x = Infinity", 'id = "../"', "metrics.loss sideways", "name desc desc",
  // paths
  "../../etc/passwd", "..\\..\\windows\\win.ini", "%2e%2e%2f%2e%2e%2f", "..%2f..%2f", "/", "//", ".", "..", "~", "file:///etc/passwd", "http://169.254.169.254/latest",
  // control characters and Unicode
  "\u0000", "a\u0000b", "%00", "\u0001\u001f\u007f", "\ufeff", "\ufffe\uffff", "\u202e\u202d", "\u200f\u200e\u200b", "\u2028\u2029", "\u0085",
  "\ud800", "\udfff", "a\ud800b", "\udc00\ud800", "😀", "👨‍👩‍👧‍👦", "e\u0301\u0301\u0301", "ǅßİı", "Ａｄｍｉｎ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "مرحبا", "中文",
  // numbers-as-strings and JS specials
  "NaN", "Infinity", "-Infinity", "1e308", "1e400", "-0", "0x10", "1_000", " 1 ", "9007199254740993", "-1", "true", "null", "undefined", "[]", "{}", "*",
  "__proto__", "constructor", "prototype", "hasOwnProperty", "toString",
  // template and markup
  "$" + "{jndi:ldap://x/a}", "{{7*7}}", "%s%s%s%n", "<script>alert(1)</script>", "javascript:alert(1)",
  // UUID-shaped
  "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff", "------------------------------------", "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz",
  "cairn_", "Bearer x",
];

/** Long strings: one per length class, built once. */
const LONG_STRINGS: readonly string[] = [
  "x".repeat(100_000), "😀".repeat(30_000), "\u0000".repeat(1000), "\ud800".repeat(1000), "a".repeat(101), "a".repeat(251), "a".repeat(5001), "a".repeat(10_001),
];

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...HOSTILE_STRINGS), weight: 8 },
  { arbitrary: fc.constantFrom(...LONG_STRINGS), weight: 1 },
  { arbitrary: fc.string({ unit: "binary", maxLength: 20 }), weight: 1 },
  { arbitrary: fc.tuple(fc.constantFrom(...HOSTILE_STRINGS), fc.constantFrom(...HOSTILE_STRINGS)).map(([a, b]) => a + b), weight: 1 },
);

export const hostileNumber: fc.Arbitrary<number | RawJson> = fc.constantFrom<number | RawJson>(
  1e308, -1e308, Number.MAX_VALUE, Number.MIN_VALUE, -Number.MIN_VALUE, 2 ** 53, 2 ** 53 + 2, -(2 ** 53) - 2, 2 ** 63, -(2 ** 63), 2 ** 31, 2 ** 32,
  -1, -0, 0.5, -0.5, 1.5, 8_640_000_000_000_001, 1e21, 1e-7,
  new RawJson("1e400"), new RawJson("-1e400"), new RawJson("1e-400"), new RawJson("-0"), new RawJson("-0.0"), new RawJson("1.0"), new RawJson("1E2"),
  new RawJson("123456789012345678901234567890"), new RawJson("9007199254740993"), new RawJson("0.30000000000000004"),
);

export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("__proto__", "constructor", "prototype", "", " ", "$where", "a'b", "a\"b", "a.b", "a\u0000b", "\ud800", "😀", "x".repeat(1000), "id", "projectId", "role", "admin"),
  fc.string({ minLength: 1, maxLength: 10 }),
);

/** Whole values that are wrong almost anywhere: other types, deep nesting, prototype tricks. */
export const hostileStructure: fc.Arbitrary<unknown> = fc.constantFrom<unknown>(
  null, true, false, 0, [], {}, [null], [[]], [{}], makeObject([["", ""]]),
  deepArrays(31), deepArrays(33), deepArrays(200), deepObjects(33), deepObjects(200),
  new RawJson('{"__proto__":{"polluted":true,"role":"admin"}}'), new RawJson('{"constructor":{"prototype":{"polluted":true}}}'),
  new RawJson(`[${Array(10_001).fill("0").join(",")}]`), new RawJson('{"a":1,"a":2}'),
);

export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: hostileString, weight: 4 },
  { arbitrary: hostileNumber, weight: 2 },
  { arbitrary: hostileStructure, weight: 2 },
);

/** Raw URL tokens: malformed escapes, encoded traversal, separators. */
export const hostileUrlToken: fc.Arbitrary<RawUrl> = fc
  .constantFrom(
    "%", "%2", "%zz", "%ff", "%ED%A0%80", "%C0%AF", "%C0%AE%C0%AE%2F", "%00", "%25%32%65", "%2e%2e", "%2e%2e%2f%2e%2e%2f", "..%2f", "%2F", "%5C",
    "..", ".", "../..", "..;", ";x", "a;b=c", "+", "a%20b+c", "&&", "==", "=", "~", "*", "'", "(", ")", "!", "$", ",", "@", ":",
  )
  .map((t) => new RawUrl(t));

// ---------------------------------------------------------------------------
// JSON Schema → arbitraries

export interface SchemaContext {
  doc: OpenApiDoc;
  /** Values to try for a property of this name (fixtures: a real run id, project name…). */
  hints?: Record<string, fc.Arbitrary<unknown>>;
  /** Cross-field rules a JSON Schema cannot say (equal array lengths…), applied to each generated valid object. */
  fixObject?: (o: Record<string, unknown>) => Record<string, unknown>;
}

export function resolve(schema: JsonSchema | undefined, doc: OpenApiDoc): JsonSchema {
  let s: JsonSchema = schema ?? {};
  for (let i = 0; i < 20 && typeof s.$ref === "string"; i++) {
    const name = (s.$ref as string).replace(/^#\/components\/schemas\//, "");
    s = doc.components?.schemas?.[name] ?? {};
  }
  return s;
}

const typesOf = (s: JsonSchema): string[] => (Array.isArray(s.type) ? s.type : typeof s.type === "string" ? [s.type] : []);

function safeRegExp(pattern: unknown): RegExp | undefined {
  if (typeof pattern !== "string") return undefined;
  try {
    return new RegExp(pattern);
  } catch {
    return undefined;
  }
}

const TIME_NAMES = /^(startedAt|endedAt|expiresAt|timestamp|timestamps|createdAt|at|since|until|from|to)$/;

/** Values that satisfy the schema, loosely (patterns and bounds respected where cheap). */
export function validArb(schemaIn: JsonSchema | undefined, ctx: SchemaContext, name?: string, depth = 0): fc.Arbitrary<unknown> {
  const schema = resolve(schemaIn, ctx.doc);
  const hint = name !== undefined ? ctx.hints?.[name] : undefined;
  const own = validOwn(schema, ctx, name, depth);
  return hint ? fc.oneof({ arbitrary: hint, weight: 4 }, { arbitrary: own, weight: 1 }) : own;
}

function validOwn(schema: JsonSchema, ctx: SchemaContext, name: string | undefined, depth: number): fc.Arbitrary<unknown> {
  if (depth > 12) return fc.constant(null);
  if ("const" in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return fc.constantFrom(...(schema.enum as unknown[]));
  const branches = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(branches) && branches.length > 0) return fc.oneof(...branches.map((b) => validArb(b, ctx, name, depth + 1)));
  if (Array.isArray(schema.allOf) && schema.allOf.length > 0) return validArb(schema.allOf[0], ctx, name, depth + 1);
  const types = typesOf(schema);
  if (types.length > 1) return fc.oneof(...types.map((t) => validOwn({ ...schema, type: t }, ctx, name, depth)));
  const type = types[0] ?? (schema.properties ? "object" : schema.items ? "array" : undefined);
  switch (type) {
    case "string": {
      const min = typeof schema.minLength === "number" ? schema.minLength : 0;
      const max = typeof schema.maxLength === "number" ? schema.maxLength : 10_000;
      const re = safeRegExp(schema.pattern);
      const base = re
        ? // Room for the longest fixed repetition (`[0-9a-f]{64}`): fast-check refuses a maxLength below it.
          fc.stringMatching(re, { maxLength: Math.min(max, Math.max(40, ...[...String(schema.pattern).matchAll(/\{(\d+)/g)].map((m) => Number(m[1]) + 10))) })
        : fc.oneof(
            { arbitrary: fc.string({ minLength: min, maxLength: Math.min(max, Math.max(min, 24)), unit: "grapheme" }), weight: 4 },
            { arbitrary: fc.string({ minLength: min, maxLength: Math.min(max, Math.max(min, 24)), unit: "binary" }), weight: 1 },
            { arbitrary: fc.constant("x".repeat(Math.min(max, 100_000))), weight: 1 },
          );
      return base.map((s) => (s.length > max ? s.slice(0, max) : s)).filter((s) => s.length >= min && (!re || re.test(s)));
    }
    case "integer": {
      const lo = typeof schema.minimum === "number" ? schema.minimum : typeof schema.exclusiveMinimum === "number" ? schema.exclusiveMinimum + 1 : -1_000_000;
      const hi = typeof schema.maximum === "number" ? schema.maximum : typeof schema.exclusiveMaximum === "number" ? schema.exclusiveMaximum - 1 : Number.MAX_SAFE_INTEGER;
      const small = fc.integer({ min: Math.max(lo, -1_000_000), max: Math.min(hi, Math.max(lo, -1_000_000) + 2_000_000) });
      const parts: Array<fc.Arbitrary<number>> = [small, fc.constantFrom(lo, hi)];
      if (name && TIME_NAMES.test(name)) parts.push(fc.integer({ min: -86_400_000 * 30, max: 86_400_000 * 365 }).map((d) => Math.min(hi, Math.max(lo, Date.now() + d))));
      return fc.oneof(...parts);
    }
    case "number": {
      const lo = typeof schema.minimum === "number" ? schema.minimum : undefined;
      const hi = typeof schema.maximum === "number" ? schema.maximum : undefined;
      return fc.oneof(
        fc.double({ noNaN: true, noDefaultInfinity: true, ...(lo !== undefined ? { min: lo } : {}), ...(hi !== undefined ? { max: hi } : {}) }),
        fc.integer({ min: Math.max(lo ?? -1000, -1000), max: Math.min(hi ?? 1000, 1000) }),
      );
    }
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    case "array": {
      const min = typeof schema.minItems === "number" ? schema.minItems : 0;
      const max = typeof schema.maxItems === "number" ? schema.maxItems : 1_000_000;
      const item = validArb(schema.items, ctx, name, depth + 1);
      return fc.array(item, { minLength: min, maxLength: Math.max(min, Math.min(max, min + 6)) });
    }
    case "object":
    case undefined: {
      const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const required = new Set<string>((schema.required as string[] | undefined) ?? []);
      const fixed = Object.entries(props).map(([k, s]) => {
        const v = validArb(s, ctx, k, depth + 1);
        return required.has(k) ? v.map((x) => [[k, x]] as Array<[string, unknown]>) : fc.option(v, { nil: undefined, freq: 2 }).map((x) => (x === undefined ? [] : [[k, x]]) as Array<[string, unknown]>);
      });
      const addl = schema.additionalProperties;
      // Dictionary keys: from propertyNames when the document has it, else plain names mostly.
      const keyArb = schema.propertyNames
        ? validArb(schema.propertyNames, ctx, undefined, depth + 1).map(String)
        : fc.oneof(
            { arbitrary: fc.constantFrom("lr", "team", "a.b", "x_y", "loss", "optimizer", "batch-size", "a:b/c d"), weight: 6 },
            { arbitrary: fc.string({ minLength: 1, maxLength: 12 }), weight: 1 },
          );
      const extra =
        addl && typeof addl === "object"
          ? fc.array(fc.tuple(keyArb, validArb(addl, ctx, undefined, depth + 1)), { maxLength: 4 })
          : fc.constant([] as Array<[string, unknown]>);
      if (type === undefined && !schema.properties && !addl) return fc.constant({});
      const fix = ctx.fixObject ?? ((o: Record<string, unknown>) => o);
      return fc.tuple(fc.tuple(...fixed), extra).map(([parts, more]) => fix(makeObject([...parts.flat(), ...more])));
    }
    default:
      return fc.constant({});
  }
}

/** Values just outside the schema: boundaries, wrong type of the same meaning, enum near-misses. */
export function boundaryArb(schemaIn: JsonSchema | undefined, ctx: SchemaContext, name?: string, depth = 0): fc.Arbitrary<unknown> {
  const schema = resolve(schemaIn, ctx.doc);
  const out: Array<fc.Arbitrary<unknown>> = [hostileValue];
  if (Array.isArray(schema.enum)) out.push(fc.constantFrom<unknown>(...schema.enum.map((e: unknown) => (typeof e === "string" ? `${e.toUpperCase()}` : e)), "not-in-enum", "", " running"));
  const types = typesOf(schema);
  if (types.includes("string")) {
    if (typeof schema.maxLength === "number") out.push(fc.constant("a".repeat(schema.maxLength + 1)));
    if (typeof schema.minLength === "number" && schema.minLength > 0) out.push(fc.constant(""));
    if (schema.pattern) out.push(fc.constantFrom("-leading-dash", "has space", "a/b", "a\u0000", "ü", ".", "_x"));
    out.push(fc.constantFrom(1, true, null, ["x"], { x: "y" }));
  }
  if (types.includes("integer") || types.includes("number")) {
    const lo = schema.minimum;
    const hi = schema.maximum;
    if (typeof lo === "number") out.push(fc.constantFrom(lo - 1, lo - 0.5));
    if (typeof hi === "number") out.push(fc.constantFrom(hi + 1, hi + 0.5, new RawJson(`${hi}1`)));
    if (types.includes("integer")) out.push(fc.constantFrom(0.5, 1.000001, 1e21));
    out.push(fc.constantFrom<unknown>("1", "NaN", "Infinity", new RawJson("1e400"), true, null, [1], { n: 1 }));
  }
  if (types.includes("boolean")) out.push(fc.constantFrom<unknown>("true", 1, 0, null));
  if (types.includes("array") || schema.items) {
    const item = validArb(schema.items, ctx, name, depth + 1);
    if (typeof schema.minItems === "number" && schema.minItems > 0) out.push(fc.constant([]));
    if (typeof schema.maxItems === "number" && schema.maxItems <= 20_000) out.push(item.map((x) => Array(schema.maxItems + 1).fill(x)));
    if (typeof schema.maxItems === "number" && schema.maxItems <= 1_000) out.push(item.map((x) => Array(schema.maxItems).fill(x)));
    out.push(item.map((x) => ({ 0: x })));
  }
  if (types.includes("object") || schema.properties) {
    const valid = validArb(schema, ctx, name, depth + 1);
    out.push(valid.map((v) => [v])); // array where an object is expected
    out.push(valid.map((v) => JSON.stringify(v))); // object as a JSON string
    for (const req of (schema.required as string[] | undefined) ?? []) {
      out.push(valid.map((v) => makeObject(Object.entries((v ?? {}) as object).filter(([k]) => k !== req))));
    }
    // Past the depth limit validArb gives null: such a deep object is then just the hostile key.
    out.push(fc.tuple(valid, hostileKey, hostileValue).map(([v, k, x]) => makeObject([...Object.entries((v ?? {}) as object), [k, x]])));
  }
  return fc.oneof(...out);
}

/** Valid-ish, with each node replaced by a boundary violation now and then. */
export function looseArb(schemaIn: JsonSchema | undefined, ctx: SchemaContext, name?: string, depth = 0, rate = 8): fc.Arbitrary<unknown> {
  const schema = resolve(schemaIn, ctx.doc);
  if (depth > 10) return hostileValue;
  const types = typesOf(schema);
  let inner: fc.Arbitrary<unknown>;
  if ((types.includes("object") || schema.properties) && !schema.anyOf) {
    const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set<string>((schema.required as string[] | undefined) ?? []);
    const fixed = Object.entries(props).map(([k, s]) => {
      const v = looseArb(s, ctx, k, depth + 1, rate);
      return required.has(k) ? v.map((x) => [[k, x]] as Array<[string, unknown]>) : fc.option(v, { nil: undefined }).map((x) => (x === undefined ? [] : [[k, x]]) as Array<[string, unknown]>);
    });
    const addl = schema.additionalProperties;
    const extra =
      addl && typeof addl === "object"
        ? fc.array(fc.tuple(fc.oneof(hostileKey, fc.string({ maxLength: 8 })), looseArb(addl, ctx, undefined, depth + 1, rate)), { maxLength: 4 })
        : fc.constant([] as Array<[string, unknown]>);
    inner = fc.tuple(fc.tuple(...fixed), extra).map(([parts, more]) => makeObject([...parts.flat(), ...more]));
  } else if ((types.includes("array") || schema.items) && !schema.anyOf) {
    const min = typeof schema.minItems === "number" ? schema.minItems : 0;
    inner = fc.array(looseArb(schema.items, ctx, name, depth + 1, rate), { minLength: min, maxLength: min + 5 });
  } else if (Array.isArray(schema.anyOf ?? schema.oneOf)) {
    inner = fc.oneof(...((schema.anyOf ?? schema.oneOf) as JsonSchema[]).map((b) => looseArb(b, ctx, name, depth + 1, rate)));
  } else {
    inner = validArb(schema, ctx, name, depth);
  }
  return fc.oneof({ arbitrary: inner, weight: rate }, { arbitrary: boundaryArb(schema, ctx, name, depth), weight: 1 });
}

// ---------------------------------------------------------------------------
// Tree mutations, schema-agnostic: applied to a valid value.

type Mutation = { at: number; op: "replace" | "delete" | "extra" | "wrap" | "stringify" | "swap"; value: unknown; key: string };

const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat({ max: 1000 }),
  op: fc.constantFrom("replace", "replace", "delete", "extra", "wrap", "stringify", "swap"),
  value: hostileValue,
  key: hostileKey,
});

function nodesOf(v: unknown, path: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  out.push(path);
  if (Array.isArray(v)) v.forEach((x, i) => nodesOf(x, [...path, i], out));
  else if (v && typeof v === "object" && !(v instanceof RawJson)) for (const k of Object.keys(v)) nodesOf((v as Record<string, unknown>)[k], [...path, k], out);
  return out;
}

function clone(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clone);
  if (v && typeof v === "object" && !(v instanceof RawJson)) return makeObject(Object.entries(v).map(([k, x]) => [k, clone(x)]));
  return v;
}

function swapType(v: unknown): unknown {
  if (typeof v === "number") return String(v);
  if (typeof v === "string") return Number.isNaN(Number(v)) ? 0 : Number(v);
  if (typeof v === "boolean") return v ? "true" : 0;
  if (v === null || v === undefined) return "null";
  if (v instanceof RawJson) return v.text;
  if (Array.isArray(v)) return makeObject(v.map((x, i) => [String(i), x]));
  return Object.values(v as object);
}

export function applyMutation(root: unknown, m: Mutation): unknown {
  const nodes = nodesOf(root);
  const path = nodes[m.at % nodes.length]!;
  const copy = clone(root);
  if (path.length === 0) {
    if (m.op === "wrap") return [copy];
    if (m.op === "stringify") return toJsonText(copy);
    if (m.op === "swap") return swapType(copy);
    if (m.op === "extra" && copy && typeof copy === "object" && !Array.isArray(copy)) return makeObject([...Object.entries(copy), [m.key, m.value]]);
    return m.op === "delete" ? undefined : m.value;
  }
  let parent = copy as Record<string | number, unknown>;
  for (const p of path.slice(0, -1)) parent = parent[p] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  const node = parent[last];
  switch (m.op) {
    case "delete":
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
      break;
    case "extra":
      if (node && typeof node === "object" && !Array.isArray(node) && !(node instanceof RawJson)) Object.defineProperty(node, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
      else if (!Array.isArray(parent)) Object.defineProperty(parent, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
      else parent.push(m.value);
      break;
    case "wrap":
      parent[last] = [node];
      break;
    case "stringify":
      parent[last] = toJsonText(node);
      break;
    case "swap":
      parent[last] = swapType(node);
      break;
    default:
      parent[last] = m.value;
  }
  return copy;
}

/**
 * Request bodies for a schema: valid ones (which may store data: the point is that the
 * server keeps answering), valid ones with one to three mutations, boundary violations
 * sprinkled through the tree, and wholly hostile values.
 */
export function bodyArb(schema: JsonSchema | undefined, ctx: SchemaContext): fc.Arbitrary<unknown> {
  const valid = validArb(schema, ctx);
  return fc.oneof(
    { arbitrary: valid, weight: 3 },
    { arbitrary: fc.tuple(valid, fc.array(mutationArb, { minLength: 1, maxLength: 3 })).map(([v, ms]) => ms.reduce((acc, m) => applyMutation(acc, m), v)), weight: 3 },
    { arbitrary: looseArb(schema, ctx), weight: 2 },
    { arbitrary: hostileValue, weight: 1 },
  );
}

// ---------------------------------------------------------------------------
// Query-string specials

const FILTER_FIELDS = [
  "metrics.loss", "metrics.acc", "metrics.missing", "metrics.\"a b\"", "params.lr", "params.optimizer", "params.__proto__", "tags.team", "tags.\"x.y\"",
  "name", "status", "notes", "created", "started", "ended", "id", "parent", "attributes.status", "metrics.", "params", "foo.bar", "metrics.loss.x",
];
const FILTER_OPS = ["=", "!=", "<", ">", "<=", ">=", "like", "ilike", "not like", "not ilike", "==", "<>", "~", "in", "not in", "is", "is not"];
const FILTER_VALUES = [
  "1", "0", "-1", "0.5", "1e300", "-1e300", "1e400", "-1e400", "NaN", "Infinity", "-Infinity", "8.64e15", "8640000000000001", "9007199254740993",
  '"adam"', '"%"', '"_"', '"\\\\"', "'single'", '"unterminated', '"2024-01-01"', '"0000-00-00"', '"+275760-09-13T00:00:00.001Z"', '"-271821-04-20"', '"now"',
  "true", "false", "null", '("a", "b")', "()", '("a",)', "(1, 2, 3)", '"00000000-0000-0000-0000-000000000000"', '"ZZZ"', '"\u0000"', '"\ud800"', '"😀"',
];

/** Well-formed filters over the fixtures' params, tags and metrics. */
export const VALID_FILTERS: readonly string[] = [
  "metrics.loss > 0.5", "metrics.acc <= 1", 'params.optimizer = "adam"', "params.lr = 0.01", "params.lr in (0.01, 0.1)", 'tags.team = "fraud"', 'tags.team != "ads"',
  'status = "running"', 'name like "fuzz%"', "metrics.acc is null", "metrics.loss is not null", 'created > "2000-01-01"', "not (metrics.loss < 0)",
  '(tags.team = "fraud" or metrics.acc >= 0.5) and params.lr < 1', 'notes ilike "%"', "params.warm = true",
];
export const VALID_ORDERS: readonly string[] = ["metrics.loss desc", "metrics.acc asc", "params.lr asc", "params.optimizer desc", "tags.team asc", "name", "name desc", "created asc", "started desc", "ended asc", "status asc"];

const filterAtom: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.tuple(fc.constantFrom(...FILTER_FIELDS), fc.constantFrom(...FILTER_OPS), fc.oneof(fc.constantFrom(...FILTER_VALUES), hostileString)).map(([f, o, v]) => `${f} ${o} ${v}`), weight: 6 },
  { arbitrary: fc.constantFrom(...FILTER_FIELDS).map((f) => `${f} is null`), weight: 1 },
  { arbitrary: fc.constantFrom(...FILTER_FIELDS).map((f) => `${f} is not null`), weight: 1 },
  { arbitrary: hostileString, weight: 1 },
);

export const filterArb: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...VALID_FILTERS), weight: 4 },
  { arbitrary: filterAtom, weight: 3 },
  {
    arbitrary: fc.tuple(filterAtom, fc.constantFrom(" and ", " or ", " and not ", " AND ", " Or ", " && "), filterAtom, fc.boolean()).map(([a, j, b, paren]) => (paren ? `(${a})${j}(${b})` : `${a}${j}${b}`)),
    weight: 2,
  },
  { arbitrary: fc.nat({ max: 300 }).map((n) => `${"(".repeat(n)}name = "x"${")".repeat(n)}`), weight: 1 },
  { arbitrary: fc.nat({ max: 300 }).map((n) => `${"not ".repeat(n)}name = "x"`), weight: 1 },
  { arbitrary: fc.nat({ max: 500 }).map((n) => Array(n + 1).fill('name = "x"').join(" or ")), weight: 1 },
);

export const orderByArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...VALID_ORDERS),
  fc.tuple(fc.constantFrom(...FILTER_FIELDS), fc.constantFrom("", " asc", " desc", " ASC", " sideways", " asc desc", ", name")).map(([f, d]) => f + d),
  hostileString,
);

/** Cursors: base64url JSON, shaped like the server's (id/v/name/seq) with hostile contents, or not base64 at all. */
export const cursorArb: fc.Arbitrary<string> = fc.oneof(
  {
    arbitrary: fc
      .tuple(
        fc.option(fc.oneof(fc.uuid(), fc.constantFrom("------------------------------------", "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz", "0".repeat(36), "x", ""), hostileValue), { nil: undefined }),
        fc.option(fc.oneof(fc.constantFrom<unknown>(null, "2024-01-01T00:00:00Z", "not a time", "1e400", "NaN", "{}", "0.5", '"x"', "abc"), hostileValue), { nil: undefined }),
        fc.option(fc.oneof(fc.string(), hostileValue), { nil: undefined }),
        fc.option(fc.oneof(fc.integer(), hostileNumber, fc.constantFrom<unknown>(2 ** 53 - 1, -(2 ** 53) + 1, "1", null)), { nil: undefined }),
      )
      .map(([id, v, name, seq]) => {
        const entries: Array<[string, unknown]> = [];
        if (id !== undefined) entries.push(["id", id]);
        if (v !== undefined) entries.push(["v", v]);
        if (name !== undefined) entries.push(["name", name]);
        if (seq !== undefined) entries.push(["seq", seq]);
        return Buffer.from(toJsonText(makeObject(entries)), "utf8").toString("base64url");
      }),
    weight: 4,
  },
  { arbitrary: hostileValue.map((v) => Buffer.from(toJsonText(v), "utf8").toString("base64url")), weight: 1 },
  { arbitrary: hostileString, weight: 1 },
  { arbitrary: fc.constantFrom("!!!!", "====", "e30", "bnVsbA", "W10", "IiI", "_-_-", "a".repeat(2001)), weight: 1 },
);

export const dateTimeArb: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2100-01-01T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString()), weight: 4 },
  fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.constantFrom(
    "2024-01-01T00:00:00Z", "2024-01-01", "2024-13-45T25:61:61Z", "0000-00-00T00:00:00Z", "+275760-09-13T00:00:00.000Z", "+275760-09-13T00:00:00.001Z",
    "-271821-04-20T00:00:00Z", "-271821-04-19T23:59:59Z", "1e300", "now", "yesterday", "2024-01-01T00:00:00+99:99", "2024-01-01T00:00:00.123456789Z",
    "1700000000000", "-1", "0", "T", "Z", "2024-02-30T00:00:00Z",
  ),
  hostileString,
);
