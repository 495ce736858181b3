import type { FeatureValue, SchemaViolationKind } from "../schemas/monitoring.js";
import type { CompiledReference, ReferenceFeature } from "./reference.js";

/** Schema violations of a window: per kind, per feature, and how many predictions had at least one. */
export interface ViolationCounts {
  predictions: number;
  byKind: Partial<Record<SchemaViolationKind, number>>;
  byFeature: Record<string, number>;
}

export const emptyViolations = (): ViolationCounts => ({ predictions: 0, byKind: {}, byFeature: Object.create(null) });

/** Why a value does not fit its feature, if it does not. Null is a missing value, never a violation. */
export function valueViolation(f: ReferenceFeature, v: FeatureValue): SchemaViolationKind | null {
  if (v === null) return null;
  switch (f.type) {
    case "numerical":
      if (typeof v !== "number") return "type_mismatch";
      if (f.min !== undefined && (v < f.min || v > f.max!)) return "out_of_range";
      return null;
    case "boolean":
      return typeof v === "boolean" ? null : "type_mismatch";
    case "datetime":
      return typeof v === "number" || typeof v === "string" ? null : "type_mismatch";
    case "categorical":
      if (typeof v === "boolean") return "type_mismatch";
      return f.categories && !f.categories.has(String(v)) ? "unseen_category" : null;
    default:
      return null;
  }
}

/**
 * Violations of a batch given column-wise (values by row, undefined where absent): an
 * expected feature that is absent is `missing_field` (a null is a missing value, as in
 * training data), a feature the reference does not know is `unknown_field`.
 */
export function countColumnViolations(columns: ReadonlyMap<string, { values: readonly (FeatureValue | undefined)[] }>, n: number, ref: CompiledReference): ViolationCounts {
  const out = emptyViolations();
  const expected = ref.features;
  if (!expected || n === 0) return out;
  const flagged = new Uint8Array(n);
  const add = (kind: SchemaViolationKind, feature: string, i: number) => {
    out.byKind[kind] = (out.byKind[kind] ?? 0) + 1;
    out.byFeature[feature] = (out.byFeature[feature] ?? 0) + 1;
    flagged[i] = 1;
  };
  for (const f of expected.values()) {
    const values = columns.get(f.name)?.values;
    for (let i = 0; i < n; i++) {
      const v = values?.[i];
      if (v === undefined) add("missing_field", f.name, i);
      else {
        const kind = valueViolation(f, v);
        if (kind) add(kind, f.name, i);
      }
    }
  }
  for (const [name, c] of columns) {
    if (expected.has(name)) continue;
    for (let i = 0; i < n; i++) if (c.values[i] !== undefined) add("unknown_field", name, i);
  }
  for (let i = 0; i < n; i++) out.predictions += flagged[i]!;
  return out;
}

export function mergeViolations(a: ViolationCounts, b: ViolationCounts): ViolationCounts {
  const out = emptyViolations();
  out.predictions = a.predictions + b.predictions;
  for (const src of [a, b]) {
    for (const [k, n] of Object.entries(src.byKind)) out.byKind[k as SchemaViolationKind] = (out.byKind[k as SchemaViolationKind] ?? 0) + n!;
    for (const [k, n] of Object.entries(src.byFeature)) out.byFeature[k] = (out.byFeature[k] ?? 0) + n;
  }
  return out;
}
