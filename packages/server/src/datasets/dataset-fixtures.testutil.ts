import { createHash } from "node:crypto";

/** A digest that is a pure function of a seed, for tests. */
export const digestOf = (seed: string) => `sha256:${createHash("sha256").update(seed).digest("hex")}`;

const numerical = (values: number[]) => {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const m2 = values.reduce((a, b) => a + (b - mean) ** 2, 0);
  const min = Math.min(...values);
  const max = Math.max(...values);
  return {
    mean,
    std: Math.sqrt(m2 / n),
    m2,
    min,
    max,
    zeros: values.filter((v) => v === 0).length,
    nonFinite: 0,
    quantiles: { p1: min, p5: min, p25: min, p50: mean, p75: max, p95: max, p99: max },
    deciles: { edges: Array.from({ length: 9 }, () => mean), shares: [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1] },
    histogram: { edges: [min, max], counts: [n] },
    sketch: { means: values, weights: values.map(() => 1) },
  };
};

/** A small, consistent version body: an `age` (numerical) and a `city` (categorical) column. */
export function versionBody(seed: string, rows = 3, extra: Record<string, unknown> = {}) {
  const ages = Array.from({ length: rows }, (_, i) => 20 + i);
  return {
    digest: digestOf(seed),
    rowCount: rows,
    schema: {
      columns: [
        { name: "age", type: "numerical", nullable: false },
        { name: "city", type: "categorical", nullable: true, domain: ["Oslo"] },
      ],
    },
    profile: {
      version: 1,
      rowCount: rows,
      columns: [
        { name: "age", type: "numerical", count: rows, missing: 0, distinct: { estimate: rows, hll: "" }, numerical: numerical(ages) },
        {
          name: "city",
          type: "categorical",
          count: rows,
          missing: 0,
          distinct: { estimate: 1, hll: "" },
          categorical: { top: [{ value: "Oslo", count: rows, share: 1 }], otherCount: 0, complete: true },
        },
      ],
    },
    source: `${seed}.csv`,
    ...extra,
  };
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
