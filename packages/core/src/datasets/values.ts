/**
 * How raw values become typed values. A column has one storage kind; CSV text is
 * parsed per the kind ("1.5" → 1.5, "" → missing, "true" → true, ISO 8601 → epoch ms).
 */

/** The representation a column's values are stored and digested in. */
export type ValueKind = "number" | "datetime" | "boolean" | "string";

export const isMissing = (v: unknown): boolean => v === null || v === undefined || v === "";

const isDigit = (c: number) => c >= 48 && c <= 57;

/**
 * Strict decimal grammar: `[+-]digits[.digits][e[+-]digits]` (also `.5`, `5.`), plus
 * nan / inf / infinity in any case. Anything else (spaces, hex, "1,5") is not a number,
 * so a column holding it is not numerical.
 */
export function parseNumber(s: string): number | undefined {
  const n = s.length;
  let i = 0;
  let c = s.charCodeAt(0);
  const negative = c === 45;
  if (c === 43 || c === 45) c = s.charCodeAt(++i);
  let digits = 0;
  // Mantissa as an exact integer while it has ≤ 15 digits: then m / 10^k (k ≤ 22) is one
  // correctly rounded division, the same double as Number(s) (Clinger's fast path).
  let mantissa = 0;
  let scale = 0;
  while (i < n && isDigit(c)) {
    mantissa = mantissa * 10 + (c - 48);
    digits++;
    c = s.charCodeAt(++i);
  }
  if (c === 46) {
    c = s.charCodeAt(++i);
    while (i < n && isDigit(c)) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
      scale++;
      c = s.charCodeAt(++i);
    }
  }
  if (digits === 0) return parseSpecial(s);
  if (i === n) {
    if (digits <= 15 && scale <= 22) {
      const v = scale === 0 ? mantissa : mantissa / POW10[scale]!;
      return negative ? -v : v;
    }
    return +s;
  }
  if (c === 101 || c === 69) {
    c = s.charCodeAt(++i);
    if (c === 43 || c === 45) c = s.charCodeAt(++i);
    let exp = 0;
    while (i < n && isDigit(c)) {
      exp++;
      c = s.charCodeAt(++i);
    }
    if (exp === 0) return undefined;
  }
  return i === n ? +s : undefined;
}

const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

function parseSpecial(s: string): number | undefined {
  if (s.length > 9) return undefined;
  switch (s.toLowerCase()) {
    case "nan":
    case "+nan":
    case "-nan":
      return Number.NaN;
    case "inf":
    case "+inf":
    case "infinity":
    case "+infinity":
      return Number.POSITIVE_INFINITY;
    case "-inf":
    case "-infinity":
      return Number.NEGATIVE_INFINITY;
    default:
      return undefined;
  }
}

export function parseBoolean(s: string): boolean | undefined {
  if (s.length === 4 && (s === "true" || s === "True" || s === "TRUE")) return true;
  if (s.length === 5 && (s === "false" || s === "False" || s === "FALSE")) return false;
  return undefined;
}

const ISO_DATETIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * ISO 8601 date or date-time → epoch milliseconds. A time without an offset is UTC (not
 * the machine's zone), so the same file gives the same figures everywhere.
 */
export function parseDatetime(s: string): number | undefined {
  if (s.length < 10 || s.length > 40 || !isDigit(s.charCodeAt(0))) return undefined;
  const m = ISO_DATETIME.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h = "00", mi = "00", sec = "00", frac = "", zone = "Z"] = m;
  const month = +mo!;
  const day = +d!;
  if (month < 1 || month > 12 || day < 1 || day > 31 || +h > 23 || +mi > 59 || +sec > 60) return undefined;
  const ms = frac ? frac.slice(1, 4).padEnd(3, "0") : "000";
  const offset = zone === "Z" ? "Z" : zone.length === 3 ? `${zone}:00` : zone.includes(":") ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const t = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${sec}.${ms}${offset}`);
  if (Number.isNaN(t)) return undefined;
  // Date.parse rolls 2023-02-30 over to March: refuse dates that do not exist.
  if (new Date(Date.UTC(+y!, month - 1, day)).getUTCDate() !== day) return undefined;
  return t;
}

/** The narrowest kind a single raw value fits. */
export function kindOf(v: unknown): ValueKind {
  switch (typeof v) {
    case "number":
    case "bigint":
      return "number";
    case "boolean":
      return "boolean";
    case "string":
      if (parseBoolean(v) !== undefined) return "boolean";
      if (parseNumber(v) !== undefined) return "number";
      if (parseDatetime(v) !== undefined) return "datetime";
      return "string";
    default:
      return v instanceof Date ? "datetime" : "string";
  }
}

/** Two kinds seen in one column: the kind that holds both (only strings hold everything). */
export const joinKinds = (a: ValueKind | undefined, b: ValueKind): ValueKind => (a === undefined || a === b ? b : "string");

/** Raw value → number for a number column; undefined when it does not fit. */
export function toNumber(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "string") return parseNumber(v);
  if (typeof v === "bigint") return Number(v);
  return undefined;
}

export function toDatetime(v: unknown): number | undefined {
  if (v instanceof Date) return v.getTime();
  if (typeof v === "string") return parseDatetime(v);
  return undefined;
}

export function toBoolean(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (typeof v === "string") return parseBoolean(v);
  return undefined;
}

/** Any value as the string a string column stores: numbers as JavaScript prints them, dates in ISO 8601. */
export function toStringValue(v: unknown): string {
  switch (typeof v) {
    case "string":
      return v;
    case "number":
    case "bigint":
    case "boolean":
      return String(v);
    default:
      if (v instanceof Date) return Number.isNaN(v.getTime()) ? "Invalid Date" : v.toISOString();
      return JSON.stringify(v) ?? String(v);
  }
}
