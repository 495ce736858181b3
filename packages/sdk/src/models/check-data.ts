import { type DatasetProfile, parseNumber } from "@cairn/core";
import { CairnError } from "../client/errors.js";
import { isNode } from "../config.js";
import type { DatasetData } from "../datasets/types.js";

export type Columns = Readonly<Record<string, ArrayLike<unknown>>>;

/** Check data as `logDataset` takes it: records, columns, or a path to a .csv / .jsonl / .ndjson file (Node). */
export type CheckData = DatasetData;

/** A stored reference: a dataset version (from `run.logDataset`) or its profile. */
export type StoredReference = { profile: DatasetProfile | null } | DatasetProfile;

/** Records → columns over the union of their keys (a key absent from a row is a missing value). */
export function recordsToColumns(rows: ReadonlyArray<Record<string, unknown>>): Columns {
  const out: Record<string, unknown[]> = Object.create(null);
  rows.forEach((row, i) => {
    if (row === null || typeof row !== "object") throw new CairnError(`check: row ${i} is not an object`);
    for (const key of Object.keys(row)) {
      let col = out[key];
      if (!col) out[key] = col = new Array<unknown>(rows.length).fill(undefined);
      col[i] = row[key];
    }
  });
  return out;
}

/** Any check data as columns of equal length; a file is read in Node only (through import(), so browsers never load it). */
export async function toColumns(data: CheckData, what: string): Promise<Columns> {
  if (typeof data === "string") {
    if (!isNode()) throw new CairnError(`check: ${what} is a file path, which needs Node`);
    const node = await import("./node/read-data.js");
    return node.readDataFile(data);
  }
  if (data === null || typeof data !== "object") throw new CairnError(`check: ${what} must be records, columns or a file path`);
  const columns = Array.isArray(data) ? recordsToColumns(data as ReadonlyArray<Record<string, unknown>>) : (data as Columns);
  const lengths = new Set<number>();
  for (const [name, values] of Object.entries(columns)) {
    if (values === null || typeof values !== "object" || typeof values.length !== "number") throw new CairnError(`check: column "${name}" of ${what} is not an array`);
    lengths.add(values.length);
  }
  if (lengths.size > 1) throw new CairnError(`check: the columns of ${what} have different lengths (${[...lengths].join(", ")})`);
  return columns;
}

/** The named column, or an error listing the columns there are. */
export function column(data: Columns, name: string, what: string): ArrayLike<unknown> {
  if (typeof name !== "string" || !Object.hasOwn(data, name)) throw new CairnError(`check: ${what} has no column ${JSON.stringify(name)} (columns: ${Object.keys(data).join(", ")})`);
  return data[name]!;
}

/** A column as numbers (missing → NaN); text that is not a number is an error naming the column and row. */
export function numbers(data: Columns, name: string, what: string): Float64Array {
  const values = column(data, name, what);
  if (values instanceof Float64Array) return values;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || v === "") out[i] = Number.NaN;
    else if (typeof v === "number") out[i] = v;
    else if (typeof v === "bigint") out[i] = Number(v);
    else {
      const x = typeof v === "string" ? parseNumber(v) : undefined;
      if (x === undefined) throw new CairnError(`check: column "${name}" of ${what}, row ${i + 1}: ${JSON.stringify(String(v).slice(0, 60))} is not a number`);
      out[i] = x;
    }
  }
  return out;
}

/** The profile of a stored reference, or undefined when `x` is data. */
export function storedProfile(x: unknown): DatasetProfile | undefined {
  if (x === null || typeof x !== "object" || Array.isArray(x)) return undefined;
  const o = x as { version?: unknown; columns?: unknown; rowCount?: unknown; profile?: unknown };
  if (o.version === 1 && Array.isArray(o.columns) && typeof o.rowCount === "number") return x as DatasetProfile;
  if ("profile" in o && "digest" in o) {
    if (!o.profile) throw new CairnError("check: the reference dataset version has no profile (fetch it with its profile, or pass the data)");
    return o.profile as DatasetProfile;
  }
  return undefined;
}
