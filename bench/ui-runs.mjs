#!/usr/bin/env node
// The runs table with 10,000 runs in Chromium: how long from the last page of data arriving
// to the table being usable (target: 1 s), how long all pages take to load, and the frame
// times while scrolling through it.
//
//   node bench/ui-runs.mjs [--runs=10000] [--metrics=20]
//
// Needs the server and the UI built (npm run build). The runs are seeded with SQL into an
// embedded PGlite before the server opens it (the same seed as the run-search figure), then
// the page is opened in Debian's Chromium through playwright-core. The page itself marks
// `runs:data` (the last page is in memory) and `runs:interactive` (the first frame after the
// table rendered them, from a task queued behind that frame): their distance is the figure.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { chromium } from "playwright-core";
import { rmDir, tmpDir } from "./ingest.mjs";
import { seedSearchSql } from "./reads.mjs";
import { api, BENCH_API_KEY, startChildServer } from "./lib/server.mjs";
import { median, round } from "./lib/stats.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const WEB_DIST = path.resolve(here, "../packages/web/dist");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
export const UI_INTERACTIVE_TARGET_MS = 1000;

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? null : s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

/**
 * Seeds `runs` runs (params and `metrics` metric summaries each), serves the built UI and
 * measures the runs page. Returns the figures; throws if the table does not show every run.
 */
export async function uiRunsBenchmark({ runs = 10_000, metrics = 20, scrollFrames = 240 } = {}) {
  if (!fs.existsSync(path.join(WEB_DIST, "index.html"))) throw new Error(`the UI is not built (${WEB_DIST}): run npm run build -w @cairn/web`);
  const dataDir = tmpDir("ui-runs");
  const env = { CAIRN_WEB_DIR: WEB_DIST };
  let srv;
  let browser;
  try {
    // Create the project through the API, then seed with SQL while no server holds the data dir.
    srv = await startChildServer({ dataDir, env, timeoutMs: 300_000 });
    const project = await api(srv.url, "POST", "/api/v1/projects", { name: "bench-ui" });
    await srv.close();
    const pg = await PGlite.create({ dataDir: path.join(dataDir, "pgdata") });
    try {
      await seedSearchSql((q, p) => pg.query(q, p), project.id, runs, metrics);
    } finally {
      await pg.close();
    }
    srv = await startChildServer({ dataDir, env, timeoutMs: 300_000 });

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, baseURL: srv.url });
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    await page.goto(`/login?token=${encodeURIComponent(BENCH_API_KEY)}`);
    await page.waitForURL((u) => u.pathname === "/");

    await page.goto("/projects/bench-ui/runs");
    await page.waitForFunction(() => performance.getEntriesByName("runs:interactive").length > 0, null, { timeout: 300_000 });
    const timing = await page.evaluate(() => {
      const data = performance.getEntriesByName("runs:data").at(-1).startTime;
      const interactive = performance.getEntriesByName("runs:interactive").at(-1).startTime;
      const nav = performance.getEntriesByType("navigation")[0];
      const pages = performance.getEntriesByType("resource").filter((r) => r.name.includes("/api/v1/projects/bench-ui/runs"));
      return {
        dataToInteractiveMs: interactive - data,
        navigationToDataMs: data - (nav ? nav.startTime : 0),
        firstPageMs: pages.length > 0 ? pages[0].responseEnd : null,
        pages: pages.length,
      };
    });
    const shown = Number((await page.getByTestId("run-count").textContent()).replace(/,/g, ""));
    if (shown !== runs) throw new Error(`the table shows ${shown} runs, expected ${runs}`);

    // Interactive: a click on a sort header is answered (the address changes) at once.
    const clickStart = Date.now();
    await page.getByRole("button", { name: "Sort by Name" }).click();
    await page.waitForURL((u) => u.searchParams.get("sort") === "name");
    const sortClickMs = Date.now() - clickStart;
    await page.waitForFunction(() => performance.getEntriesByName("runs:interactive").length > 1, null, { timeout: 300_000 });

    // Scroll: one step per frame through the whole table, recording each frame's duration.
    const frames = await page.evaluate(async (n) => {
      const el = document.querySelector('[data-testid="runs-scroll"]');
      const step = (el.scrollHeight - el.clientHeight) / n;
      const deltas = [];
      let last = performance.now();
      for (let i = 1; i <= n; i++) {
        el.scrollTop = Math.round(step * i);
        await new Promise((r) => requestAnimationFrame(() => r(undefined)));
        const t = performance.now();
        deltas.push(t - last);
        last = t;
      }
      return { deltas, rowsInDom: el.querySelectorAll("tbody tr[data-run-id]").length, lastRow: [...el.querySelectorAll("tbody tr[data-run-id] td.name")].at(-1)?.textContent };
    }, scrollFrames);
    if (errors.length > 0) throw new Error(`the page reported errors: ${errors.slice(0, 3).join("; ")}`);

    return {
      runs,
      metricsPerRun: metrics,
      pagesFetched: timing.pages,
      firstPageMs: timing.firstPageMs === null ? null : round(timing.firstPageMs),
      allDataMs: round(timing.navigationToDataMs),
      dataToInteractiveMs: round(timing.dataToInteractiveMs),
      targetMs: UI_INTERACTIVE_TARGET_MS,
      withinTarget: timing.dataToInteractiveMs <= UI_INTERACTIVE_TARGET_MS,
      sortClickMs,
      scroll: {
        frames: frames.deltas.length,
        medianFrameMs: round(median(frames.deltas)),
        p95FrameMs: round(quantile(frames.deltas, 0.95)),
        maxFrameMs: round(Math.max(...frames.deltas)),
        over50ms: frames.deltas.filter((d) => d > 50).length,
        rowsInDom: frames.rowsInDom,
        lastRow: frames.lastRow,
      },
    };
  } finally {
    await browser?.close();
    await srv?.close();
    rmDir(dataDir);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const opt = (name, dflt) => {
    const a = process.argv.find((x) => x.startsWith(`--${name}=`));
    return a ? Number(a.slice(name.length + 3)) : dflt;
  };
  const r = await uiRunsBenchmark({ runs: opt("runs", 10_000), metrics: opt("metrics", 20) });
  console.log(`runs table, ${r.runs.toLocaleString("en-US")} runs × ${r.metricsPerRun} metrics (Chromium, PGlite)`);
  console.log(`  first page of runs            ${r.firstPageMs} ms after navigation`);
  console.log(`  all ${r.pagesFetched} pages in memory       ${r.allDataMs} ms after navigation`);
  console.log(`  last data → interactive       ${r.dataToInteractiveMs} ms (target ${r.targetMs} ms: ${r.withinTarget ? "met" : "MISSED"})`);
  console.log(`  sort click → address updated  ${r.sortClickMs} ms`);
  console.log(`  scroll, ${r.scroll.frames} frames           median ${r.scroll.medianFrameMs} ms, p95 ${r.scroll.p95FrameMs} ms, max ${r.scroll.maxFrameMs} ms, ${r.scroll.over50ms} over 50 ms`);
  console.log(`  rows in the DOM at the bottom ${r.scroll.rowsInDom} (last: ${r.scroll.lastRow})`);
  console.log(JSON.stringify(r));
}
