import type { DriftColumn, DriftReport } from "../../schemas/checks.js";
import { DRIFT_DEFAULTS, type DriftColumnOptions, driftColumn } from "./column.js";
import { type DriftData, DriftInputError, prepareColumn, toColumns } from "./prepare.js";

export interface DriftOptions extends DriftColumnOptions {
  /** Columns to compare (default: every column present in both samples, in the reference's order). */
  columns?: readonly string[];
  /** Dataset drift when drifted / judged columns ≥ this (default 0.5). */
  driftShare?: number;
}

/** The dataset verdict from per-column results: columns without enough data have no vote. */
export function summariseDrift(columns: DriftColumn[], driftShare: number = DRIFT_DEFAULTS.driftShare): DriftReport {
  let judged = 0;
  let drifted = 0;
  for (const c of columns) {
    if (c.drifted === null) continue;
    judged++;
    if (c.drifted) drifted++;
  }
  const share = judged === 0 ? 0 : drifted / judged;
  return { columns, driftedShare: share, drifted: judged > 0 && share >= driftShare };
}

/** Which columns to compare; a requested column absent from a side is an input error. */
export function selectColumns(reference: Record<string, unknown>, current: Record<string, unknown>, requested?: readonly string[]): string[] {
  if (!requested) return Object.keys(reference).filter((k) => Object.hasOwn(current, k));
  for (const name of requested) {
    if (!Object.hasOwn(reference, name)) throw new DriftInputError(`column "${name}" is not in the reference data`);
    if (!Object.hasOwn(current, name)) throw new DriftInputError(`column "${name}" is not in the current data`);
  }
  return [...requested];
}

/**
 * Drift between a reference and a current sample, per column and for the dataset, with the
 * conventions of scipy (see docs/checks-drift.md).
 */
export function detectDrift(reference: DriftData, current: DriftData, opts: DriftOptions = {}): DriftReport {
  const ref = toColumns(reference);
  const cur = toColumns(current);
  const names = selectColumns(ref, cur, opts.columns);
  const columns = names.map((name) => driftColumn(name, prepareColumn(ref[name]!), prepareColumn(cur[name]!), opts));
  return summariseDrift(columns, opts.driftShare);
}
