import type { ColumnProfile, DatasetProfile } from "../schemas/datasets.js";
import { mergeCategories, stringColumnType } from "./categories.js";
import { HyperLogLog } from "./hll.js";
import { mergeNumerical } from "./numerical.js";

export interface MergeOptions {
  topK?: number;
  histogramBins?: number;
}

/** Two profiles of the same column cannot be merged (e.g. numerical and categorical). */
export class ProfileMergeError extends Error {
  override readonly name = "ProfileMergeError";
  constructor(
    readonly column: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The profile of the union of two datasets' rows. Exact: counts, missing, min, max, zeros,
 * nonFinite, mean and m2 (Chan's formula, up to float rounding), boolean counts, categorical
 * counts when both sides are complete, HLL registers. Quantiles, deciles and histogram come
 * from the merged sketch (see docs/profiles.md for the tolerance). A column absent on one
 * side counts as missing in that side's rows.
 */
export function mergeProfiles(a: DatasetProfile, b: DatasetProfile, opts: MergeOptions = {}): DatasetProfile {
  const byName = new Map(b.columns.map((c) => [c.name, c]));
  const names = [...a.columns.map((c) => c.name), ...b.columns.map((c) => c.name).filter((n) => !a.columns.some((c) => c.name === n))];
  const byNameA = new Map(a.columns.map((c) => [c.name, c]));
  return {
    version: 1,
    rowCount: a.rowCount + b.rowCount,
    columns: names.map((name) => {
      const ca = byNameA.get(name) ?? allMissing(name, a.rowCount, byName.get(name)!.type);
      const cb = byName.get(name) ?? allMissing(name, b.rowCount, ca.type);
      return mergeColumns(ca, cb, opts);
    }),
  };
}

const EMPTY_HLL = new HyperLogLog().toBase64();

function allMissing(name: string, rows: number, type: ColumnProfile["type"]): ColumnProfile {
  return { name, type, count: 0, missing: rows, distinct: { estimate: 0, hll: EMPTY_HLL } };
}

const stringLike = (t: string) => t === "categorical" || t === "text";

function mergeColumns(a: ColumnProfile, b: ColumnProfile, opts: MergeOptions): ColumnProfile {
  // An all-missing side adopts the other's type.
  if (a.count === 0 && a.type !== b.type) a = { ...a, type: b.type };
  if (b.count === 0 && a.type !== b.type) b = { ...b, type: a.type };
  if (a.type !== b.type && !(stringLike(a.type) && stringLike(b.type))) {
    throw new ProfileMergeError(a.name, `column "${a.name}" is ${a.type} in one profile and ${b.type} in the other`);
  }
  const count = a.count + b.count;
  const hll = HyperLogLog.fromBase64(a.distinct.hll);
  hll.merge(HyperLogLog.fromBase64(b.distinct.hll));
  const out: ColumnProfile = { name: a.name, type: a.type, count, missing: a.missing + b.missing, distinct: { estimate: 0, hll: hll.toBase64() } };
  const bins = opts.histogramBins ?? a.numerical?.histogram.counts.length ?? b.numerical?.histogram.counts.length ?? 20;
  if (a.numerical && b.numerical) out.numerical = mergeNumerical(a.numerical, b.numerical, bins);
  else if (a.numerical || b.numerical) {
    // The side without a block holds only non-finite values.
    const [has, lacks] = a.numerical ? [a, b] : [b, a];
    out.numerical = { ...has.numerical!, nonFinite: has.numerical!.nonFinite + lacks.count };
  }
  const topK = opts.topK ?? Math.max(a.categorical?.top.length ?? 0, b.categorical?.top.length ?? 0, 100);
  const emptyCats = { top: [], otherCount: 0, complete: true };
  if (a.categorical || b.categorical) out.categorical = mergeCategories(a.categorical ?? emptyCats, b.categorical ?? emptyCats, count, topK);
  if (a.boolean || b.boolean) {
    const z = { trueCount: 0, falseCount: 0 };
    const x = a.boolean ?? z;
    const y = b.boolean ?? z;
    out.boolean = { trueCount: x.trueCount + y.trueCount, falseCount: x.falseCount + y.falseCount };
  }
  if (a.text || b.text) {
    const z = { minLength: Number.POSITIVE_INFINITY, maxLength: 0, meanLength: 0 };
    const x = a.text ?? z;
    const y = b.text ?? z;
    const minLength = Math.min(a.count ? x.minLength : Number.POSITIVE_INFINITY, b.count ? y.minLength : Number.POSITIVE_INFINITY);
    out.text = {
      minLength: Number.isFinite(minLength) ? minLength : 0,
      maxLength: Math.max(x.maxLength, y.maxLength),
      meanLength: count ? (x.meanLength * a.count + y.meanLength * b.count) / count : 0,
    };
  }
  out.distinct.estimate = distinctEstimate(out, hll);
  if (stringLike(out.type)) out.type = stringColumnType(out.distinct.estimate, count);
  return out;
}

/** Exact when the merged profile still knows every value (complete categories, booleans); HLL otherwise. */
function distinctEstimate(c: ColumnProfile, hll: HyperLogLog): number {
  if (c.boolean) return (c.boolean.trueCount > 0 ? 1 : 0) + (c.boolean.falseCount > 0 ? 1 : 0);
  if (c.categorical?.complete) return c.categorical.top.length;
  if (c.count === 0) return 0;
  return hll.estimate();
}
