import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Alert, MonitoringReport } from "@cairn/core";
import { Cairn, init } from "@cairn/sdk";
import { beforeAll, expect, it } from "vitest";
import { readSettings, reportQuery } from "../src/pages/monitoring/monitoring-data.js";
import { screenshot, uniqueProject, withUi } from "./support.js";

/**
 * The monitoring page against a real server: a model version trained on a profiled dataset,
 * six hours of predictions logged through the SDK's monitor (feature `x` shifts in the last
 * three hours, `y` and `city` stay as in training), labels for half of them, and a drift
 * monitor the scheduler (every 0.3 s here) turns into an alert.
 */
const ui = withUi({ env: { CAIRN_SCHEDULER_INTERVAL_SECONDS: "0.3" } });

const HOUR = 3_600_000;
const PER_HOUR = 800;
const HOURS = 6;
/** Hours (counted back from the latest complete one) whose `x` is shifted up by 60. */
const SHIFTED = new Set([0, 1, 2]);
const CITIES = ["ams", "ber", "cph", "dub"];

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}
const cityOf = (u: number) => CITIES[u < 0.4 ? 0 : u < 0.7 ? 1 : u < 0.9 ? 2 : 3]!;

interface Seeded {
  project: string;
  hours: number[];
  total: number;
  labelled: number;
  correct: number;
  missingCity: number;
  alert: Alert;
  report: MonitoringReport;
}
let seeded: Seeded;
let regressionMae: number;

const iso = (ms: number) => new Date(ms).toISOString();
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percent = (v: number) => `${(v * 100).toFixed(1)}%`;
const count = (n: number) => n.toLocaleString("en-US");

beforeAll(async () => {
  const { srv } = ui();
  const project = uniqueProject("monitoring");
  const client = new Cairn({ url: srv.url, apiKey: srv.apiKey, project });
  const spoolDir = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-monitoring-ui-"));

  // Training: x ~ U(0, 100), y ~ Exp(mean 3), city 40/30/20/10; the label is x > 70.
  const r = rng(7);
  const train = Array.from({ length: 4000 }, () => {
    const x = r() * 100;
    return { x, y: -Math.log(1 - r()) * 3, city: cityOf(r()), label: x > 70 ? "1" : "0" };
  });
  const run = await init({ project, name: "train-fraud", url: srv.url, apiKey: srv.apiKey, capture: false, heartbeatIntervalMs: 0, spoolDir });
  await run.logDataset({ name: "transactions", data: train, role: "train" });
  await run.logJSON("model/model.json", { threshold: 70 });
  await run.registerModel("fraud", "model/model.json", { labelColumn: "label" });
  await run.registerModel("idle", "model/model.json", { labelColumn: "label" });
  // A regression model: predicts y from the other columns.
  await run.registerModel("price", "model/model.json", { labelColumn: "y" });
  await run.finish();
  await client.models.promote("fraud", 1, "production", { reason: "monitoring UI test" });

  // The scheduler judges the latest complete hour: keep clear of an hour boundary.
  const untilNext = HOUR - (Date.now() % HOUR);
  if (untilNext < 90_000) await pause(untilNext + 1_000);
  const current = Math.floor(Date.now() / HOUR) * HOUR;
  const hours = Array.from({ length: HOURS }, (_, i) => current - (HOURS - i) * HOUR);

  const monitor = client.monitor({ model: "fraud", version: 1, spoolDir: false });
  const labels: { predictionId: string; label: string }[] = [];
  let correct = 0;
  let missingCity = 0;
  const served = rng(11);
  hours.forEach((hourStart, h) => {
    const back = HOURS - 1 - h;
    for (let i = 0; i < PER_HOUR; i++) {
      const x = served() * 100 + (SHIFTED.has(back) ? 60 : 0);
      const truth = x > 70 ? "1" : "0";
      // Right nine times in ten.
      const output = served() < 0.9 ? truth : truth === "1" ? "0" : "1";
      // The oldest hour sends 25 predictions without `city` (schema violations: missing_field).
      const dropCity = h === 0 && i < 25;
      const features: Record<string, number | string> = dropCity ? { x, y: -Math.log(1 - served()) * 3 } : { x, y: -Math.log(1 - served()) * 3, city: cityOf(served()) };
      if (dropCity) missingCity++;
      const id = monitor.logPrediction({ features, output, score: served(), latencyMs: 5 + served() * 40, timestamp: hourStart + 1_000 + i * 4_000 });
      if (i % 2 === 0) {
        labels.push({ predictionId: id, label: truth });
        if (output === truth) correct++;
      }
    }
  });
  await monitor.close();
  expect(monitor.stats().dropped).toBe(0);
  await client.labels.log(labels);

  // The regression model: 300 predictions in one hour, each off by up to ±2, all labelled.
  const regression = client.monitor({ model: "price", version: 1, spoolDir: false });
  const truths: { predictionId: string; label: number }[] = [];
  let absError = 0;
  for (let i = 0; i < 300; i++) {
    const truth = -Math.log(1 - served()) * 3;
    const error = (served() - 0.5) * 4;
    absError += Math.abs(error);
    const id = regression.logPrediction({ features: { x: served() * 100, city: cityOf(served()) }, output: truth + error, timestamp: hours[4]! + 1_000 + i * 10_000 });
    truths.push({ predictionId: id, label: truth });
  }
  await regression.close();
  await client.labels.log(truths);
  regressionMae = absError / truths.length;

  const created = await client.monitors.create({ name: "x drifts", model: "fraud", rule: { type: "drift", feature: "x", max: 0.1 }, window: "1h", minSamples: 100, cooldown: "6h" });
  let alert: Alert | undefined;
  for (let i = 0; i < 200 && !alert; i++) {
    alert = (await client.alerts.list({ monitorId: created.id })).alerts[0];
    if (!alert) await pause(100);
  }
  if (!alert) throw new Error("the drift monitor raised no alert");
  const report = await client.monitoring.report("fraud", { window: "1h", version: 1 });
  seeded = { project, hours, total: PER_HOUR * HOURS, labelled: labels.length, correct, missingCity, alert, report };
}, 120_000);

it("shows a reader the alerts without the lifecycle buttons", async () => {
  const { srv } = ui();
  const res = await fetch(`${srv.url}/api/v1/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${srv.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "monitoring reader", role: "reader", projects: [seeded.project] }),
  });
  expect(res.status).toBe(201);
  const reader = (await res.json()) as { secret: string };
  const page = await ui().page();
  // Log in again with the reader's key: the session is now the reader's.
  await page.goto(`/login?token=${encodeURIComponent(reader.secret)}`);
  await page.waitForURL((u) => u.pathname === "/");
  await page.goto(`/projects/${encodeURIComponent(seeded.project)}/models/fraud/monitoring`);
  await page.getByText("monitoring reader · reader").waitFor();
  const item = page.locator(`li[data-alert-id="${seeded.alert.id}"]`);
  await item.waitFor();
  expect(await item.getAttribute("data-status")).toBe("open");
  expect(await item.getByRole("button", { name: /Acknowledge|Resolve/ }).count()).toBe(0);
  // The drift alert opens the distributions of the feature and window it judged.
  await item.getByRole("button", { name: "Show the distributions of x" }).click();
  await page.getByRole("region", { name: /^x in / }).locator('[data-side="current"] svg[role="img"]').waitFor();
  expect(new URL(page.url()).searchParams.get("at")).toBe(seeded.alert.windowStart);
  expect(await page.locator(`button.heatmap-cell[data-feature="x"][data-start="${seeded.alert.windowStart}"]`).getAttribute("aria-pressed")).toBe("true");
});

it("shows volume, drift per feature and window, the two distributions, label coverage and accuracy, violations and alerts", async () => {
  const { project, hours, total, labelled, correct, missingCity, alert, report } = seeded;
  // The seeded data says what the page must show: x drifted in the shifted hours only.
  const verdict = (feature: string, start: number) => report.windows.find((w) => w.start === iso(start))?.drift.features.find((f) => f.feature === feature);
  for (const [h, start] of hours.entries()) {
    const shifted = SHIFTED.has(HOURS - 1 - h);
    expect(verdict("x", start)?.drifted, `x at hour ${h}`).toBe(shifted);
    expect(verdict("y", start)?.drifted, `y at hour ${h}`).toBe(false);
    expect(verdict("city", start)?.drifted, `city at hour ${h}`).toBe(false);
  }

  const page = await ui().page();
  await page.goto(`/projects/${encodeURIComponent(project)}/models/fraud/monitoring`);
  await page.getByRole("heading", { name: "fraud: production monitoring" }).waitFor();

  // Volume and latency charts are drawn (uPlot canvases), with the totals as text.
  const volume = page.getByRole("img", { name: "Predictions per window" });
  await volume.locator("canvas").waitFor();
  await page.getByRole("img", { name: "Latency percentiles per window, milliseconds" }).locator("canvas").waitFor();
  expect(await page.locator('[data-stat="predictions"]').textContent()).toBe(count(total));

  // The heatmap: x drifted (with its "!" marker) in the shifted hours, nowhere else; empty hours say so.
  const cell = (feature: string, start: number) => page.locator(`button.heatmap-cell[data-feature="${feature}"][data-start="${iso(start)}"]`);
  for (const [h, start] of hours.entries()) {
    const shifted = SHIFTED.has(HOURS - 1 - h);
    expect(await cell("x", start).getAttribute("data-status")).toBe(shifted ? "drift" : "ok");
    expect(await cell("x", start).getAttribute("aria-label")).toContain(shifted ? "drifted: Jensen–Shannon distance" : "no drift: Jensen–Shannon distance");
    expect(await cell("x", start).locator(".heatmap-marker").count()).toBe(shifted ? 1 : 0);
    expect(await cell("y", start).getAttribute("data-status")).toBe("ok");
    expect(await cell("city", start).getAttribute("data-status")).toBe("ok");
  }
  // Most drifted first: x heads the rows; by name, city does.
  const rowNames = () => page.locator("table.heatmap tbody th .heatmap-feature-name").allTextContents();
  expect((await rowNames())[0]).toBe("x");
  await page.getByRole("combobox", { name: /^Order features/ }).selectOption("name");
  expect(await rowNames()).toEqual(["city", "x", "y"]);
  const empty = cell("x", hours[0]! - HOUR);
  expect(await empty.getAttribute("data-status")).toBe("not_enough_data");
  expect(await empty.getAttribute("aria-label")).toContain("not enough data");
  // The latest complete hour: one of three features drifted, and it is x.
  expect(await page.locator('[data-stat="drifted-features"]').textContent()).toBe("1 of 3");
  expect(await page.locator('[data-stat="drifted-features"] + .stat-detail').textContent()).toBe("x");
  // Keyboard: the grid is one tab stop and arrow keys move along a row.
  await cell("x", hours[4]!).focus();
  await page.keyboard.press("ArrowRight");
  expect(await page.evaluate(() => document.activeElement?.getAttribute("data-start"))).toBe(iso(hours[5]!));

  // Label coverage and accuracy are the seeded shares.
  expect(await page.locator('[data-fact="coverage"]').textContent()).toBe(`${percent(labelled / total)} (${count(labelled)} of ${count(total)} predictions)`);
  expect(await page.locator('[data-fact="accuracy"]').textContent()).toBe(`${percent(correct / labelled)} over the labelled predictions`);
  await page.getByRole("img", { name: "Labelled share and performance per window" }).locator("canvas").waitFor();
  await page.getByRole("img", { name: "Share of each predicted class per window" }).locator("canvas").waitFor();
  await page.getByRole("img", { name: "Score per window: mean, median and p95" }).locator("canvas").waitFor();

  // Schema violations: the predictions sent without `city` (missing_field) and the shifted x beyond the training maximum (out_of_range).
  const byKind = (kind: string) => report.windows.reduce((a, w) => a + (w.schemaViolations.byKind[kind] ?? 0), 0);
  expect(byKind("missing_field")).toBe(missingCity);
  expect(byKind("out_of_range")).toBeGreaterThan(0);
  for (const kind of ["missing_field", "out_of_range", "unknown_field", "type_mismatch", "unseen_category"]) {
    expect(await page.locator(`[data-kind="${kind}"]`).textContent(), kind).toBe(count(byKind(kind)));
  }
  const violations = page.getByRole("table", { name: "Schema violations per window" });
  expect(await violations.locator("tbody tr").count()).toBe(report.windows.filter((w) => w.schemaViolations.total > 0).length);
  // Newest first: the oldest hour, the one without `city`, is the last row.
  expect(await violations.locator("tbody tr").last().locator("td").last().textContent()).toBe(`city ${missingCity}`);

  // The alert the monitor raised.
  const item = page.locator(`li[data-alert-id="${alert.id}"]`);
  await item.waitFor();
  expect(await item.getAttribute("data-status")).toBe("open");
  expect(await item.textContent()).toContain(alert.message);
  await screenshot(page, "monitoring");

  // A click on a shifted cell shows the training profile beside that window's values.
  await cell("x", hours[5]!).click();
  const panel = page.getByRole("region", { name: /^x in / });
  await panel.waitFor();
  const reference = panel.locator('[data-side="reference"] svg[role="img"]');
  const current = panel.locator('[data-side="current"] svg[role="img"]');
  await reference.waitFor();
  expect(await reference.getAttribute("aria-label")).toContain("4,000 values");
  expect(await current.getAttribute("aria-label")).toContain(`${count(PER_HOUR)} values`);
  expect(await panel.locator('[data-side="current"] .histogram-bar').count()).toBeGreaterThan(1);
  expect(await panel.getByText(/^drifted: Jensen–Shannon distance/).count()).toBe(1);
  // The selected cell is in the address: a reload opens the same panel.
  expect(new URL(page.url()).searchParams.get("feature")).toBe("x");
  await page.reload();
  await page.getByRole("region", { name: /^x in / }).locator('[data-side="current"] svg[role="img"]').waitFor();
  // The panel scrolled itself into view; the full-page screenshot is taken from the top (the top bar is sticky).
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, "monitoring-distribution");

  // Acknowledge: the status changes, on the server too, and survives a reload.
  await page.locator(`li[data-alert-id="${alert.id}"]`).getByRole("button", { name: "Acknowledge" }).click();
  await expect.poll(() => page.locator(`li[data-alert-id="${alert.id}"]`).getAttribute("data-status")).toBe("acknowledged");
  expect((await ui().client.alerts.get(alert.id, { project })).status).toBe("acknowledged");
  await page.reload();
  const reloaded = page.locator(`li[data-alert-id="${alert.id}"]`);
  await reloaded.waitFor();
  expect(await reloaded.getAttribute("data-status")).toBe("acknowledged");
  expect(await reloaded.textContent()).toContain("acknowledged by");
  expect(await reloaded.getByRole("button", { name: "Acknowledge" }).count()).toBe(0);
  // Resolving takes it off the default list (open and acknowledged).
  await reloaded.getByRole("button", { name: "Resolve" }).click();
  await expect.poll(() => page.locator(`li[data-alert-id="${alert.id}"]`).count()).toBe(0);
  expect((await ui().client.alerts.get(alert.id, { project })).status).toBe("resolved");
}, 120_000);

it("keeps range, window and version in the address", async () => {
  const { project, total, hours } = seeded;
  const page = await ui().page();
  const hour = iso(hours[5]!);
  await page.goto(`/projects/${encodeURIComponent(project)}/models/fraud/monitoring?feature=x&at=${hour}`);
  await page.locator('[data-stat="predictions"]').waitFor();
  expect(await page.locator(`button.heatmap-cell[data-feature="x"][data-start="${hour}"]`).getAttribute("aria-pressed")).toBe("true");
  await page.getByRole("combobox", { name: /^Window/ }).selectOption("1d");
  // The selected hour becomes the UTC day holding it, in the address and in the heatmap.
  const day = iso(Math.floor(hours[5]! / 86_400_000) * 86_400_000);
  await expect.poll(() => new URL(page.url()).searchParams.get("at")).toBe(day);
  await page.locator(`button.heatmap-cell[data-feature="x"][data-start="${day}"][aria-pressed="true"]`).waitFor();
  await page.getByRole("region", { name: /^x in .*UTC day/ }).locator('[data-side="current"] svg[role="img"]').waitFor();
  await page.getByRole("combobox", { name: /^Version/ }).selectOption("1");
  await page.getByRole("combobox", { name: /^Time range/ }).selectOption("7d");
  await expect.poll(() => new URL(page.url()).search).toContain("range=7d");
  const params = new URL(page.url()).searchParams;
  expect(params.get("version")).toBe("1");
  await page.reload();
  expect(await page.getByRole("combobox", { name: /^Time range/ }).inputValue()).toBe("7d");
  expect(await page.getByRole("combobox", { name: /^Version/ }).inputValue()).toBe("1");
  await page.getByRole("option", { name: "v1 (production)" }).waitFor({ state: "attached" });
  // Daily windows hold the same predictions.
  await expect.poll(() => page.locator('[data-stat="predictions"]').textContent()).toBe(count(total));
  expect(await page.locator("button.heatmap-cell[data-feature='x']").count()).toBe(8);
});

it("shows the SDK snippet for a model without predictions", async () => {
  const page = await ui().page();
  await page.goto(`/projects/${encodeURIComponent(seeded.project)}/models/idle/monitoring`);
  await page.getByRole("heading", { name: "No predictions in the last 24 hours" }).waitFor();
  const snippet = await page.locator("pre.snippet").textContent();
  expect(snippet).toContain('cairn.monitor({ model: "idle", version: 1 })');
  expect(snippet).toContain("monitor.logPrediction(");
  await page.getByRole("button", { name: "Show the last 30 days" }).click();
  await expect.poll(() => new URL(page.url()).searchParams.get("range")).toBe("30d");
});

it("shows the error and the predicted values of a regression model", async () => {
  const page = await ui().page();
  await page.goto(`/projects/${encodeURIComponent(seeded.project)}/models/price/monitoring`);
  await page.getByRole("heading", { name: "Error and label coverage" }).waitFor();
  expect(Number(await page.locator('[data-fact="mae"]').textContent())).toBeCloseTo(regressionMae, 4);
  expect(await page.locator('[data-fact="coverage"]').textContent()).toBe("100.0% (300 of 300 predictions)");
  await page.getByRole("img", { name: "Mean absolute error and RMSE per window" }).locator("canvas").waitFor();
  await page.getByRole("img", { name: "Predicted value per window: mean and quartiles" }).locator("canvas").waitFor();
});

it("reads the view from the address, falling back to defaults for what it does not know", () => {
  expect(readSettings(new URLSearchParams(""))).toEqual({ range: "24h", window: "1h", version: undefined, method: "jensenshannon" });
  expect(readSettings(new URLSearchParams("range=1y&window=2h&version=-1&method=ks"))).toEqual({ range: "24h", window: "1h", version: undefined, method: "jensenshannon" });
  // A month reads in days unless hours are asked for.
  expect(readSettings(new URLSearchParams("range=30d")).window).toBe("1d");
  expect(readSettings(new URLSearchParams("range=30d&window=1h&version=3&method=psi"))).toEqual({ range: "30d", window: "1h", version: 3, method: "psi" });
  // The range ends with the window in progress and spans every whole window it overlaps.
  const now = Date.parse("2026-11-28T10:20:00Z");
  expect(reportQuery({ range: "24h", window: "1h", version: undefined, method: "jensenshannon" }, now)).toMatchObject({ from: "2026-11-27T10:00:00.000Z", to: "2026-11-28T11:00:00.000Z" });
  expect(reportQuery({ range: "7d", window: "1d", version: 2, method: "psi" }, now)).toEqual({ from: "2026-11-21T00:00:00.000Z", to: "2026-11-29T00:00:00.000Z", window: "1d", version: 2, method: "psi" });
  // Just after midnight, "last 24 hours" in days still holds yesterday (where most of those hours are).
  expect(reportQuery({ range: "24h", window: "1d", version: undefined, method: "jensenshannon" }, Date.parse("2026-11-29T00:45:00Z"))).toMatchObject({ from: "2026-11-28T00:00:00.000Z", to: "2026-11-30T00:00:00.000Z" });
  // On a boundary the new window has begun: it is the last one shown.
  expect(reportQuery({ range: "24h", window: "1h", version: undefined, method: "jensenshannon" }, Date.parse("2026-11-28T10:00:00Z")).to).toBe("2026-11-28T11:00:00.000Z");
});
