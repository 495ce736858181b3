import type { RegressionReport } from "../../schemas/checks.js";
import { CompensatedSum } from "./labels.js";

export interface RegressionInput {
  labels: ArrayLike<number | null | undefined>;
  predictions: ArrayLike<number | null | undefined>;
}

/** sklearn's MAPE guard: |y_true| below this is replaced by it (np.finfo(np.float64).eps). */
export const MAPE_EPSILON = 2.220446049250313e-16;

const present = (v: number | null | undefined): v is number => v !== null && v !== undefined && Number.isFinite(v);

/**
 * Regression metrics with scikit-learn's definitions: mean_absolute_error,
 * root of mean_squared_error, r2_score (force_finite: a constant y_true gives 1 when the
 * predictions are perfect, else 0), mean_absolute_percentage_error (|y − ŷ| / max(|y|, eps),
 * so a zero y_true with an error gives a huge but finite value, as sklearn). Rows with a
 * missing or non-finite label or prediction are excluded and counted. Two passes, no
 * allocation beyond a row index.
 */
export function regressionMetrics(input: RegressionInput): RegressionReport {
  const { labels, predictions } = input;
  const n = labels.length;
  if (predictions.length !== n) throw new RangeError(`labels has ${n} rows but predictions has ${predictions.length}`);
  const abs = new CompensatedSum();
  const sq = new CompensatedSum();
  const pct = new CompensatedSum();
  const ySum = new CompensatedSum();
  let count = 0;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    const p = predictions[i];
    if (!present(y) || !present(p)) continue;
    const e = y - p;
    abs.add(Math.abs(e));
    sq.add(e * e);
    pct.add(Math.abs(p - y) / Math.max(Math.abs(y), MAPE_EPSILON));
    ySum.add(y);
    count++;
  }
  const report: RegressionReport = { task: "regression", status: "ok", count, missing: n - count, mae: null, rmse: null, r2: null, mape: null, notes: [] };
  if (count < 2) {
    report.status = "not_enough_data";
    report.notes.push("not enough data: fewer than 2 rows with both a label and a prediction");
    return report;
  }
  const mean = ySum.value / count;
  const tot = new CompensatedSum();
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (!present(y) || !present(predictions[i])) continue;
    tot.add((y - mean) * (y - mean));
  }
  const ssRes = sq.value;
  const ssTot = tot.value;
  report.mae = abs.value / count;
  report.rmse = Math.sqrt(ssRes / count);
  report.mape = pct.value / count;
  if (ssTot !== 0) report.r2 = 1 - ssRes / ssTot;
  else {
    report.r2 = ssRes === 0 ? 1 : 0;
    report.notes.push("labels are constant: R² is 1 for perfect predictions, else 0 (sklearn's force_finite)");
  }
  return report;
}
