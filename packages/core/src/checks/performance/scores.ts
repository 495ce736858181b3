import { sortFloat64 } from "../../datasets/sort.js";

/**
 * Binary ROC AUC as sklearn's roc_auc_score: the trapezoidal area under the ROC curve,
 * which with tied scores equals the Mann–Whitney statistic counting a tied
 * positive/negative pair as one half. Computed from the two sorted score samples in
 * O(n log n) with integer pair counts (exact below 2^53 pairs), then one division.
 * `positive[i]` is 1 for a row of the positive class. Returns NaN when either class is
 * absent (sklearn raises: the AUC is undefined).
 */
export function binaryRocAuc(scores: ArrayLike<number>, positive: Uint8Array, rows?: Uint32Array): number {
  const n = rows ? rows.length : scores.length;
  let nPos = 0;
  for (let k = 0; k < n; k++) nPos += positive[rows ? rows[k]! : k]!;
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return Number.NaN;
  const pos = new Float64Array(nPos);
  const neg = new Float64Array(nNeg);
  let p = 0;
  let q = 0;
  for (let k = 0; k < n; k++) {
    const i = rows ? rows[k]! : k;
    if (positive[i]) pos[p++] = scores[i]!;
    else neg[q++] = scores[i]!;
  }
  sortFloat64(pos);
  sortFloat64(neg);
  // twice (pairs with pos > neg) + (tied pairs): stays an integer.
  let twice = 0;
  let j = 0;
  for (let i = 0; i < nPos; ) {
    const v = pos[i]!;
    let run = 1;
    while (i + run < nPos && pos[i + run] === v) run++;
    while (j < nNeg && neg[j]! < v) j++;
    let ties = 0;
    while (j + ties < nNeg && neg[j + ties] === v) ties++;
    twice += run * (2 * j + ties);
    i += run;
  }
  return twice / (2 * nPos * nNeg);
}

/** sklearn's log_loss clip bound in the installed version (1.2): eps="auto" = float64 eps. */
export const LOG_LOSS_EPS = 2.220446049250313e-16;

const clip = (p: number) => Math.min(Math.max(p, LOG_LOSS_EPS), 1 - LOG_LOSS_EPS);

/**
 * Binary log loss from the positive class's probability, as sklearn 1.2's log_loss:
 * clip p to [eps, 1 − eps], form [1 − p, p], renormalise the row, take −ln of the true
 * class's share; mean over rows.
 */
export function binaryLogLoss(scores: ArrayLike<number>, positive: Uint8Array, rows: Uint32Array): number {
  let sum = 0;
  let c = 0;
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k]!;
    const p = clip(scores[i]!);
    const q = 1 - p;
    const x = -Math.log((positive[i] ? p : q) / (q + p));
    const t = sum + x;
    c += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
    sum = t;
  }
  return (sum + c) / rows.length;
}

/**
 * Multi-class log loss from one probability column per class (sklearn 1.2: clip every
 * entry, renormalise the row by its sum, −ln of the true class's share). `truth[i]` is
 * the column of row i's true class.
 */
export function multiclassLogLoss(columns: readonly ArrayLike<number>[], truth: Int32Array, rows: Uint32Array): number {
  let sum = 0;
  let c = 0;
  for (let k = 0; k < rows.length; k++) {
    const i = rows[k]!;
    let rowSum = 0;
    for (const col of columns) rowSum += clip(col[i]!);
    const x = -Math.log(clip(columns[truth[i]!]![i]!) / rowSum);
    const t = sum + x;
    c += Math.abs(sum) >= Math.abs(x) ? sum - t + x : x - t + sum;
    sum = t;
  }
  return (sum + c) / rows.length;
}
