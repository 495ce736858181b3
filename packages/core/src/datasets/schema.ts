import type { ColumnProfile, ColumnSchema, DatasetProfile, DatasetSchema } from "../schemas/datasets.js";
import { DOMAIN_MAX } from "./categories.js";
import { HyperLogLog } from "./hll.js";

const domainValue = (v: string) => v.length <= 10_000 && !v.includes("\u0000");

/** The schema a profile implies: nullable when anything is missing; the domain of small complete categoricals. */
export function schemaFromProfile(profile: DatasetProfile): DatasetSchema {
  return { columns: profile.columns.map(columnSchema) };
}

function columnSchema(c: ColumnProfile): ColumnSchema {
  const s: ColumnSchema = { name: c.name, type: c.type, nullable: c.missing > 0 };
  const cat = c.categorical;
  if (c.type === "categorical" && cat?.complete && cat.top.length <= DOMAIN_MAX && cat.top.every((t) => domainValue(t.value))) {
    s.domain = cat.top.map((t) => t.value).sort();
  }
  return s;
}

export interface ProfileIssue {
  path: string;
  message: string;
}

const near = (a: number, b: number, tol = 1e-6) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));

/**
 * Whether a profile is consistent with its schema and row count (what the server checks
 * before storing a dataset version). Paths point into the request body
 * ("profile.columns[3].numerical.min") and messages name the column.
 */
export function validateProfileAgainstSchema(schema: DatasetSchema, profile: DatasetProfile, rowCount: number): ProfileIssue[] {
  const issues: ProfileIssue[] = [];
  const add = (path: string, message: string) => issues.push({ path, message });
  if (profile.rowCount !== rowCount) add("profile.rowCount", `is ${profile.rowCount} but the dataset has ${rowCount} rows`);
  const bySchema = new Map(schema.columns.map((c, i) => [c.name, i]));
  const seen = new Set<string>();
  profile.columns.forEach((c, i) => {
    const at = `profile.columns[${i}]`;
    const col = `column "${c.name}"`;
    if (seen.has(c.name)) add(`${at}.name`, `${col} is profiled twice`);
    seen.add(c.name);
    const si = bySchema.get(c.name);
    if (si === undefined) return add(`${at}.name`, `${col} is not in the schema`);
    const s = schema.columns[si]!;
    if (s.type !== c.type) add(`${at}.type`, `${col} is ${c.type} in the profile but ${s.type} in the schema`);
    if (c.count + c.missing !== rowCount) add(`${at}.count`, `${col}: count ${c.count} + missing ${c.missing} is not the row count ${rowCount}`);
    if (!s.nullable && c.missing > 0) add(`${at}.missing`, `${col} is not nullable in the schema but has ${c.missing} missing values`);
    try {
      HyperLogLog.fromBase64(c.distinct.hll);
    } catch (err) {
      add(`${at}.distinct.hll`, `${col}: ${(err as Error).message}`);
    }
    if (c.distinct.estimate > c.count * 1.1 + 10) add(`${at}.distinct.estimate`, `${col} has more distinct values (${c.distinct.estimate}) than values (${c.count})`);
    checkStats(c, at, col, s, add);
  });
  schema.columns.forEach((s, i) => {
    if (!seen.has(s.name)) add(`schema.columns[${i}]`, `column "${s.name}" has no profile`);
  });
  return issues;
}

function checkStats(c: ColumnProfile, at: string, col: string, s: ColumnSchema, add: (p: string, m: string) => void): void {
  const numeric = c.type === "numerical" || c.type === "datetime";
  if (!numeric && c.numerical) add(`${at}.numerical`, `${col} is ${c.type} and cannot have numerical statistics`);
  if (c.type === "boolean" && !c.boolean && c.count > 0) add(`${at}.boolean`, `${col} is boolean and needs boolean counts`);
  if (c.type !== "boolean" && c.boolean) add(`${at}.boolean`, `${col} is ${c.type} and cannot have boolean counts`);
  if (c.boolean && c.boolean.trueCount + c.boolean.falseCount !== c.count) add(`${at}.boolean`, `${col}: true + false counts are not its count ${c.count}`);
  const n = c.numerical;
  if (n) {
    const finite = c.count - n.nonFinite;
    if (finite < 1) add(`${at}.numerical.nonFinite`, `${col}: ${n.nonFinite} non-finite values leave none for the statistics`);
    if (n.min > n.max) add(`${at}.numerical.min`, `${col}: min ${n.min} is above max ${n.max}`);
    if (n.mean < n.min || n.mean > n.max) add(`${at}.numerical.mean`, `${col}: mean ${n.mean} is outside [min, max]`);
    if (n.zeros > finite) add(`${at}.numerical.zeros`, `${col}: more zeros than values`);
    const q = [n.quantiles.p1, n.quantiles.p5, n.quantiles.p25, n.quantiles.p50, n.quantiles.p75, n.quantiles.p95, n.quantiles.p99];
    if (!ascending([n.min, ...q, n.max])) add(`${at}.numerical.quantiles`, `${col}: quantiles are not ascending within [min, max]`);
    if (!ascending([n.min, ...n.deciles.edges, n.max])) add(`${at}.numerical.deciles.edges`, `${col}: decile edges are not ascending within [min, max]`);
    if (!near(sum(n.deciles.shares), 1)) add(`${at}.numerical.deciles.shares`, `${col}: decile shares do not sum to 1`);
    const h = n.histogram;
    if (h.edges.length !== h.counts.length + 1) add(`${at}.numerical.histogram`, `${col}: a histogram needs one edge more than counts`);
    if (!ascending(h.edges)) add(`${at}.numerical.histogram.edges`, `${col}: histogram edges are not ascending`);
    if (sum(h.counts) !== finite) add(`${at}.numerical.histogram.counts`, `${col}: histogram counts sum to ${sum(h.counts)}, not ${finite} finite values`);
    if (n.sketch.means.length !== n.sketch.weights.length) add(`${at}.numerical.sketch`, `${col}: sketch means and weights differ in length`);
    else if (!near(sum(n.sketch.weights), finite)) add(`${at}.numerical.sketch.weights`, `${col}: sketch weights sum to ${sum(n.sketch.weights)}, not ${finite}`);
    else if (!ascending(n.sketch.means)) add(`${at}.numerical.sketch.means`, `${col}: sketch means are not ascending`);
    if (n.sketch.singleValued?.some((k) => k >= n.sketch.means.length)) add(`${at}.numerical.sketch.singleValued`, `${col}: a single-valued index is past the last centroid`);
  }
  const cat = c.categorical;
  if (cat) {
    const listed = sum(cat.top.map((t) => t.count));
    if (listed + cat.otherCount !== c.count) add(`${at}.categorical.otherCount`, `${col}: top counts + otherCount are not its count ${c.count}`);
    if (cat.complete && cat.otherCount !== 0) add(`${at}.categorical.complete`, `${col}: complete categories leave nothing in otherCount`);
    if (new Set(cat.top.map((t) => t.value)).size !== cat.top.length) add(`${at}.categorical.top`, `${col} lists a category twice`);
    if (s.domain && c.type === "categorical") {
      const domain = new Set(s.domain);
      cat.top.forEach((t, k) => {
        if (!domain.has(t.value)) add(`${at}.categorical.top[${k}].value`, `${col}: "${t.value.slice(0, 100)}" is not in the schema's domain`);
      });
    }
  }
  if ((c.type === "categorical" || c.type === "text") && !cat) add(`${at}.categorical`, `${col} is ${c.type} and needs its top categories`);
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const ascending = (xs: readonly number[]) => xs.every((x, i) => i === 0 || xs[i - 1]! <= x);
