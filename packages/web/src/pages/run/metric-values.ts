import type { MetricValue } from "@cairn/core";

/**
 * JSON carries NaN and ±Infinity as strings. Core's `toMetricNumber` does this too, but core
 * is imported for types only in the UI (its value modules pull node-only code into the bundle).
 */
export function metricNumber(v: MetricValue): number {
  if (typeof v === "number") return v;
  return v === "NaN" ? Number.NaN : v === "Infinity" ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
}

/** Chart values: a non-finite point is a gap, not a spike to infinity. */
export function chartValues(values: readonly MetricValue[]): (number | null)[] {
  const out: (number | null)[] = new Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out[i] = typeof v === "number" ? v : null;
  }
  return out;
}

/** The SDK's system sampler logs under `system/` (CPU, memory, event-loop lag, GPUs). */
export const SYSTEM_PREFIX = "system/";
export const isSystemKey = (key: string) => key.startsWith(SYSTEM_PREFIX);
