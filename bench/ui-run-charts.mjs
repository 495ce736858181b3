// UI figure: the run page's metrics tab for a run with 50 metric keys × 100,000 steps, in
// Chromium against a real server (child process, PGlite), from navigation to every chart
// drawn. The page sets a `performance.mark` when the last of its charts has drawn; the
// figure is that mark's time since navigation start. Target: 2 s.
//
//   node bench/ui-run-charts.mjs [--keys=50] [--steps=100000] [--rounds=5] [--json]
//
// Needs the UI built (npm run build -w @cairn/web) and /usr/bin/chromium (CHROMIUM_PATH overrides).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { init } from "@cairn/sdk";
import { chromium } from "playwright-core";
import { rmDir, tmpDir } from "./ingest.mjs";
import { api, BENCH_API_KEY, startChildServer } from "./lib/server.mjs";
import { median, now, round } from "./lib/stats.mjs";

export const UI_RUN_CHARTS_TARGETS = Object.freeze({ allChartsDrawnMs: 2000 });
/** Set by the run page (packages/web/src/pages/run/MetricsTab.tsx) once every chart of the tab has drawn. */
const CHARTS_DRAWN_MARK = "cairn:run-charts-drawn";
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const WEB_DIST = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../packages/web/dist");

/** Points per request: the API's maximum (10,000), as columns per key (the SDK's wire format). */
const BATCH_POINTS = 10_000;
const CONCURRENCY = 3;

/**
 * A batch whose keep-alive connection was closed under it is sent again: metric batches are
 * idempotent (a point already stored counts as a duplicate).
 */
async function postAgain(send, attempts = 5) {
  for (let i = 1; ; i++) {
    try {
      return await send();
    } catch (e) {
      if (i >= attempts || !(e instanceof TypeError)) throw e;
      await new Promise((r) => setTimeout(r, 200 * i));
    }
  }
}

/**
 * `keys` curves over `steps` steps in one run. The run is created with the SDK; the points go
 * straight to the bulk endpoint in 10,000-point column batches (what the SDK sends), in step
 * order, a few requests at a time: seeding 5M points is set-up, not what is measured.
 */
async function seedRun(url, keys, steps) {
  const names = Array.from({ length: keys }, (_, k) => `metric_${String(k).padStart(2, "0")}`);
  const run = await init({ project: "ui-bench", name: `charts-${keys}x${steps}`, url, apiKey: BENCH_API_KEY, capture: false, heartbeatIntervalMs: 0 });
  const t0 = now();
  const stepsPerBatch = Math.max(1, Math.floor(BATCH_POINTS / keys));
  let next = 0;
  let written = 0;
  async function worker() {
    while (next < steps) {
      const from = next;
      next = Math.min(steps, from + stepsPerBatch);
      const stepList = Array.from({ length: next - from }, (_, i) => from + i);
      const series = names.map((key, k) => ({
        key,
        steps: stepList,
        values: stepList.map((step) => Math.exp(-step / (20_000 + 1000 * k)) + 0.05 * Math.sin(step / (50 + k))),
      }));
      const r = await postAgain(() => api(url, "POST", `/api/v1/runs/${run.id}/metrics`, { series }));
      written += r.written + r.duplicates;
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  if (written !== keys * steps) throw new Error(`seeding wrote ${written} of ${keys * steps} points`);
  await run.finish();
  return { runId: run.id, points: written, seedMs: now() - t0 };
}

/** One cold page load (new browser context: no cached bundle, no query cache) to all charts drawn. */
async function measureOnce(browser, url, runId, keys) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, baseURL: url });
  try {
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    await page.goto(`/login?token=${encodeURIComponent(BENCH_API_KEY)}`);
    await page.waitForURL((u) => u.pathname === "/");
    await page.goto(`/runs/${runId}?tab=metrics`);
    await page.waitForFunction((mark) => performance.getEntriesByName(mark).length > 0, CHARTS_DRAWN_MARK, { timeout: 60_000 });
    const figures = await page.evaluate((mark) => {
      const drawn = performance.getEntriesByName(mark)[0];
      const nav = performance.getEntriesByType("navigation")[0];
      // Per-key reads (GET /runs/{id}/metrics/{key}) and batch reads (POST /metrics/histories) alike.
      const history = performance.getEntriesByType("resource").filter((r) => /\/api\/v1\/(runs\/[^/]+\/metrics\/[^/?]+|metrics\/histories)/.test(r.name));
      return {
        drawnMs: drawn.startTime,
        charts: drawn.detail?.charts ?? null,
        domContentLoadedMs: nav ? nav.domContentLoadedEventEnd : null,
        historyRequests: history.length,
        batchRequests: history.filter((r) => r.name.includes("/metrics/histories")).length,
        firstHistoryStartMs: history.length ? Math.min(...history.map((r) => r.startTime)) : null,
        lastHistoryEndMs: history.length ? Math.max(...history.map((r) => r.responseEnd)) : null,
        historyDurationsMs: history.map((r) => r.duration),
        canvases: document.querySelectorAll("section[data-metric-key] canvas").length,
      };
    }, CHARTS_DRAWN_MARK);
    if (figures.charts !== keys) throw new Error(`expected ${keys} charts drawn, the page drew ${figures.charts}`);
    if (errors.length > 0) throw new Error(`the page reported errors: ${errors.join("; ")}`);
    return figures;
  } finally {
    await context.close();
  }
}

export async function uiRunChartsBenchmark({ keys = 50, steps = 100_000, rounds = 5 } = {}) {
  if (!fs.existsSync(path.join(WEB_DIST, "index.html"))) throw new Error(`the UI is not built (${WEB_DIST}): run npm run build -w @cairn/web`);
  const dataDir = tmpDir("ui-run-charts");
  // A first start runs initdb (PGlite): slow on a busy machine, so a generous start-up timeout.
  const srv = await startChildServer({ dataDir, env: { CAIRN_WEB_DIR: WEB_DIST }, timeoutMs: 180_000 });
  let browser;
  try {
    const seeded = await seedRun(srv.url, keys, steps);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    const samples = [];
    for (let i = 0; i < rounds; i++) samples.push(await measureOnce(browser, srv.url, seeded.runId, keys));
    const drawn = samples.map((s) => s.drawnMs);
    const durations = samples.flatMap((s) => s.historyDurationsMs);
    const med = median(drawn);
    return {
      keys,
      steps,
      points: seeded.points,
      seed: { ms: Math.round(seeded.seedMs), pointsPerSec: Math.round(seeded.points / (seeded.seedMs / 1000)) },
      rounds,
      allChartsDrawnMs: { first: round(drawn[0]), median: round(med), min: round(Math.min(...drawn)), max: round(Math.max(...drawn)) },
      domContentLoadedMs: round(median(samples.map((s) => s.domContentLoadedMs ?? 0))),
      historyRequestsPerLoad: samples[0].historyRequests,
      batchRequestsPerLoad: samples[0].batchRequests,
      firstHistoryStartMs: round(median(samples.map((s) => s.firstHistoryStartMs ?? 0))),
      lastHistoryEndMs: round(median(samples.map((s) => s.lastHistoryEndMs ?? 0))),
      historyRequestMs: { median: round(median(durations)), max: round(Math.max(...durations)) },
      historyWindowMs: round(median(samples.map((s) => s.lastHistoryEndMs - s.firstHistoryStartMs))),
      targets: UI_RUN_CHARTS_TARGETS,
      pass: med <= UI_RUN_CHARTS_TARGETS.allChartsDrawnMs,
    };
  } catch (e) {
    throw new Error(`${e.message}\nserver stderr:\n${srv.stderr.slice(-4000)}`, { cause: e });
  } finally {
    await browser?.close();
    await srv.close();
    rmDir(dataDir);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const opt = (name, dflt) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? dflt);
  const r = await uiRunChartsBenchmark({ keys: opt("keys", 50), steps: opt("steps", 100_000), rounds: opt("rounds", 5) });
  if (process.argv.includes("--json")) console.log(JSON.stringify(r));
  else {
    console.log(JSON.stringify(r, null, 2));
    console.log(
      `${r.keys} charts × ${r.steps.toLocaleString("en-US")} steps: all drawn ${r.allChartsDrawnMs.median} ms after navigation (median of ${r.rounds}; first ${r.allChartsDrawnMs.first} ms) — target ${r.targets.allChartsDrawnMs} ms: ${r.pass ? "PASS" : "FAIL"}`,
    );
  }
}
