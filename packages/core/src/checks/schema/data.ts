import { DatasetProfiler } from "../../datasets/profiler.js";
import type { SchemaReport } from "../../schemas/checks.js";
import type { DatasetProfile } from "../../schemas/datasets.js";
import { checkSchema, type SchemaCheckOptions } from "./check.js";
import { ColumnScan, type ReferenceRange } from "./scan.js";

type Columns = Readonly<Record<string, ArrayLike<unknown>>>;

/** The reference's numerical ranges, for a ColumnScan of the current data. */
export function referenceRanges(profile: DatasetProfile): Record<string, ReferenceRange> {
  const ranges: Record<string, ReferenceRange> = Object.create(null);
  for (const c of profile.columns) if (c.numerical && c.type === "numerical") ranges[c.name] = { min: c.numerical.min, max: c.numerical.max };
  return ranges;
}

function rowsOf(columns: Columns): number {
  const lengths = Object.values(columns).map((v) => v.length);
  const n = lengths[0] ?? 0;
  if (lengths.some((l) => l !== n)) throw new RangeError(`columns have different lengths (${[...new Set(lengths)].join(", ")})`);
  return n;
}

/**
 * Schema and data-quality check of in-memory data (columns of raw values) against reference
 * data, or against a stored reference profile: profiles both with the DatasetProfiler and
 * scans the current data for exact out-of-range counts and duplicated columns.
 */
export function checkSchemaOfColumns(reference: Columns | DatasetProfile, current: Columns, options: SchemaCheckOptions = {}): SchemaReport {
  const refProfile = isProfile(reference) ? reference : profileOf(reference);
  const n = rowsOf(current);
  const scan = new ColumnScan(referenceRanges(refProfile));
  scan.add(current, n);
  return checkSchema({ reference: { profile: refProfile }, current: profileOf(current, n), scan: scan.result() }, options);
}

function profileOf(columns: Columns, n = rowsOf(columns)): DatasetProfile {
  // One addColumns call: the profiler settles each column's type over all of it.
  const p = new DatasetProfiler();
  p.addColumns(columns, n);
  return p.finish().profile;
}

function isProfile(x: Columns | DatasetProfile): x is DatasetProfile {
  return (x as DatasetProfile).version === 1 && Array.isArray((x as DatasetProfile).columns) && typeof (x as DatasetProfile).rowCount === "number";
}
