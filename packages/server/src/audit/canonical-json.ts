/**
 * JSON a hash can be taken of: object keys sorted by UTF-16 code units (what `sort()` does,
 * and what RFC 8785 prescribes), no whitespace, scalars as `JSON.stringify` writes them.
 * PostgreSQL's jsonb re-orders keys, so hashing the canonical form is what lets a row read
 * back from the database hash to the same value as the object that was written.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    // JSON.stringify of undefined/functions is undefined; in a canonical document that is null.
    return JSON.stringify(value) ?? "null";
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const obj = value as Record<string, unknown>;
  let out = "";
  for (const key of Object.keys(obj).sort()) {
    const v = obj[key];
    if (v === undefined || typeof v === "function") continue; // as JSON.stringify does
    out += `${out === "" ? "" : ","}${JSON.stringify(key)}:${canonicalJson(v)}`;
  }
  return `{${out}}`;
}

/**
 * What jsonb will hand back for `value`: a plain JSON value with every string storable.
 * PostgreSQL text and jsonb refuse NUL and unpaired surrogates, so they are replaced by
 * U+FFFD here rather than failing the caller's transaction; `undefined`, functions, NaN
 * and Infinity become what JSON.stringify makes of them, Dates their ISO string (toJSON),
 * and bigints decimal strings.
 */
export function toStorableJson(value: unknown): JsonValue {
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  if (text === undefined) return null;
  return clean(JSON.parse(text) as JsonValue);
}

/** Makes a string storable in PostgreSQL text/jsonb (no NUL, no lone surrogates). */
export function storableString(s: string): string {
  return s.replace(UNSTORABLE, "\uFFFD");
}

// NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function clean(v: JsonValue): JsonValue {
  if (typeof v === "string") return storableString(v);
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(clean);
  // fromEntries defines own properties, so a "__proto__" key stays data, not a prototype.
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [storableString(k), clean(x)]));
}
