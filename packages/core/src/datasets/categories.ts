import type { CategoricalStats, ColumnType } from "../schemas/datasets.js";

/**
 * Strings are categorical when their domain is small: at most 50 distinct values, or at
 * most 1000 that are also at most half of the non-missing values (each value repeats on
 * average at least twice); otherwise text. Like pandas-profiling's cardinality rule and
 * TFDV's small-domain rule, this keeps ids and free text out of per-category statistics.
 */
export const CATEGORICAL_MAX_SMALL = 50;
export const CATEGORICAL_MAX_DISTINCT = 1000;
export const CATEGORICAL_MAX_RATIO = 0.5;
/** Schema domains are listed for categorical columns with at most this many values. */
export const DOMAIN_MAX = 50;

export function stringColumnType(distinct: number, count: number): ColumnType {
  if (distinct <= CATEGORICAL_MAX_SMALL) return "categorical";
  return distinct <= CATEGORICAL_MAX_DISTINCT && distinct <= CATEGORICAL_MAX_RATIO * count ? "categorical" : "text";
}

const byCountThenValue = (a: [string, number], b: [string, number]) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** Top-k of exact counts; `exact` false when `counts` misses values (their total is in `uncounted`). */
export function topCategories(counts: Iterable<[string, number]>, total: number, topK: number, exact: boolean): CategoricalStats {
  const all = [...counts].sort(byCountThenValue);
  const kept = all.slice(0, topK);
  let keptSum = 0;
  for (const [, c] of kept) keptSum += c;
  return {
    top: kept.map(([value, count]) => ({ value, count, share: total > 0 ? count / total : 0 })),
    otherCount: total - keptSum,
    complete: exact && kept.length === all.length,
  };
}

/**
 * Merge of two top-k lists. Exact when both are complete; otherwise a value's count is
 * the sum of the counts listed (a lower bound when one side folded it into otherCount).
 */
export function mergeCategories(a: CategoricalStats, b: CategoricalStats, total: number, topK: number): CategoricalStats {
  const counts = new Map<string, number>();
  for (const t of a.top) counts.set(t.value, t.count);
  for (const t of b.top) counts.set(t.value, (counts.get(t.value) ?? 0) + t.count);
  return topCategories(counts, total, topK, a.complete && b.complete);
}
