// Binary logistic regression, by hand, and the two model designs the example compares.
//
// A model is plain JSON (what gets saved as the artifact and loaded back by serving):
// the columns it reads, the standardiser, the one-hot categories, weights and bias.
// p(MALE | x) = σ(w · x + b); objective: mean cross-entropy + (l2 / 2) · ‖w‖².
import { LABEL, NEGATIVE, POSITIVE } from "./data.mjs";

/**
 * The two candidates. `full` reads every measurement and the species (sex is told apart
 * within a species, so it needs both). `mass-only` reads body mass alone: heavy species look
 * male and light ones female, so it is both less accurate and unfair across islands.
 */
export const DESIGNS = {
  full: {
    numeric: ["Beak Length (mm)", "Beak Depth (mm)", "Flipper Length (mm)", "Body Mass (g)"],
    categorical: ["Species"],
    epochs: 500,
    lr: 0.5,
    l2: 0.001,
  },
  "mass-only": { numeric: ["Body Mass (g)"], categorical: [], epochs: 500, lr: 0.5, l2: 0.001 },
};

/** Mean and population standard deviation of each numeric column (a constant column gets std 1). */
function fitScaler(rows, columns) {
  return columns.map((c) => {
    const values = rows.map((r) => r[c]);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length) || 1;
    return { column: c, mean, std };
  });
}

/** The input vector of one record: standardised numbers, then one-hot categories (an unseen category is all zeros). */
export function encode(model, record) {
  const x = [];
  for (const { column, mean, std } of model.scaler) x.push((Number(record[column]) - mean) / std);
  for (const { column, values } of model.categories) for (const v of values) x.push(record[column] === v ? 1 : 0);
  return x;
}

const sigmoid = (z) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** Full-batch gradient descent: deterministic, and on ~250 rows each step is microseconds. */
function fit(xs, ys, { epochs, lr, l2 }) {
  const d = xs[0].length;
  const w = new Array(d).fill(0);
  let b = 0;
  const n = xs.length;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const gw = new Array(d).fill(0);
    let gb = 0;
    for (let i = 0; i < n; i++) {
      let z = b;
      for (let j = 0; j < d; j++) z += w[j] * xs[i][j];
      const err = sigmoid(z) - ys[i];
      gb += err;
      for (let j = 0; j < d; j++) gw[j] += err * xs[i][j];
    }
    for (let j = 0; j < d; j++) w[j] -= lr * (gw[j] / n + l2 * w[j]);
    b -= lr * (gb / n);
  }
  return { weights: w, bias: b };
}

/** Train one design on labelled rows; returns the model as JSON-ready data. */
export function train(design, rows) {
  const spec = DESIGNS[design];
  if (!spec) throw new Error(`unknown design ${JSON.stringify(design)}: use ${Object.keys(DESIGNS).join(" or ")}`);
  const model = {
    kind: "logistic-regression",
    design,
    label: LABEL,
    positive: POSITIVE,
    negative: NEGATIVE,
    scaler: fitScaler(rows, spec.numeric),
    categories: spec.categorical.map((c) => ({ column: c, values: [...new Set(rows.map((r) => r[c]))].sort() })),
    hyper: { epochs: spec.epochs, lr: spec.lr, l2: spec.l2 },
    weights: [],
    bias: 0,
  };
  const xs = rows.map((r) => encode(model, r));
  const ys = rows.map((r) => (r[LABEL] === POSITIVE ? 1 : 0));
  Object.assign(model, fit(xs, ys, spec));
  return model;
}

/** The model's answer for one record: the probability of the positive class and the label at 0.5. */
export function predict(model, record) {
  const x = encode(model, record);
  let z = model.bias;
  for (let j = 0; j < x.length; j++) z += model.weights[j] * x[j];
  const score = sigmoid(z);
  return { score, label: score >= 0.5 ? model.positive : model.negative };
}

/** Accuracy and mean cross-entropy on labelled rows (what the run logs; the checks compute the full report). */
export function evaluate(model, rows) {
  let correct = 0;
  let loss = 0;
  for (const r of rows) {
    const { score, label } = predict(model, r);
    if (label === r[LABEL]) correct++;
    const p = r[LABEL] === model.positive ? score : 1 - score;
    loss -= Math.log(Math.max(p, 1e-15));
  }
  return { accuracy: correct / rows.length, loss: loss / rows.length };
}
