#!/usr/bin/env node
// Traffic for the service: an hour of normal penguins, an hour of shifted ones (heavier birds,
// longer bills), then the sexes of all of them — the ground truth that arrives late.
//
//   node traffic.mjs [--service http://127.0.0.1:8651] [--project penguins-prod]
//
// Monitors judge the latest complete hour, so the traffic is replayed into the past: normal
// traffic two hours ago, shifted traffic in the last hour (each prediction carries its
// `timestamp`). Live traffic would do the same by waiting; a replay takes seconds.
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Cairn } from "@cairn/sdk";
import { features, LABEL } from "../gated-deploy/data.mjs";
import { loadData } from "./setup.mjs";

export const HOUR_MS = 3_600_000;

/** The hours traffic is replayed into: normal two hours ago, shifted in the latest complete hour. */
export function trafficHours(now = Date.now()) {
  const current = Math.floor(now / HOUR_MS) * HOUR_MS;
  return { normal: current - 2 * HOUR_MS, shifted: current - HOUR_MS, current };
}

/** Spreads n requests evenly over the hour starting at `hourStart`, a second clear of either edge. */
export function timestampsIn(hourStart, n) {
  const step = Math.floor((HOUR_MS - 2_000) / Math.max(1, n));
  return Array.from({ length: n }, (_, i) => hourStart + 1_000 + i * step);
}

/**
 * POSTs each row's features to the service's /predict (a few at a time) and returns its answers
 * beside the rows, in order: the prediction ids are what the labels are sent for later.
 */
export async function sendTraffic(serviceUrl, rows, { hourStart, concurrency = 8 } = {}) {
  const inputs = features(rows);
  const at = hourStart === undefined ? undefined : timestampsIn(hourStart, rows.length);
  const answers = new Array(rows.length);
  let next = 0;
  async function worker() {
    while (next < rows.length) {
      const i = next++;
      const res = await fetch(`${serviceUrl}/predict`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ features: inputs[i], ...(at ? { timestamp: at[i] } : {}) }),
      });
      const body = await res.json();
      if (!res.ok) throw new Error(`POST /predict answered ${res.status}: ${body.error}`);
      answers[i] = { ...body, truth: rows[i][LABEL] };
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, rows.length) }, worker));
  return answers;
}

/** Share of answers that got the sex right (what the labels will tell the server). */
export const accuracyOf = (answers) => answers.filter((a) => a.label === a.truth).length / answers.length;

/** The late ground truth: one label per prediction, sent in bulk with `client.labels.log`. */
export async function sendLabels(client, answers) {
  return client.labels.log(answers.map((a) => ({ predictionId: a.id, label: a.truth })));
}

/** The three phases against a running service; returns the answers of each. */
export async function replayTraffic({ client, serviceUrl, data, now = Date.now(), beforeLabels = async () => {} }) {
  const hours = trafficHours(now);
  const normal = await sendTraffic(serviceUrl, data.test, { hourStart: hours.normal });
  const shifted = await sendTraffic(serviceUrl, data.shifted, { hourStart: hours.shifted });
  // Labels for predictions the server has not received yet are kept pending and joined when
  // they arrive; waiting for the service's monitor to flush just makes the report complete at once.
  await beforeLabels();
  const labels = await sendLabels(client, [...normal, ...shifted]);
  return { hours, normal, shifted, labels };
}

const invokedDirectly = process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
if (invokedDirectly) {
  const { values } = parseArgs({
    options: {
      service: { type: "string", default: "http://127.0.0.1:8651" },
      project: { type: "string", default: "penguins-prod" },
    },
  });
  const client = new Cairn({ project: values.project });
  const out = await replayTraffic({ client, serviceUrl: values.service, data: await loadData() });
  const hour = (ms) => new Date(ms).toISOString().slice(11, 16);
  console.log(`normal:  ${out.normal.length} predictions at ${hour(out.hours.normal)} UTC, ${(100 * accuracyOf(out.normal)).toFixed(1)} % right`);
  console.log(`shifted: ${out.shifted.length} predictions at ${hour(out.hours.shifted)} UTC, ${(100 * accuracyOf(out.shifted)).toFixed(1)} % right`);
  console.log(`labels:  ${out.labels.accepted} accepted, ${out.labels.pending} waiting for their prediction`);
}
