#!/usr/bin/env node
// Puts a model into production and watches it: trains the penguin-sex model (the `full`
// design of examples/gated-deploy), registers it with its training data, passes the gate
// into `production`, and creates two monitors — drift and accuracy — whose alerts post a
// signed `retrain` payload to a webhook.
//
//   WEBHOOK_SECRET=... node setup.mjs [--project penguins-prod] [--model penguin-sex] [--webhook http://127.0.0.1:8650/hooks/cairn]
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Cairn, init } from "@cairn/sdk";
import { cleanRows, LABEL, loadPenguins, POSITIVE, shifted, split } from "../gated-deploy/data.mjs";
import { evaluate, predict, train } from "../gated-deploy/models.mjs";

export const DESIGN = "full";

/** The gate for `production`: the version's newest performance check on the test set says at least 0.85. */
export const PRODUCTION_POLICY = { alias: "production", rules: [{ metric: "accuracy", dataset: "test", min: 0.85 }] };

/** The feature the drift monitor watches: the shifted traffic has bills 3 mm longer (and birds 15 % heavier). */
export const WATCHED_FEATURE = "Beak Length (mm)";

/**
 * The two monitors. Both judge the latest complete hour of the version `production` points at
 * and, when they fire, send the `retrain` payload. The drift rule reads one feature's
 * Jensen–Shannon distance from the training deciles (monitors use the report's default
 * statistic); its bound sits well above the distance an unshifted hour of ~90 predictions
 * shows by chance (0.13–0.18 here) and below the shifted hour's (0.34). The accuracy rule
 * reads the labelled predictions of the window.
 */
export function monitorSpecs(model, { webhookUrl, secret, minSamples = 30 }) {
  const common = { model, alias: "production", window: "1h", minSamples, cooldown: "1h", webhooks: [{ url: webhookUrl, secret }], retrain: true };
  return [
    { ...common, name: `${model}: ${WATCHED_FEATURE} drifted`, rule: { type: "drift", feature: WATCHED_FEATURE, max: 0.25 } },
    { ...common, name: `${model}: accuracy below 0.8`, rule: { type: "performance", metric: "accuracy", min: 0.8 } },
  ];
}

/** The penguins with a known sex, split as examples/gated-deploy splits them, and the shifted copy of the test set. */
export async function loadData({ seed = 2026, testFraction = 0.25 } = {}) {
  const rows = cleanRows(await loadPenguins());
  const { train: trainRows, test } = split(rows, testFraction, seed);
  return { train: trainRows, test, shifted: shifted(test) };
}

/**
 * Trains the model in a run that logs its training and test data (the training profile is what
 * monitoring measures drift against), registers it and stores its performance check on the
 * test set (what the gate reads).
 */
export async function trainAndRegister(client, { project, model: modelName, trainRows, testRows, seed, name = `sex-${DESIGN}`, note }) {
  const run = await init({ project, name, params: { design: DESIGN, seed, trainRows: trainRows.length }, seed, tags: { example: "serve-and-monitor", ...(note ? { note } : {}) } });
  const [trainSet, testSet] = await Promise.all([
    run.logDataset({ name: "penguins-sex-train", data: trainRows, role: "train" }),
    run.logDataset({ name: "penguins-sex-test", data: testRows, role: "test" }),
  ]);
  const model = train(DESIGN, trainRows);
  const held = evaluate(model, testRows);
  run.log({ "test/accuracy": held.accuracy, "test/loss": held.loss });
  await run.logJSON("model/model.json", model);
  const version = await run.registerModel(modelName, "model/model.json", { labelColumn: LABEL, framework: "logistic-regression (examples/gated-deploy)", description: note ?? "full design" });
  await run.finish();
  await client.models.check(modelName, version.version, {
    kind: "performance",
    task: "classification",
    data: testRows.map((r) => {
      const p = predict(model, r);
      return { ...r, prediction: p.label, score: p.score };
    }),
    label: LABEL,
    prediction: "prediction",
    score: "score",
    positive: POSITIVE,
    dataset: { datasetVersion: testSet, role: "test" },
  });
  return { version: version.version, runId: run.id, accuracy: held.accuracy, datasets: { train: trainSet, test: testSet } };
}

/** Asks the gate to point `production` at the version (throws GateRefusedError with the failed rules when it says no). */
export async function promote(client, modelName, version, reason) {
  return client.models.promote(modelName, version, "production", { reason });
}

/**
 * The whole setup against a running server.
 * @returns the production version, its training run and the monitors
 */
export async function setup({ client, project, model, webhookUrl, secret, seed = 2026, minSamples, data }) {
  data ??= await loadData({ seed });
  const trained = await trainAndRegister(client, { project, model, trainRows: data.train, testRows: data.test, seed });
  await client.models.setPolicy(model, PRODUCTION_POLICY);
  await promote(client, model, trained.version, `examples/serve-and-monitor: test accuracy ${trained.accuracy.toFixed(3)}`);
  const monitors = [];
  for (const spec of monitorSpecs(model, { webhookUrl, secret, minSamples })) monitors.push(await client.monitors.create(spec, { project }));
  for (const m of monitors) if (m.validationErrors.length > 0) console.warn(`monitor "${m.name}": ${m.validationErrors.join("; ")}`);
  return { ...trained, data, monitors };
}

const invokedDirectly = process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
if (invokedDirectly) {
  const { values } = parseArgs({
    options: {
      project: { type: "string", default: "penguins-prod" },
      model: { type: "string", default: "penguin-sex" },
      webhook: { type: "string", default: "http://127.0.0.1:8650/hooks/cairn" },
    },
  });
  const secret = process.env.WEBHOOK_SECRET;
  if (!secret || secret.length < 16) {
    console.error("set WEBHOOK_SECRET (at least 16 characters): the receiver checks signatures with it");
    process.exit(1);
  }
  const client = new Cairn({ project: values.project });
  const out = await setup({ client, project: values.project, model: values.model, webhookUrl: values.webhook, secret });
  console.log(`${values.model} v${out.version} (run ${out.runId}) is in production; test accuracy ${out.accuracy.toFixed(3)}`);
  for (const m of out.monitors) console.log(`monitor ${m.id}: ${m.name}`);
}
