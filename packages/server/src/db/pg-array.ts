/**
 * PostgreSQL array literals built by hand for the hot paths: one text parameter per
 * column instead of letting a driver escape 10,000 elements one by one, and the same
 * bytes on both drivers. JS's own number printing already yields NaN/Infinity/-Infinity,
 * which PostgreSQL's float8 input accepts.
 */
export function numArray(values: ArrayLike<number>): string {
  // A concat loop is ~2x faster than Array.prototype.join on typed arrays (V8 ropes).
  const n = values.length;
  if (n === 0) return "{}";
  let s = "{" + values[0];
  for (let i = 1; i < n; i++) s += "," + values[i];
  return s + "}";
}

export function nullableNumArray(values: ReadonlyArray<number | null>): string {
  let s = "{";
  for (let i = 0; i < values.length; i++) {
    if (i > 0) s += ",";
    const v = values[i];
    s += v === null || v === undefined ? "NULL" : String(v);
  }
  return s + "}";
}

export function textArray(values: ReadonlyArray<string>): string {
  let s = "{";
  for (let i = 0; i < values.length; i++) {
    if (i > 0) s += ",";
    s += '"' + values[i]!.replace(/[\\"]/g, "\\$&") + '"';
  }
  return s + "}";
}
