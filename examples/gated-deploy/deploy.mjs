#!/usr/bin/env node
// Train two models that predict a penguin's sex, register both, check both, and let the
// promotion gate decide which one serves: the full model is promoted to `production`,
// the mass-only model is refused with the rules it failed.
//
//   node deploy.mjs [--project penguins-gate] [--model penguin-sex] [--seed 2026] [--test-fraction 0.25]
//
// The SDK reads CAIRN_URL and CAIRN_API_KEY from the environment. Exit code 0 when the gate
// decided as designed (full promoted, mass-only refused), 1 otherwise.
import { readFile } from "node:fs/promises";
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Cairn, GateRefusedError, init } from "@cairn/sdk";
import { behaviourCases, PRODUCTION_POLICY } from "./checks.mjs";
import { cleanRows, features, LABEL, loadPenguins, POSITIVE, SENSITIVE, shifted, split } from "./data.mjs";
import { DESIGNS, evaluate, predict, train } from "./models.mjs";

const USAGE = "usage: deploy.mjs [--project penguins-gate] [--model penguin-sex] [--seed 2026] [--test-fraction 0.25]";

/** Parse and check the command line; throws with a readable message on a bad value. */
export function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      project: { type: "string", default: "penguins-gate" },
      model: { type: "string", default: "penguin-sex" },
      seed: { type: "string", default: "2026" },
      "test-fraction": { type: "string", default: "0.25" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  const seed = Number(values.seed);
  if (values.seed.trim() === "" || !Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got ${JSON.stringify(values.seed)}`);
  const testFraction = Number(values["test-fraction"]);
  if (values["test-fraction"].trim() === "" || !(testFraction > 0 && testFraction < 1)) {
    throw new Error(`--test-fraction must be a number between 0 and 1, got ${JSON.stringify(values["test-fraction"])}`);
  }
  return { project: values.project, model: values.model, seed, testFraction, help: values.help };
}

/** The test rows with the model's answers beside them: what the performance and bias checks read. */
const scored = (model, rows) =>
  rows.map((r) => {
    const { label, score } = predict(model, r);
    return { ...r, prediction: label, score };
  });

/** Train one design in its own run, register it and record the four client-side checks. */
async function trainAndCheck(client, design, ctx) {
  const { project, modelName, seed, testFraction, data } = ctx;
  const { numeric, categorical, epochs, lr, l2 } = DESIGNS[design];
  const inputs = [...numeric, ...categorical].join(", ");
  const run = await init({
    project,
    name: `sex-${design}`,
    params: { design, inputs, epochs, lr, l2, seed, testFraction },
    seed,
    tags: { model: "logistic-regression", dataset: "vega-datasets/penguins" },
  });
  // Content-addressed: both runs log the same rows, so both versions point at the same
  // dataset versions and "not worse than production" compares them on the same test set.
  const [trainSet, testSet, shiftedSet] = await Promise.all([
    run.logDataset({ name: "penguins-sex-train", data: data.train, role: "train" }),
    run.logDataset({ name: "penguins-sex-test", data: data.test, role: "test" }),
    run.logDataset({ name: "penguins-sex-shifted", data: data.shifted, role: "current" }),
  ]);

  const model = train(design, data.train);
  const fit = evaluate(model, data.train);
  const held = evaluate(model, data.test);
  run.log({ "train/accuracy": fit.accuracy, "train/loss": fit.loss, "test/accuracy": held.accuracy, "test/loss": held.loss });
  await run.logJSON("model/model.json", model);
  // Waits for the upload, then freezes the file with the version: later runs cannot change it.
  const version = await run.registerModel(modelName, "model/model.json", {
    labelColumn: LABEL,
    framework: "logistic-regression (examples/gated-deploy)",
    description: `${design}: ${inputs}`,
  });
  await run.finish();

  const rows = scored(model, data.test);
  const checks = [
    await client.models.check(modelName, version.version, {
      kind: "performance",
      task: "classification",
      data: rows,
      label: LABEL,
      prediction: "prediction",
      score: "score",
      positive: POSITIVE,
      dataset: { datasetVersion: testSet, role: "test" },
    }),
    await client.models.check(modelName, version.version, {
      kind: "bias",
      data: rows,
      group: SENSITIVE,
      label: LABEL,
      prediction: "prediction",
      positive: POSITIVE,
      datasets: [{ datasetVersion: testSet, role: "test" }],
    }),
    await client.models.check(modelName, version.version, {
      kind: "drift",
      reference: features(data.train),
      current: features(data.shifted),
      datasets: [
        { datasetVersion: trainSet, role: "reference" },
        { datasetVersion: shiftedSet, role: "current" },
      ],
    }),
    await client.models.check(modelName, version.version, {
      kind: "behaviour",
      predict: (input) => predict(model, input),
      cases: behaviourCases(),
    }),
  ];
  return { design, version: version.version, runId: run.id, accuracy: held.accuracy, checks };
}

/** Try the gate; a refusal is an answer, not an error. */
async function tryPromote(client, modelName, candidate) {
  try {
    const result = await client.models.promote(modelName, candidate.version, "production", {
      reason: `examples/gated-deploy: ${candidate.design} model, test accuracy ${candidate.accuracy.toFixed(3)}`,
    });
    return { ...candidate, promoted: true, evaluation: result.evaluation };
  } catch (err) {
    if (!(err instanceof GateRefusedError)) throw err;
    return { ...candidate, promoted: false, evaluation: err.evaluation, refusal: err.message };
  }
}

/** One paragraph per version: promoted, or refused with the SDK's account of each failed rule (observed against the bound, and the evidence). */
function describe(modelName, outcome) {
  const head = `${modelName} v${outcome.version} (${outcome.design}, test accuracy ${outcome.accuracy.toFixed(3)}): `;
  const { evaluation } = outcome;
  if (outcome.promoted) return `${head}PROMOTED to production (evaluation ${evaluation.id}: ${evaluation.rules.length} of ${evaluation.rules.length} rules passed)`;
  return `${head}REFUSED (evaluation ${evaluation.id})\n${outcome.refusal}`;
}

/**
 * The whole story against a running server.
 * @param {string[]} argv command-line arguments, without `node deploy.mjs`
 * @returns each version's outcome and what serving loads as `production`
 */
export async function main(argv = process.argv.slice(2)) {
  const opts = parseOptions(argv);
  if (opts.help) {
    console.log(USAGE);
    return undefined;
  }
  const { project, model: modelName, seed, testFraction } = opts;
  const rows = cleanRows(await loadPenguins());
  const { train: trainRows, test } = split(rows, testFraction, seed);
  const data = { train: trainRows, test, shifted: shifted(test) };
  console.log(`penguins: ${rows.length} rows with a known sex → train ${trainRows.length}, test ${test.length} (seed ${seed})`);

  // The client's project is the one every models call works in.
  const client = new Cairn({ project });
  const ctx = { project, modelName, seed, testFraction, data };
  const candidates = [];
  for (const design of Object.keys(DESIGNS)) {
    const c = await trainAndCheck(client, design, ctx);
    console.log(`${modelName} v${c.version} (${design}): registered; checks ${c.checks.map((k) => `${k.kind} ${k.status}`).join(", ")}`);
    candidates.push(c);
  }

  const policy = await client.models.setPolicy(modelName, PRODUCTION_POLICY);
  console.log(`policy for production: revision ${policy.revision}, ${policy.rules.length} rules`);

  const outcomes = [];
  for (const c of candidates) outcomes.push(await tryPromote(client, modelName, c));
  console.log("");
  for (const o of outcomes) console.log(describe(modelName, o));

  // What serving does: load whatever production points at, and use it.
  const served = await client.models.load(modelName, "production");
  const loaded = JSON.parse(await readFile(served.path, "utf8"));
  const right = test.filter((r) => predict(loaded, r).label === r[LABEL]).length;
  console.log(`\nserving loads ${modelName} v${served.version.version} (${loaded.design}) from ${served.path}`);
  console.log(`  it sexes ${right} of the ${test.length} test penguins right`);
  const asDesigned = outcomes.every((o) => o.promoted === (o.design === "full")) && loaded.design === "full";
  if (!asDesigned) console.error("\nunexpected: the gate was meant to promote the full model and refuse the mass-only one");
  return { project, modelName, outcomes, served: { version: served.version.version, path: served.path, design: loaded.design }, asDesigned };
}

// Run only when executed directly (`node deploy.mjs`), not when imported by a test.
const invokedDirectly =
  process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
if (invokedDirectly) {
  main().then(
    (result) => {
      if (result && !result.asDesigned) process.exitCode = 1;
    },
    (err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    },
  );
}
