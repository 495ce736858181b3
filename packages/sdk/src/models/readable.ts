const MAX_TEXT = 500;

/**
 * A value as a person reads it in a check report: JSON for JSON values (so `"1"` and `1`
 * stay apart), with the values JSON cannot say spelled out (NaN, Infinity, undefined,
 * bigint, typed arrays, dates), cut at 500 characters.
 */
export function readable(value: unknown): string {
  let text: string;
  try {
    text = write(value, new Set());
  } catch {
    text = String(value);
  }
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}

function write(v: unknown, seen: Set<object>): string {
  if (v === undefined) return "undefined";
  if (typeof v === "number") return Number.isFinite(v) ? JSON.stringify(v) : String(v);
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "function") return `[function ${v.name || "anonymous"}]`;
  if (typeof v === "symbol") return v.toString();
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? "Invalid Date" : JSON.stringify(v.toISOString());
  if (seen.has(v)) return "[circular]";
  seen.add(v);
  try {
    if (Array.isArray(v) || ArrayBuffer.isView(v)) return `[${Array.from(v as unknown as ArrayLike<unknown>, (x) => write(x, seen)).join(",")}]`;
    if (v instanceof Map) return `Map{${[...v].map(([k, x]) => `${write(k, seen)}:${write(x, seen)}`).join(",")}}`;
    if (v instanceof Set) return `Set[${[...v].map((x) => write(x, seen)).join(",")}]`;
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${write((v as Record<string, unknown>)[k], seen)}`)
      .join(",")}}`;
  } finally {
    seen.delete(v);
  }
}
