#!/usr/bin/env node
// Train a softmax regression on the Palmer penguins and log the run to Cairn.
//
//   node train.mjs [--lr 0.1] [--epochs 100] [--l2 0.001] [--batch-size 16] [--seed 42]
//                  [--project penguins] [--val-fraction 0.2] [--dry-run]
//
// The SDK reads CAIRN_URL and CAIRN_API_KEY from the environment. --dry-run trains and
// prints without talking to Cairn.
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  FEATURES,
  fitStandardiser,
  loadPenguins,
  rng,
  shuffle,
  standardise,
  stratifiedSplit,
  take,
  toMatrix,
} from "./data.mjs";
import { createModel, evaluate, step } from "./softmax.mjs";

const USAGE = `usage: train.mjs [--lr 0.1] [--epochs 100] [--l2 0.001] [--batch-size 16] [--seed 42]
                 [--project penguins] [--val-fraction 0.2] [--dry-run]`;

/** Parse and check the command line; throws with a readable message on a bad value. */
export function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      lr: { type: "string", default: "0.1" },
      epochs: { type: "string", default: "100" },
      l2: { type: "string", default: "0.001" },
      "batch-size": { type: "string", default: "16" },
      seed: { type: "string", default: "42" },
      project: { type: "string", default: "penguins" },
      "val-fraction": { type: "string", default: "0.2" },
      "dry-run": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  const num = (flag, ok, what) => {
    const v = Number(values[flag]);
    if (values[flag].trim() === "" || !Number.isFinite(v) || !ok(v)) {
      throw new Error(`--${flag} must be ${what}, got ${JSON.stringify(values[flag])}`);
    }
    return v;
  };
  const int = (v) => Number.isInteger(v);
  return {
    lr: num("lr", (v) => v > 0, "a positive number"),
    epochs: num("epochs", (v) => int(v) && v > 0, "a positive integer"),
    l2: num("l2", (v) => v >= 0, "a non-negative number"),
    batchSize: num("batch-size", (v) => int(v) && v > 0, "a positive integer"),
    seed: num("seed", (v) => int(v) && v >= 0, "a non-negative integer"),
    valFraction: num("val-fraction", (v) => v > 0 && v < 1, "a number between 0 and 1"),
    project: values.project,
    dryRun: values["dry-run"],
    help: values.help,
  };
}

/**
 * Train and (unless --dry-run) log to Cairn.
 * @param {string[]} argv command-line arguments, without `node train.mjs`
 * @returns the final figures, the options used and, when logged, the run's id and URL
 */
export async function main(argv = process.argv.slice(2)) {
  const opts = parseOptions(argv);
  if (opts.help) {
    console.log(USAGE);
    return undefined;
  }
  const { project, dryRun } = opts;
  const hyper = {
    lr: opts.lr,
    epochs: opts.epochs,
    l2: opts.l2,
    batchSize: opts.batchSize,
    seed: opts.seed,
    valFraction: opts.valFraction,
    features: FEATURES.map((f) => f.name).join(","),
  };

  let run;
  if (!dryRun) {
    // Imported lazily so --dry-run works even before the SDK is built.
    const { init } = await import("@cairn/sdk");
    run = await init({
      project,
      name: `logreg-lr${hyper.lr}`,
      params: hyper,
      seed: hyper.seed,
      tags: { model: "softmax-regression", dataset: "vega-datasets/penguins" },
    });
  }
  // Train with what the run records: under `cairn rerun <id> --set lr=0.3` the run's params
  // (the original ones with the overrides) come through init(), not through the command line.
  const used = run ? run.params : hyper;
  const lr = Number(used.lr);
  const epochs = Number(used.epochs);
  const l2 = Number(used.l2);
  const batchSize = Number(used.batchSize);
  const seed = Number(used.seed);
  const valFraction = Number(used.valFraction);

  // Data: drop incomplete rows, split per species, standardise with training statistics only.
  const random = rng(seed);
  const all = toMatrix(await loadPenguins());
  const split = stratifiedSplit(all.y, valFraction, random);
  const rawTrain = take(all, split.train);
  const scaler = fitStandardiser(rawTrain);
  const train = standardise(rawTrain, scaler);
  const val = standardise(take(all, split.val), scaler);
  const params = { ...hyper, lr, epochs, l2, batchSize, seed, valFraction, trainRows: train.n, valRows: val.n, classes: all.classes.join(",") };

  if (run) {
    run.logParams({ trainRows: train.n, valRows: val.n, classes: params.classes });
    // The exact rows the model saw, versioned by content: the same split logs the same
    // version again, and lineage leads from the model file back to them.
    await Promise.all([
      run.logDataset({ name: "penguins-train", data: split.train.map((i) => all.rows[i]), role: "train" }),
      run.logDataset({ name: "penguins-validation", data: split.val.map((i) => all.rows[i]), role: "validation" }),
    ]);
  }

  const model = createModel(train.d, all.classes.length);
  const order = Array.from({ length: train.n }, (_, i) => i);
  let trainFig;
  let valFig;
  for (let epoch = 0; epoch < epochs; epoch++) {
    shuffle(order, random);
    for (let start = 0; start < order.length; start += batchSize) {
      step(model, train, order.slice(start, start + batchSize), lr, l2);
    }
    trainFig = evaluate(model, train);
    valFig = evaluate(model, val);
    run?.log(
      {
        "train/loss": trainFig.loss,
        "train/accuracy": trainFig.accuracy,
        "val/loss": valFig.loss,
        "val/accuracy": valFig.accuracy,
      },
      { step: epoch },
    );
    if (epoch % 10 === 0 || epoch === epochs - 1) {
      console.log(
        `epoch ${String(epoch).padStart(4)}  train loss ${trainFig.loss.toFixed(4)} acc ${trainFig.accuracy.toFixed(4)}` +
          `  val loss ${valFig.loss.toFixed(4)} acc ${valFig.accuracy.toFixed(4)}`,
      );
    }
  }

  if (run) {
    // Everything needed to serve the model: weights, the standardiser and the label order.
    await run.logJSON("model/model.json", {
      kind: "softmax-regression",
      features: FEATURES.map((f) => f.column),
      classes: all.classes,
      scaler: { mean: Array.from(scaler.mean), std: Array.from(scaler.std) },
      weights: Array.from(model.w),
      bias: Array.from(model.b),
      d: model.d,
      k: model.k,
    });
    await run.finish();
    console.log(`run: ${run.url}`);
  }
  console.log(
    `final: val/accuracy=${valFig.accuracy.toFixed(4)} val/loss=${valFig.loss.toFixed(4)} ` +
      `train/accuracy=${trainFig.accuracy.toFixed(4)} (lr=${lr} epochs=${epochs} l2=${l2} ` +
      `train=${train.n} val=${val.n}${dryRun ? ", dry run" : ""})`,
  );
  return { params, train: trainFig, val: valFig, runId: run?.id, runUrl: run?.url };
}

// Run only when executed directly (`node train.mjs`), not when imported by a test.
const invokedDirectly =
  process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
if (invokedDirectly) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
