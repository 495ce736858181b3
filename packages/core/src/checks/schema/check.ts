import { schemaFromProfile } from "../../datasets/schema.js";
import { sketchCountBelow } from "../../datasets/sketch.js";
import type { FindingSeverity, SchemaFinding, SchemaFindingKind, SchemaReport } from "../../schemas/checks.js";
import type { ColumnProfile, ColumnSchema, ColumnType, DatasetProfile, DatasetSchema } from "../../schemas/datasets.js";
import type { ColumnScanResult } from "./scan.js";

export interface SchemaCheckOptions {
  /** A rise in a column's missing share (absolute, 0–1) beyond this is an error. Default 0.05. */
  missingShareTolerance?: number;
  /** New categories holding more than this share of a column's current values are an error (fewer: a warning). Default 0.01. */
  newCategoryShareTolerance?: number;
  /**
   * Values outside the reference [min, max] holding more than this share are an error (fewer:
   * a warning). Default 0.05: a new value from the reference's own distribution falls outside
   * the range of n reference values with probability 2/(n+1), so small references need room.
   */
  outOfRangeShareTolerance?: number;
  /** A relative change of the row count beyond this is reported. Default 0.5 (−50 % … +50 %). */
  rowCountTolerance?: number;
  /** Severity per finding kind, over DEFAULT_SEVERITY. */
  severity?: Partial<Record<SchemaFindingKind, FindingSeverity>>;
}

interface Tolerances {
  missingShareTolerance: number;
  newCategoryShareTolerance: number;
  outOfRangeShareTolerance: number;
  rowCountTolerance: number;
}

export const SCHEMA_CHECK_DEFAULTS: Readonly<Tolerances> = { missingShareTolerance: 0.05, newCategoryShareTolerance: 0.01, outOfRangeShareTolerance: 0.05, rowCountTolerance: 0.5 };

/**
 * Kinds that fail the check by default. Added, constant and duplicated columns and a row
 * count change are warnings: a new feature or a smaller batch is often intended.
 */
export const DEFAULT_SEVERITY: Record<SchemaFindingKind, FindingSeverity> = {
  column_added: "warning",
  column_removed: "error",
  type_changed: "error",
  new_categories: "error",
  missing_increase: "error",
  out_of_range: "error",
  constant_column: "warning",
  duplicated_column: "warning",
  row_count_change: "warning",
};

/** The reference: a stored schema, a stored profile (richer: missing shares, ranges, categories), or both. */
export interface SchemaReference {
  schema?: DatasetSchema;
  profile?: DatasetProfile;
}

export interface SchemaCheckInput {
  reference: SchemaReference;
  /** The current data's profile (DatasetProfiler). */
  current: DatasetProfile;
  /** Exact out-of-range counts and duplicated columns from the current data (ColumnScan); without it ranges are estimated from the sketch and duplicates are not checked. */
  scan?: ColumnScanResult;
}

const MAX_LISTED = 20;
const pct = (x: number) => `${(x * 100).toFixed(x < 0.001 && x > 0 ? 3 : 1)}%`;
const stringLike = (t: ColumnType) => t === "categorical" || t === "text";

/** Checks current data against a reference schema/profile; `passed` is false when any finding is an error. */
export function checkSchema(input: SchemaCheckInput, options: SchemaCheckOptions = {}): SchemaReport {
  const o: Tolerances = { ...SCHEMA_CHECK_DEFAULTS, ...stripUndefined(options) };
  const severity = { ...DEFAULT_SEVERITY, ...options.severity };
  const { reference, current, scan } = input;
  const refSchema = reference.schema ?? (reference.profile ? schemaFromProfile(reference.profile) : undefined);
  if (!refSchema) throw new TypeError("checkSchema: the reference needs a schema or a profile");
  const findings: SchemaFinding[] = [];
  const add = (column: string | null, kind: SchemaFindingKind, sev: FindingSeverity, observed: SchemaFinding["observed"], expected: SchemaFinding["expected"], message: string) =>
    findings.push({ column, kind, severity: sev, observed, expected, message });

  const refProfiles = new Map((reference.profile?.columns ?? []).map((c) => [c.name, c]));
  const curProfiles = new Map(current.columns.map((c) => [c.name, c]));
  const refNames = new Set(refSchema.columns.map((c) => c.name));

  for (const s of refSchema.columns) {
    const cur = curProfiles.get(s.name);
    if (!cur) {
      add(s.name, "column_removed", severity.column_removed, null, s.type, `column "${s.name}" (${s.type}) is missing from the current data`);
      continue;
    }
    checkColumn(s, refProfiles.get(s.name), cur, current.rowCount, o, severity, add, scan?.outOfRange[s.name]);
  }
  for (const c of current.columns) {
    if (!refNames.has(c.name)) add(c.name, "column_added", severity.column_added, c.type, null, `column "${c.name}" (${c.type}) is not in the reference`);
  }
  for (const c of current.columns) {
    if (isConstant(c)) add(c.name, "constant_column", severity.constant_column, constantValue(c), null, `column "${c.name}" holds one value (${constantValue(c)}) in all ${c.count} present rows`);
  }
  for (const group of scan?.duplicates ?? []) {
    const present = group.filter((n) => (curProfiles.get(n)?.count ?? 0) > 0);
    for (const name of present.slice(1)) {
      add(name, "duplicated_column", severity.duplicated_column, present[0]!, null, `column "${name}" has the same values as column "${present[0]}" in every row`);
    }
  }
  const refRows = reference.profile?.rowCount ?? null;
  if (refRows !== null) {
    const change = refRows === 0 ? (current.rowCount === 0 ? 0 : Number.POSITIVE_INFINITY) : (current.rowCount - refRows) / refRows;
    if (Math.abs(change) > o.rowCountTolerance) {
      const said = Number.isFinite(change) ? `${change > 0 ? "+" : ""}${pct(change)}` : "from none";
      add(null, "row_count_change", severity.row_count_change, current.rowCount, refRows, `row count changed ${said} (${refRows} → ${current.rowCount}), beyond ±${pct(o.rowCountTolerance)}`);
    }
  }
  return { passed: findings.every((f) => f.severity !== "error"), referenceRows: refRows, currentRows: current.rowCount, findings };
}

type Add = (column: string | null, kind: SchemaFindingKind, sev: FindingSeverity, observed: SchemaFinding["observed"], expected: SchemaFinding["expected"], message: string) => void;

function checkColumn(
  s: ColumnSchema,
  ref: ColumnProfile | undefined,
  cur: ColumnProfile,
  curRows: number,
  o: Tolerances,
  severity: Record<SchemaFindingKind, FindingSeverity>,
  add: Add,
  exactRange?: { below: number; above: number },
): void {
  const name = s.name;
  // A column with no value has no type of its own (the missing-share check reports it).
  const typed = cur.count > 0 && (!ref || ref.count > 0);
  // categorical and text are one storage kind, split by cardinality, which a sample changes.
  if (typed && s.type !== cur.type && !(stringLike(s.type) && stringLike(cur.type))) {
    add(name, "type_changed", severity.type_changed, cur.type, s.type, `column "${name}" is ${cur.type}, the reference has ${s.type}`);
    return;
  }
  const refShare = ref ? (ref.count + ref.missing > 0 ? ref.missing / (ref.count + ref.missing) : 0) : s.nullable ? null : 0;
  if (refShare !== null && curRows > 0) {
    const curShare = cur.missing / curRows;
    if (curShare - refShare > o.missingShareTolerance) {
      add(name, "missing_increase", severity.missing_increase, curShare, refShare, `column "${name}" is missing in ${pct(curShare)} of rows, the reference in ${pct(refShare)} (tolerance +${pct(o.missingShareTolerance)})`);
    }
  }
  if (cur.type === "categorical") newCategories(s, ref, cur, o, severity, add);
  if (ref?.numerical && cur.numerical && (cur.type === "numerical" || cur.type === "datetime")) outOfRange(name, ref, cur, o, severity, add, exactRange);
}

function newCategories(s: ColumnSchema, ref: ColumnProfile | undefined, cur: ColumnProfile, o: Tolerances, severity: Record<SchemaFindingKind, FindingSeverity>, add: Add): void {
  const known = ref?.categorical?.complete && ref.type === "categorical" ? ref.categorical.top.map((t) => t.value) : s.domain;
  if (!known || !cur.categorical || cur.count === 0) return;
  const domain = new Set(known);
  const fresh = cur.categorical.top.filter((t) => !domain.has(t.value));
  if (fresh.length === 0) return;
  const share = fresh.reduce((a, t) => a + t.count, 0) / cur.count;
  const observed: Record<string, number> = Object.create(null);
  for (const t of fresh.slice(0, MAX_LISTED)) observed[t.value] = t.count / cur.count;
  const sev = share > o.newCategoryShareTolerance ? severity.new_categories : "warning";
  const listed = fresh.slice(0, 5).map((t) => `"${t.value.slice(0, 50)}" (${pct(t.count / cur.count)})`).join(", ");
  const more = fresh.length > 5 ? ` and ${fresh.length - 5} more` : "";
  const partial = cur.categorical.complete ? "" : " (at least: the current profile lists only its top categories)";
  add(cur.name, "new_categories", sev, observed, known.slice(0, 50), `column "${cur.name}" has ${plural(fresh.length, "category", "categories")} not in the reference, ${pct(share)} of its values${partial}: ${listed}${more}`);
}

function outOfRange(
  name: string,
  ref: ColumnProfile,
  cur: ColumnProfile,
  o: Tolerances,
  severity: Record<SchemaFindingKind, FindingSeverity>,
  add: Add,
  exact?: { below: number; above: number },
): void {
  const r = ref.numerical!;
  const c = cur.numerical!;
  const finite = cur.count - c.nonFinite;
  if (finite <= 0 || (c.min >= r.min && c.max <= r.max)) return;
  if (exact) return reportRange(name, exact.below + exact.above, finite, r.min, r.max, false, o, severity, add);
  const sketch = c.sketch;
  // Strictly below min, and not below-or-equal max: the sketch counts values strictly below x.
  const [below, atMostMax] = sketchCountBelow(sketch, c.min, c.max, [r.min, nextUp(r.max)]);
  const count = Math.round(below! + (finite - atMostMax!));
  reportRange(name, count, finite, r.min, r.max, !sketch.exact, o, severity, add);
}

function reportRange(name: string, count: number, finite: number, min: number, max: number, estimated: boolean, o: Tolerances, severity: Record<SchemaFindingKind, FindingSeverity>, add: Add): void {
  if (count <= 0) return;
  const share = count / finite;
  const sev = share > o.outOfRangeShareTolerance ? severity.out_of_range : "warning";
  add(name, "out_of_range", sev, count, `[${min}, ${max}]`, `column "${name}" has ${estimated ? "about " : ""}${plural(count, "value")} (${pct(share)}) outside the reference range [${min}, ${max}]`);
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function isConstant(c: ColumnProfile): boolean {
  if (c.count < 2) return false;
  if (c.numerical) return c.numerical.nonFinite === 0 && c.numerical.min === c.numerical.max;
  return !!c.categorical?.complete && c.categorical.top.length === 1;
}

function constantValue(c: ColumnProfile): string {
  return c.numerical ? String(c.numerical.min) : (c.categorical?.top[0]?.value ?? "");
}

function nextUp(x: number): number {
  if (x === Number.POSITIVE_INFINITY) return x;
  if (x === 0) return Number.MIN_VALUE;
  const f = new Float64Array([x]);
  const b = new BigInt64Array(f.buffer);
  b[0] = b[0]! + (x > 0 ? 1n : -1n);
  return f[0]!;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
