import { parseNumber } from "../../datasets/values.js";

/** A cell: numbers (or numeric text) make numerical columns; anything else is a category. Missing: null, undefined, "", NaN, ±Infinity. */
export type DriftValue = number | string | boolean | bigint | null | undefined;
/** Columns by name (a Float64Array is the fast path), or rows as records. */
export type DriftColumns = Readonly<Record<string, ArrayLike<DriftValue>>>;
export type DriftRecords = ReadonlyArray<Readonly<Record<string, unknown>>>;
export type DriftData = DriftColumns | DriftRecords;

/** Bad input: a column that is not there, a numerical profile column with text values. */
export class DriftInputError extends Error {
  override name = "DriftInputError";
}

/** Records → columns over the union of their keys (absent keys are missing values). */
export function toColumns(data: DriftData): DriftColumns {
  if (!Array.isArray(data)) return data as DriftColumns;
  const rows = data as DriftRecords;
  const out: Record<string, DriftValue[]> = Object.create(null);
  rows.forEach((row, i) => {
    for (const key of Object.keys(row)) {
      let col = out[key];
      if (!col) {
        col = new Array<DriftValue>(rows.length).fill(undefined);
        out[key] = col;
      }
      col[i] = row[key] as DriftValue;
    }
  });
  return out;
}

/** A column split into its present values: numbers when every present value is numeric, else text. */
export interface PreparedColumn {
  /** The present values when all are numeric (finite), in a fresh array the checks may sort in place; null when some is not. */
  numbers: Float64Array | null;
  missing: number;
  /** Present values as categories: numbers by their parsed value (String(x)), text as is; built on demand. */
  strings(): string[];
  /** Present values as given (text as is, so "02134" stays "02134"): for comparison with text categories. */
  text(): string[];
}

const isMissingNumber = (v: number) => !Number.isFinite(v);

export function prepareColumn(values: ArrayLike<DriftValue>): PreparedColumn {
  const n = values.length;
  if (values instanceof Float64Array) {
    // Fast path: no per-value allocation.
    let present = 0;
    for (let i = 0; i < n; i++) if (!isMissingNumber(values[i]!)) present++;
    const numbers = present === n ? values.slice() : new Float64Array(present);
    if (present !== n) for (let i = 0, k = 0; i < n; i++) if (!isMissingNumber(values[i]!)) numbers[k++] = values[i]!;
    const strings = () => Array.from(numbers, (x) => String(x));
    return { numbers, missing: n - present, strings, text: strings };
  }
  const buf = new Float64Array(n);
  let k = 0;
  let missing = 0;
  let numeric = true;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined || v === "") missing++;
    else if (typeof v === "number") {
      if (isMissingNumber(v)) missing++;
      else buf[k++] = v;
    } else if (typeof v === "string" && numeric) {
      const x = parseNumber(v);
      if (x === undefined) numeric = false;
      else if (isMissingNumber(x)) missing++;
      else buf[k++] = x;
    } else if (typeof v === "bigint" && numeric) buf[k++] = Number(v);
    else numeric = false;
  }
  if (numeric) {
    const numbers = buf.subarray(0, k);
    // Numbers as categories (≤ 5 distinct values) by their parsed value: "1.0" and 1 are one category.
    const text = () => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) {
        const v = values[i];
        if (v === null || v === undefined || v === "") continue;
        const x = typeof v === "string" ? parseNumber(v)! : Number(v);
        if (!isMissingNumber(x)) out.push(String(v));
      }
      return out;
    };
    return { numbers, missing, strings: () => Array.from(numbers, (x) => String(x)), text };
  }
  // Text columns: "NaN" and "inf" are categories there; only empty cells (and non-finite numbers) are missing.
  const absent = (v: DriftValue) => v === null || v === undefined || v === "" || (typeof v === "number" && isMissingNumber(v));
  let m = 0;
  for (let i = 0; i < n; i++) if (absent(values[i])) m++;
  const strings = () => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) if (!absent(values[i])) out.push(String(values[i]));
    return out;
  };
  return { numbers: null, missing: m, strings, text: strings };
}

/** Counts per category. */
export function countCategories(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}
