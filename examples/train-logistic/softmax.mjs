// Multinomial logistic (softmax) regression, by hand, on Float64Arrays.
//
// Model: p(k | x) = softmax(W x + b)_k with W of shape k×d (row-major) and b of length k.
// Objective: mean cross-entropy + (l2 / 2) · ‖W‖² (the bias is not penalised).

/** A zero-initialised model; with standardised inputs zero is a fine start (the loss is convex). */
export function createModel(d, k) {
  return { d, k, w: new Float64Array(k * d), b: new Float64Array(k) };
}

/** Write the class probabilities of row `row` of `x` into `out` (length k). Numerically stable. */
export function predictProba(model, x, row, out) {
  const { d, k, w, b } = model;
  let max = -Infinity;
  for (let c = 0; c < k; c++) {
    let z = b[c];
    for (let j = 0; j < d; j++) z += w[c * d + j] * x[row * d + j];
    out[c] = z;
    if (z > max) max = z;
  }
  let sum = 0;
  for (let c = 0; c < k; c++) {
    out[c] = Math.exp(out[c] - max);
    sum += out[c];
  }
  for (let c = 0; c < k; c++) out[c] /= sum;
  return out;
}

/**
 * One gradient-descent step on the rows `batch` (indices into x/y).
 * Gradient of the mean cross-entropy: (p − onehot(y)) xᵀ / |batch|, plus l2 · W.
 */
export function step(model, { x, y }, batch, lr, l2) {
  const { d, k, w, b } = model;
  const gw = new Float64Array(k * d);
  const gb = new Float64Array(k);
  const p = new Float64Array(k);
  for (const row of batch) {
    predictProba(model, x, row, p);
    p[y[row]] -= 1;
    for (let c = 0; c < k; c++) {
      gb[c] += p[c];
      for (let j = 0; j < d; j++) gw[c * d + j] += p[c] * x[row * d + j];
    }
  }
  const m = batch.length;
  for (let i = 0; i < w.length; i++) w[i] -= lr * (gw[i] / m + l2 * w[i]);
  for (let c = 0; c < k; c++) b[c] -= lr * (gb[c] / m);
}

/** Mean cross-entropy (without the penalty, so train and validation are comparable) and accuracy. */
export function evaluate(model, { x, y, n }) {
  const p = new Float64Array(model.k);
  let loss = 0;
  let correct = 0;
  for (let i = 0; i < n; i++) {
    predictProba(model, x, i, p);
    loss -= Math.log(Math.max(p[y[i]], 1e-15));
    let best = 0;
    for (let c = 1; c < model.k; c++) if (p[c] > p[best]) best = c;
    if (best === y[i]) correct++;
  }
  return { loss: loss / n, accuracy: correct / n };
}
