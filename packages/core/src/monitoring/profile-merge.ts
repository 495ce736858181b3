import { mergeProfiles, ProfileMergeError } from "../datasets/merge.js";
import type { DatasetProfile } from "../schemas/datasets.js";

const OPTIONS = { topK: 50, histogramBins: 10 } as const;

const without = (p: DatasetProfile, name: string): DatasetProfile => ({ ...p, columns: p.columns.filter((c) => c.name !== name) });
const countOf = (p: DatasetProfile, name: string) => p.columns.find((c) => c.name === name)?.count ?? 0;

/**
 * Merges two windows' feature profiles. A feature whose type differs between them (only
 * possible for features the reference does not type, e.g. an unknown field sent as a number
 * in one batch and as text in another) keeps the side with more values, the other side's
 * rows counting as missing, instead of failing the whole window.
 */
export function mergeFeatureProfiles(a: DatasetProfile | null, b: DatasetProfile | null): DatasetProfile | null {
  if (!a) return b;
  if (!b) return a;
  for (;;) {
    try {
      return mergeProfiles(a, b, OPTIONS);
    } catch (e) {
      if (!(e instanceof ProfileMergeError)) throw e;
      if (countOf(b, e.column) > countOf(a, e.column)) a = without(a, e.column);
      else b = without(b, e.column);
    }
  }
}
