import type { FeatureValue, PredictionOutput } from "../schemas/monitoring.js";

/** Distinct label classes tracked in a confusion table; beyond it pairs are counted in `other`. */
export const MAX_LABEL_CLASSES = 200;

/** A matched label and the output of its prediction. */
export interface LabelPair {
  label: string | number | boolean;
  output: PredictionOutput;
}

/**
 * Figures of matched labels in a window. Every pair counts in `count`; pairs whose label and
 * prediction are both classes (strings, booleans or integers) fill the confusion table
 * (actual → predicted → n); numeric pairs add to the regression sums. Which task a window is
 * scored as is decided when it is summarised.
 */
export interface LabelAggregate {
  count: number;
  confusion: Record<string, Record<string, number>>;
  /** Pairs not in the confusion table (too many classes, or no predicted class). */
  other: number;
  regression: { count: number; sumAbs: number; sumSq: number; sumError: number };
}

const dict = <T>(): Record<string, T> => Object.create(null);

export const emptyLabels = (): LabelAggregate => ({ count: 0, confusion: dict(), other: 0, regression: { count: 0, sumAbs: 0, sumSq: 0, sumError: 0 } });

/** The class or value an output stands for: the scalar itself, or `label`/`class`/`prediction`/`value` of an object output. */
export function predictedValue(output: PredictionOutput): FeatureValue | undefined {
  if (output === null || typeof output !== "object") return output;
  for (const k of ["label", "class", "prediction", "value"]) if (Object.hasOwn(output, k)) return output[k];
  return undefined;
}

const isClass = (v: unknown): v is string | number | boolean => typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isInteger(v));

function addConfusion(into: LabelAggregate, actual: string, pred: string, n: number): void {
  let row = into.confusion[actual];
  if (!row) {
    if (Object.keys(into.confusion).length >= MAX_LABEL_CLASSES) {
      into.other += n;
      return;
    }
    row = into.confusion[actual] = dict();
  }
  row[pred] = (row[pred] ?? 0) + n;
}

export function aggregateLabelPairs(pairs: readonly LabelPair[]): LabelAggregate {
  const out = emptyLabels();
  for (const { label, output } of pairs) {
    out.count++;
    const p = predictedValue(output);
    if (isClass(label) && isClass(p)) addConfusion(out, String(label), String(p), 1);
    else out.other++;
    if (typeof label === "number" && typeof p === "number" && Number.isFinite(label) && Number.isFinite(p)) {
      const e = p - label;
      out.regression.count++;
      out.regression.sumAbs += Math.abs(e);
      out.regression.sumSq += e * e;
      out.regression.sumError += e;
    }
  }
  return out;
}

export function mergeLabels(a: LabelAggregate, b: LabelAggregate): LabelAggregate {
  const out = emptyLabels();
  out.count = a.count + b.count;
  out.other = a.other + b.other;
  for (const src of [a, b]) for (const [actual, row] of Object.entries(src.confusion)) for (const [pred, n] of Object.entries(row)) addConfusion(out, actual, pred, n);
  const ra = a.regression;
  const rb = b.regression;
  out.regression = { count: ra.count + rb.count, sumAbs: ra.sumAbs + rb.sumAbs, sumSq: ra.sumSq + rb.sumSq, sumError: ra.sumError + rb.sumError };
  return out;
}
