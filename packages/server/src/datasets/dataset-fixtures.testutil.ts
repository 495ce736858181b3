import { createHash } from "node:crypto";
import { DatasetProfiler } from "@cairn/core";

/** A digest that is a pure function of a seed, for tests. */
export const digestOf = (seed: string) => `sha256:${createHash("sha256").update(seed).digest("hex")}`;

/**
 * A consistent version body made by the real profiler: an `age` (numerical, not nullable)
 * and a `city` (categorical, domain ["Oslo"]) column; the digest is `digestOf(seed)`.
 */
export function versionBody(seed: string, rows = 3, extra: Record<string, unknown> = {}) {
  const profiler = new DatasetProfiler();
  profiler.addRecords(Array.from({ length: rows }, (_, i) => ({ age: 20 + i, city: "Oslo" })));
  const { schema, profile } = profiler.finish();
  return { digest: digestOf(seed), rowCount: rows, schema, profile, source: `${seed}.csv`, ...extra };
}

/** `columns` numerical columns with the same consistent profile: a body of roughly 1 KiB a column. */
export function wideBody(seed: string, columns: number) {
  const one = versionBody(seed);
  const [schemaCol] = one.schema.columns;
  const [profileCol] = one.profile.columns;
  const names = Array.from({ length: columns }, (_, i) => `feature_${i}`);
  return {
    ...one,
    schema: { columns: names.map((name) => ({ ...schemaCol!, name })) },
    profile: { ...one.profile, columns: names.map((name) => ({ ...profileCol!, name })) },
  };
}
