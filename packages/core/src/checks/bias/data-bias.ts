import type { DataBiasFlag, DataBiasGroup, DataBiasReport } from "../../schemas/checks.js";
import { defaultPositive, findLabel, isMissingLabel, keySlots, type Label, LabelEncoder, type LabelInput, labelKey } from "../performance/labels.js";

export interface DataBiasInput {
  /** The sensitive column: one group value per row; rows without one are counted apart. */
  groups: ArrayLike<LabelInput>;
  /** The label column, for each group's base rate (share of positive labels). */
  labels?: ArrayLike<LabelInput>;
  positive?: LabelInput;
  /** Columns whose missing cells make up each group's missing rate. */
  columns?: Record<string, ArrayLike<unknown>>;
  /** Expected share per group value (normalised to sum to 1), e.g. census shares. */
  expected?: Record<string, number>;
  /** Flag a group whose share is below this (default 0.05). */
  minShare?: number;
  /** With `expected`: flag a group whose share is below this fraction of its expected share (default 0.8, the four-fifths rule). */
  minShareRatio?: number;
  /** Flag when base rates (groups with ≥ 2 labelled rows) differ by more than this (default 0.1). */
  maxBaseRateDifference?: number;
}

const missingCell = (v: unknown) => v === null || v === undefined || v === "" || (typeof v === "number" && Number.isNaN(v));

/**
 * Representation and label balance of a dataset across the values of a sensitive
 * column: each group's share (against an expected distribution when given), label base
 * rate and missing-cell rate, with flags when a share or the base-rate gap crosses its
 * bound. One pass per column; a group seen in `expected` but not in the data is
 * reported with count 0 (and flagged).
 */
export function dataBias(input: DataBiasInput): DataBiasReport {
  const n = input.groups.length;
  const minShare = input.minShare ?? 0.05;
  const minShareRatio = input.minShareRatio ?? 0.8;
  const maxGap = input.maxBaseRateDifference ?? 0.1;
  const encoder = new LabelEncoder();
  const code = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) if (!isMissingLabel(input.groups[i])) code[i] = encoder.add(input.groups[i] as Label);
  for (const key of Object.keys(input.expected ?? {})) encoder.add(key);
  const { classes: groupValues, remap } = encoder.finish();
  // A group given both as data (e.g. the number 1) and as an expected key ("1") is one group.
  const { keys, slotOf } = keySlots(groupValues);
  const k = keys.length;
  const count = new Float64Array(k);
  for (let i = 0; i < n; i++) if (code[i]! >= 0) count[(code[i] = slotOf[remap[code[i]!]!]!)]!++;
  const total = count.reduce((a, b) => a + b, 0);
  const notes: string[] = [];

  const labelled = new Float64Array(k);
  const positives = new Float64Array(k);
  if (input.labels) {
    const labels = input.labels;
    if (labels.length !== n) throw new RangeError(`groups has ${n} rows but labels has ${labels.length}`);
    const classes = new LabelEncoder();
    for (let i = 0; i < n; i++) if (!isMissingLabel(labels[i])) classes.add(labels[i] as Label);
    const values = classes.finish().classes;
    const positive = input.positive != null ? findLabel(values, input.positive) : values.length > 0 ? defaultPositive(values) : -1;
    const positiveKey = positive >= 0 ? labelKey(values[positive]!) : null;
    if (input.positive != null && positive < 0) notes.push(`positive value ${labelKey(input.positive as Label)} does not occur in the labels`);
    for (let i = 0; i < n; i++) {
      const v = labels[i];
      if (code[i]! < 0 || isMissingLabel(v)) continue;
      labelled[code[i]!]!++;
      if (positiveKey !== null && (v === values[positive] || labelKey(v as Label) === positiveKey)) positives[code[i]!]!++;
    }
  }
  const missingCells = new Float64Array(k);
  const columns = Object.entries(input.columns ?? {});
  for (const [name, col] of columns) {
    if (col.length !== n) throw new RangeError(`groups has ${n} rows but column ${name} has ${col.length}`);
    for (let i = 0; i < n; i++) if (code[i]! >= 0 && missingCell(col[i])) missingCells[code[i]!]!++;
  }

  const expected = input.expected;
  const expectedTotal = expected ? Object.values(expected).reduce((a, b) => a + b, 0) : 0;
  const flags: DataBiasFlag[] = [];
  const report: DataBiasReport = {
    status: total < 2 ? "not_enough_data" : "ok",
    passed: true,
    count: total,
    missingGroup: n - total,
    groups: {},
    baseRateDifference: null,
    flags,
    notes,
  };
  let lo = Infinity;
  let hi = -Infinity;
  let rated = 0;
  for (let j = 0; j < k; j++) {
    const key = keys[j]!;
    const c = count[j]!;
    const share = total > 0 ? c / total : 0;
    const exp = expected && key in expected && expectedTotal > 0 ? expected[key]! / expectedTotal : null;
    const entry: DataBiasGroup = {
      count: c,
      share,
      expectedShare: exp,
      baseRate: input.labels && labelled[j]! > 0 ? positives[j]! / labelled[j]! : null,
      missingRate: columns.length > 0 && c > 0 ? missingCells[j]! / (c * columns.length) : null,
    };
    report.groups[key] = entry;
    if (total < 2) continue;
    if (share < minShare) flags.push({ kind: "share_below_bound", group: key, observed: share, bound: minShare, message: `group ${key} is ${pct(share)} of rows, below ${pct(minShare)}` });
    if (exp !== null && share < exp * minShareRatio) {
      flags.push({ kind: "share_below_expected", group: key, observed: share, bound: exp * minShareRatio, message: `group ${key} is ${pct(share)} of rows, below ${minShareRatio} × its expected ${pct(exp)}` });
    }
    if (entry.baseRate !== null && labelled[j]! >= 2) {
      lo = Math.min(lo, entry.baseRate);
      hi = Math.max(hi, entry.baseRate);
      rated++;
    }
  }
  if (total < 2) notes.push("not enough data: fewer than 2 rows with a group value");
  else if (input.labels && rated < 2) notes.push("base rate difference: not enough data (fewer than 2 groups with at least 2 labelled rows)");
  else if (rated >= 2) {
    report.baseRateDifference = hi - lo;
    if (hi - lo > maxGap) {
      flags.push({ kind: "base_rate_difference", group: null, observed: hi - lo, bound: maxGap, message: `label base rates range from ${pct(lo)} to ${pct(hi)}, a gap above ${pct(maxGap)}` });
    }
  }
  report.passed = flags.length === 0;
  return report;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
