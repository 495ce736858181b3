import type { BiasGroup, BiasReport } from "../../schemas/checks.js";
import { defaultPositive, findLabel, isMissingLabel, keySlots, type Label, LabelEncoder, type LabelInput, labelKey } from "../performance/labels.js";

export interface FairnessInput {
  /** The sensitive column: one group value per row. */
  groups: ArrayLike<LabelInput>;
  labels: ArrayLike<LabelInput>;
  predictions: ArrayLike<LabelInput>;
  /** The favourable outcome, matched by its text; default "1"/"true" or the greater label. */
  positive?: LabelInput;
}

/**
 * Group fairness of a binary classifier as fairlearn defines it: per group the selection
 * rate (share predicted positive), true and false positive rates (0 when the group has
 * no actual positives / negatives, as fairlearn gets from sklearn's row-normalised
 * confusion matrix) and accuracy; across groups demographic parity difference
 * (max − min selection rate) and ratio (min / max), equal opportunity difference
 * (max − min TPR) and equalized odds difference (the larger of the TPR and FPR gaps).
 * Every label or prediction other than the positive class counts as negative.
 *
 * Where we differ, on purpose: a group with fewer than 2 rows reports "not enough data"
 * (null figures) and is left out of the across-group figures; a ratio whose maximum is 0
 * (nobody selected) is null, where fairlearn returns NaN.
 */
export function fairnessMetrics(input: FairnessInput): BiasReport {
  const { groups, labels, predictions } = input;
  const n = groups.length;
  if (labels.length !== n || predictions.length !== n) throw new RangeError(`groups, labels and predictions need the same length (${n}, ${labels.length}, ${predictions.length})`);
  const groupCodes = new LabelEncoder();
  const classes = new LabelEncoder();
  const g = new Int32Array(n).fill(-1);
  const y = new Int32Array(n);
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (isMissingLabel(groups[i]) || isMissingLabel(labels[i]) || isMissingLabel(predictions[i])) continue;
    g[i] = groupCodes.add(groups[i] as Label);
    y[i] = classes.add(labels[i] as Label);
    p[i] = classes.add(predictions[i] as Label);
  }
  const { classes: groupValues, remap: groupRemap } = groupCodes.finish();
  const { classes: labelValues, remap: labelRemap } = classes.finish();
  const notes: string[] = [];
  let positive = labelValues.length > 0 ? defaultPositive(labelValues) : -1;
  if (input.positive !== undefined && input.positive !== null) {
    positive = findLabel(labelValues, input.positive);
    if (positive < 0) notes.push(`positive value ${labelKey(input.positive as Label)} does not occur in labels or predictions`);
  }
  if (labelValues.length > 2) notes.push(`${labelValues.length} classes: every value other than the positive one counts as negative`);
  const { keys: groupKeys, slotOf } = keySlots(groupValues);
  const k = groupKeys.length;
  const count = new Float64Array(k);
  const selected = new Float64Array(k);
  const actualPos = new Float64Array(k);
  const tp = new Float64Array(k);
  const fp = new Float64Array(k);
  const correct = new Float64Array(k);
  let used = 0;
  for (let i = 0; i < n; i++) {
    if (g[i]! < 0) continue;
    const j = slotOf[groupRemap[g[i]!]!]!;
    const yp = labelRemap[y[i]!] === positive ? 1 : 0;
    const pp = labelRemap[p[i]!] === positive ? 1 : 0;
    count[j]!++;
    selected[j]! += pp;
    actualPos[j]! += yp;
    tp[j]! += yp & pp;
    fp[j]! += pp & (1 - yp);
    if (yp === pp) correct[j]!++;
    used++;
  }
  const report: BiasReport = {
    status: used < 2 ? "not_enough_data" : "ok",
    positive: positive >= 0 ? labelKey(labelValues[positive]!) : input.positive != null ? labelKey(input.positive as Label) : null,
    missing: n - used,
    groups: {},
    demographicParityDifference: null,
    demographicParityRatio: null,
    equalOpportunityDifference: null,
    equalizedOddsDifference: null,
    notes,
  };
  const range = { sel: [Infinity, -Infinity], tpr: [Infinity, -Infinity], fpr: [Infinity, -Infinity] };
  const widen = (r: number[], v: number) => {
    if (v < r[0]!) r[0] = v;
    if (v > r[1]!) r[1] = v;
  };
  let compared = 0;
  for (let j = 0; j < k; j++) {
    const c = count[j]!;
    const entry: BiasGroup = { count: c, selectionRate: null, truePositiveRate: null, falsePositiveRate: null, accuracy: null };
    report.groups[groupKeys[j]!] = entry;
    if (c < 2) {
      notes.push(`group ${groupKeys[j]}: not enough data (${c} row)`);
      continue;
    }
    const actualNeg = c - actualPos[j]!;
    entry.selectionRate = selected[j]! / c;
    entry.truePositiveRate = actualPos[j]! === 0 ? 0 : tp[j]! / actualPos[j]!;
    entry.falsePositiveRate = actualNeg === 0 ? 0 : fp[j]! / actualNeg;
    entry.accuracy = correct[j]! / c;
    widen(range.sel, entry.selectionRate);
    widen(range.tpr, entry.truePositiveRate);
    widen(range.fpr, entry.falsePositiveRate);
    compared++;
  }
  if (used < 2) {
    notes.push("not enough data: fewer than 2 rows with a group, a label and a prediction");
    return report;
  }
  if (compared < 2) {
    notes.push("not enough data: fewer than 2 groups with at least 2 rows");
    return report;
  }
  const gap = (r: number[]) => r[1]! - r[0]!;
  report.demographicParityDifference = gap(range.sel);
  report.demographicParityRatio = range.sel[1]! === 0 ? null : range.sel[0]! / range.sel[1]!;
  if (range.sel[1]! === 0) notes.push("demographic parity ratio is undefined: no group has a positive prediction");
  report.equalOpportunityDifference = gap(range.tpr);
  report.equalizedOddsDifference = Math.max(gap(range.tpr), gap(range.fpr));
  return report;
}
