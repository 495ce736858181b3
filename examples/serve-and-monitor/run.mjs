#!/usr/bin/env node
// The whole story in one process tree, against the server at CAIRN_URL (key CAIRN_API_KEY):
//
//   1. a webhook receiver starts (receiver.mjs);
//   2. the model is trained, registered and promoted to `production`; a drift monitor and an
//      accuracy monitor are created with the receiver as webhook and `retrain: true` (setup.mjs);
//   3. the prediction service loads `production` and serves /predict (service.mjs);
//   4. traffic: an hour of normal penguins, an hour of shifted ones, then the late labels (traffic.mjs);
//   5. the monitoring report shows the drift and the accuracy drop per hourly window;
//   6. the monitors fire and the receiver prints the signed retrain payloads;
//   7. acting on them, the model is retrained on the labelled production data and promoted: the
//      service swaps to the new version without a restart.
//
//   node run.mjs [--project penguins-serve-<time>] [--model penguin-sex] [--wait 180]
//
// The server must be allowed to call the receiver on loopback: start it with
// CAIRN_WEBHOOK_ALLOWLIST=127.0.0.1 (and, to see alerts within seconds rather than a minute,
// CAIRN_SCHEDULER_INTERVAL_SECONDS=5).
import { randomBytes } from "node:crypto";
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Cairn } from "@cairn/sdk";
import { LABEL } from "../gated-deploy/data.mjs";
import { describePayload, startReceiver } from "./receiver.mjs";
import { startService } from "./service.mjs";
import { loadData, promote, setup, trainAndRegister } from "./setup.mjs";
import { accuracyOf, HOUR_MS, replayTraffic, sendTraffic } from "./traffic.mjs";

const USAGE = "usage: run.mjs [--project penguins-serve-<time>] [--model penguin-sex] [--wait 180]";

export function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      project: { type: "string", default: `penguins-serve-${Date.now().toString(36)}` },
      model: { type: "string", default: "penguin-sex" },
      wait: { type: "string", default: "180" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  const wait = Number(values.wait);
  if (!(wait > 0)) throw new Error(`--wait must be a number of seconds, got ${JSON.stringify(values.wait)}`);
  return { project: values.project, model: values.model, waitMs: wait * 1000, help: values.help };
}

const LIVE_REQUESTS = 5;

/**
 * Monitors judge the latest complete hour; traffic replayed in the last seconds of an hour
 * would be judged as the hour before last once the clock turns. Wait for the turn instead
 * (from traffic to alerts takes a few seconds when the scheduler ticks every second).
 */
async function clearOfHourEnd(log, marginMs = 20_000) {
  const left = HOUR_MS - (Date.now() % HOUR_MS);
  if (left > marginMs) return;
  log(`the hour turns in ${Math.ceil(left / 1000)} s: waiting for it before replaying traffic`);
  await new Promise((resolve) => setTimeout(resolve, left + 1_000));
}

const fmt = (v, digits = 3) => (v === null || v === undefined ? "—" : v.toFixed(digits));
const hhmm = (iso) => iso.slice(11, 16);

/** The report's windows as a reader scans them: volume, labels, accuracy, then drift per feature. */
export function describeReport(report) {
  const lines = [`monitoring ${report.model}${report.version ? ` v${report.version}` : ""} (${report.window} windows, drift against ${report.reference ? `${report.reference.name} v${report.reference.version}` : "no training profile"}):`];
  for (const w of report.windows) {
    if (w.count === 0) continue;
    const p = w.performance;
    lines.push(
      `  ${hhmm(w.start)}–${hhmm(w.end)} UTC  ${w.count} predictions, latency p95 ${fmt(w.latencyMs.p95, 2)} ms, labels ${w.labels.count} (coverage ${fmt(w.labels.coverage, 2)}), accuracy ${fmt(p?.accuracy)}, drifted share ${fmt(w.drift.driftedShare, 2)}${w.drift.drifted ? " DRIFT" : ""}`,
    );
    for (const f of w.drift.features) lines.push(`      ${f.feature.padEnd(20)} ${f.method.padEnd(13)} ${fmt(f.statistic).padStart(6)} (threshold ${f.threshold}) ${f.status}`);
  }
  return lines.join("\n");
}

/**
 * Runs the story; every part is closed before it returns.
 * @param {string[]} argv
 * @param {{ client?: Cairn, scheduler?: string, log?: (line: string) => void }} [deps]
 */
export async function main(argv = process.argv.slice(2), deps = {}) {
  const opts = parseOptions(argv);
  const log = deps.log ?? ((line) => console.log(line));
  if (opts.help) {
    log(USAGE);
    return undefined;
  }
  const { project, model } = opts;
  const client = deps.client ?? new Cairn({ project });
  const secret = randomBytes(24).toString("base64url");
  const receiver = await startReceiver({ secret, onPayload: (p) => log(`\n[receiver] ${describePayload(p).replaceAll("\n", "\n[receiver] ")}`) });
  let service;
  try {
    log(`project ${project}; webhook receiver at ${receiver.url}`);
    const data = await loadData();
    const prod = await setup({ client, project, model, webhookUrl: receiver.url, secret, data });
    log(`${model} v${prod.version} (run ${prod.runId}) promoted to production, test accuracy ${prod.accuracy.toFixed(3)}`);
    for (const m of prod.monitors) log(`monitor "${m.name}": ${JSON.stringify(m.rule)}, window ${m.window}, at least ${m.minSamples} samples`);

    service = await startService({ client, model, flushIntervalMs: 200, log: (line) => log(`[service] ${line}`) });
    await clearOfHourEnd(log);
    const traffic = await replayTraffic({ client, serviceUrl: service.url, data, beforeLabels: () => service.flush() });
    log(`traffic: ${traffic.normal.length} normal predictions (${(100 * accuracyOf(traffic.normal)).toFixed(1)} % right), ${traffic.shifted.length} shifted (${(100 * accuracyOf(traffic.shifted)).toFixed(1)} % right); ${traffic.labels.accepted} labels sent`);

    // PSI for the printout: with ~90 predictions an hour, the Jensen–Shannon distance of an
    // unshifted feature is 0.13–0.18 by chance alone, above its 0.1 threshold; PSI's 0.2 is not.
    const range = { from: new Date(traffic.hours.normal).toISOString(), to: new Date(traffic.hours.current).toISOString(), version: prod.version };
    const report = await client.monitoring.report(model, { ...range, method: "psi", project });
    log(`\n${describeReport(report)}`);

    log(`\nwaiting for the monitors (up to ${opts.waitMs / 1000} s)…`);
    const isRetrain = (kind) => (p) => p.type === "retrain" && p.alert.figures?.rule?.type === kind;
    const [drift, accuracy] = await Promise.all([receiver.waitFor(isRetrain("drift"), opts.waitMs), receiver.waitFor(isRetrain("performance"), opts.waitMs)]);

    // What the CI job behind the webhook would do: retrain on the training data plus the labelled
    // production traffic, and let the gate decide.
    const labelled = traffic.shifted.map((a, i) => ({ ...data.shifted[i], [LABEL]: a.truth }));
    const retrained = await trainAndRegister(client, { project, model, trainRows: [...data.train, ...labelled], testRows: data.test, seed: 2026, name: "sex-full-retrain", note: `retrain after alert ${accuracy.alert.id}` });
    await promote(client, model, retrained.version, `retrain after "${accuracy.alert.monitorName}" (${accuracy.alert.message})`);
    log(`\nretrained: ${model} v${retrained.version} (run ${retrained.runId}), test accuracy ${retrained.accuracy.toFixed(3)}, promoted to production`);
    await service.swapped(retrained.version);
    const after = await fetch(`${service.url}/healthz`).then((r) => r.json());
    log(`service now serves ${model} v${after.version} (no restart; swaps: ${service.swaps.map((s) => `v${s.from}→v${s.to}`).join(", ")})`);
    // Live requests (no replay time) are answered, and logged, by the new version.
    const live = await sendTraffic(service.url, data.test.slice(0, LIVE_REQUESTS));
    log(`${live.length} live requests answered by v${[...new Set(live.map((a) => a.version))].join(", v")}`);

    const alerts = await client.alerts.list({ model, project });
    return { project, model, production: prod, traffic, live, report, jensenShannon: await client.monitoring.report(model, { ...range, project }), payloads: { drift, accuracy }, receiver: { received: receiver.payloads, rejected: receiver.rejected }, retrained, swaps: [...service.swaps], served: after, alerts: alerts.alerts };
  } finally {
    await service?.close();
    await receiver.close();
  }
}

const invokedDirectly = process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
if (invokedDirectly) {
  main().then(
    () => {},
    (err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    },
  );
}
