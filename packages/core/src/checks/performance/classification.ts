import type { ClassificationReport } from "../../schemas/checks.js";
import { defaultPositive, findLabel, isMissingLabel, type Label, LabelEncoder, type LabelInput, labelKey } from "./labels.js";
import { binaryLogLoss, binaryRocAuc, multiclassLogLoss } from "./scores.js";

export interface ClassificationInput {
  labels: ArrayLike<LabelInput>;
  predictions: ArrayLike<LabelInput>;
  /** Binary: the probability (or any score, for ROC AUC) of the positive class per row. */
  scores?: ArrayLike<number | null | undefined>;
  /** Multi-class: one probability column per class, for one-vs-rest ROC AUC and log loss. */
  classScores?: { labels: readonly Label[]; scores: readonly ArrayLike<number | null | undefined>[] };
  /** The positive class of a binary problem, matched by its text ("1" finds 1). */
  positive?: LabelInput;
}

const ratio = (num: number, den: number) => (den === 0 ? 0 : num / den);

/**
 * Classification metrics with scikit-learn's (1.2) definitions: accuracy_score,
 * precision/recall/f1 with zero_division="warn" (an undefined ratio is 0),
 * confusion_matrix over the sorted union of labels, roc_auc_score (binary, or one-vs-rest
 * macro), log_loss. A problem with at most two classes is binary (figures for the
 * positive class); with more, precision/recall/f1 are the macro averages.
 */
export function classificationMetrics(input: ClassificationInput): ClassificationReport {
  const { labels, predictions } = input;
  const n = labels.length;
  if (predictions.length !== n) throw new RangeError(`labels has ${n} rows but predictions has ${predictions.length}`);
  const encoder = new LabelEncoder();
  const truth = new Int32Array(n).fill(-1);
  const pred = new Int32Array(n).fill(-1);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    const p = predictions[i];
    if (isMissingLabel(y) || isMissingLabel(p)) continue;
    truth[i] = encoder.add(y as Label);
    pred[i] = encoder.add(p as Label);
    count++;
  }
  const { classes, remap } = encoder.finish();
  const rows = new Uint32Array(count);
  for (let i = 0, k = 0; i < n; i++) {
    if (truth[i]! < 0) continue;
    truth[i] = remap[truth[i]!]!;
    pred[i] = remap[pred[i]!]!;
    rows[k++] = i;
  }
  const k = classes.length;
  const matrix = new Float64Array(k * k);
  let correct = 0;
  for (let r = 0; r < count; r++) {
    const i = rows[r]!;
    matrix[truth[i]! * k + pred[i]!]!++;
    if (truth[i] === pred[i]) correct++;
  }
  const notes: string[] = [];
  const binary = k <= 2;
  let positive = binary && k > 0 ? defaultPositive(classes) : -1;
  if (input.positive !== undefined && input.positive !== null) {
    positive = findLabel(classes, input.positive);
    if (positive < 0) notes.push(`positive class ${labelKey(input.positive as Label)} does not occur in labels or predictions`);
  }
  const report: ClassificationReport = {
    task: "classification",
    status: count < 2 ? "not_enough_data" : "ok",
    count,
    missing: n - count,
    average: binary ? "binary" : "macro",
    positive: positive >= 0 ? labelKey(classes[positive]!) : input.positive != null ? labelKey(input.positive as Label) : null,
    accuracy: null,
    precision: null,
    recall: null,
    f1: null,
    macroPrecision: null,
    macroRecall: null,
    macroF1: null,
    rocAuc: null,
    logLoss: null,
    confusionMatrix: { labels: classes.map(labelKey), matrix: Array.from({ length: k }, (_, t) => Array.from(matrix.subarray(t * k, t * k + k))) },
    notes,
  };
  if (count < 2) {
    notes.push("not enough data: fewer than 2 rows with both a label and a prediction");
    return report;
  }
  report.accuracy = correct / count;
  const prf = (c: number) => {
    let tp = 0;
    let predicted = 0;
    let actual = 0;
    if (c >= 0) {
      tp = matrix[c * k + c]!;
      for (let j = 0; j < k; j++) {
        predicted += matrix[j * k + c]!;
        actual += matrix[c * k + j]!;
      }
    }
    const p = ratio(tp, predicted);
    const r = ratio(tp, actual);
    return { p, r, f: ratio(2 * p * r, p + r), predicted, actual };
  };
  let sp = 0;
  let sr = 0;
  let sf = 0;
  for (let c = 0; c < k; c++) {
    const m = prf(c);
    sp += m.p;
    sr += m.r;
    sf += m.f;
  }
  report.macroPrecision = sp / k;
  report.macroRecall = sr / k;
  report.macroF1 = sf / k;
  if (binary && input.positive != null && positive < 0) {
    report.precision = report.recall = report.f1 = 0;
  } else if (binary) {
    const m = prf(positive);
    report.precision = m.p;
    report.recall = m.r;
    report.f1 = m.f;
    if (m.predicted === 0) notes.push("precision is ill-defined (no positive predictions): set to 0 as sklearn's zero_division='warn'");
    if (m.actual === 0) notes.push("recall is ill-defined (no positive labels): set to 0 as sklearn's zero_division='warn'");
  } else {
    report.precision = report.macroPrecision;
    report.recall = report.macroRecall;
    report.f1 = report.macroF1;
  }
  if (input.scores) scoreBinary(input.scores, rows, truth, binary ? positive : -1, report);
  if (input.classScores) scoreMulticlass(input.classScores, rows, truth, classes, report);
  return report;
}

/** Rows among `rows` whose scores are all present. */
function scoredRows(rows: Uint32Array, columns: readonly ArrayLike<number | null | undefined>[]): Uint32Array {
  const kept = new Uint32Array(rows.length);
  let m = 0;
  for (let r = 0; r < rows.length; r++) {
    const i = rows[r]!;
    let ok = true;
    for (const col of columns) {
      const s = col[i];
      if (s === null || s === undefined || Number.isNaN(s)) ok = false;
    }
    if (ok) kept[m++] = i;
  }
  return kept.subarray(0, m);
}

function scoreBinary(scores: ArrayLike<number | null | undefined>, rows: Uint32Array, truth: Int32Array, positive: number, report: ClassificationReport) {
  if (scores.length !== truth.length) throw new RangeError(`scores has ${scores.length} rows but labels has ${truth.length}`);
  if (positive < 0) {
    report.notes.push("scores are for a binary problem with a known positive class: ROC AUC and log loss not computed");
    return;
  }
  const kept = scoredRows(rows, [scores]);
  if (kept.length < rows.length) report.notes.push(`${rows.length - kept.length} rows without a score excluded from ROC AUC and log loss`);
  if (kept.length < 2) {
    report.notes.push("not enough data for ROC AUC and log loss: fewer than 2 scored rows");
    return;
  }
  const isPositive = new Uint8Array(truth.length);
  for (let r = 0; r < kept.length; r++) isPositive[kept[r]!] = truth[kept[r]!] === positive ? 1 : 0;
  const auc = binaryRocAuc(scores as ArrayLike<number>, isPositive, kept);
  if (Number.isNaN(auc)) report.notes.push("ROC AUC is undefined: only one class is present in the labels");
  else report.rocAuc = auc;
  report.logLoss = binaryLogLoss(scores as ArrayLike<number>, isPositive, kept);
}

function scoreMulticlass(
  given: NonNullable<ClassificationInput["classScores"]>,
  rows: Uint32Array,
  truth: Int32Array,
  classes: readonly Label[],
  report: ClassificationReport,
) {
  if (given.labels.length !== given.scores.length) throw new RangeError("classScores needs one score column per label");
  // Column of each class (by its text), −1 when the caller gave none.
  const column = classes.map((c) => findLabel(given.labels, c));
  const kept = scoredRows(rows, given.scores);
  if (kept.length < rows.length) report.notes.push(`${rows.length - kept.length} rows without every class score excluded from ROC AUC and log loss`);
  const present = new Uint8Array(classes.length);
  for (let r = 0; r < kept.length; r++) present[truth[kept[r]!]!] = 1;
  const missingColumn = classes.filter((_, c) => present[c] && column[c]! < 0);
  if (missingColumn.length > 0) {
    report.notes.push(`no score column for true class ${missingColumn.map(labelKey).join(", ")}: ROC AUC and log loss not computed`);
    return;
  }
  if (kept.length < 2) return;
  const truthColumn = new Int32Array(truth.length);
  for (let r = 0; r < kept.length; r++) truthColumn[kept[r]!] = column[truth[kept[r]!]!]!;
  report.logLoss = multiclassLogLoss(given.scores as ArrayLike<number>[], truthColumn, kept);
  // One-vs-rest over the classes present in the labels, unweighted mean (average="macro").
  let sum = 0;
  let used = 0;
  const isPositive = new Uint8Array(truth.length);
  for (let c = 0; c < classes.length; c++) {
    if (!present[c]) continue;
    for (let r = 0; r < kept.length; r++) isPositive[kept[r]!] = truth[kept[r]!] === c ? 1 : 0;
    const auc = binaryRocAuc(given.scores[column[c]!] as ArrayLike<number>, isPositive, kept);
    if (Number.isNaN(auc)) {
      report.notes.push("ROC AUC is undefined: only one class is present in the labels");
      return;
    }
    sum += auc;
    used++;
  }
  report.rocAuc = sum / used;
}
