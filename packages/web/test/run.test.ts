import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { init } from "@cairn/sdk";
import type { Page } from "playwright-core";
import { beforeAll, expect, it } from "vitest";
import { screenshot, uniqueProject, withUi } from "./support.js";

const ui = withUi();

/** The page loads lazily on a busy two-core machine: give assertions on fresh content time to settle. */
const eventually = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 15_000, interval: 100 });

/** A real PNG (RGB gradient), built byte by byte: signature, IHDR, IDAT (zlib), IEND. */
function makePng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body) >>> 0);
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      raw[row + 1 + x * 3] = Math.round((x / width) * 255);
      raw[row + 2 + x * 3] = Math.round((y / height) * 255);
      raw[row + 3 + x * 3] = 160;
    }
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", zlib.deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

const STEPS = 5000;
const CSV = 'city,population,note\nOslo,709037,"capital, largest"\nBergen,291940,"says ""hi"""\nTrondheim,212660,\n';
const NOTES = "First try with the small model.\n<b>not bold</b> <img src=x onerror=alert(1)>";

interface Seeded {
  project: string;
  runId: string;
  parentId: string;
  childId: string;
  bareRunId: string;
}
let seeded: Seeded;

beforeAll(async () => {
  const { srv } = ui();
  const project = uniqueProject("run-page");
  const conn = { project, url: srv.url, apiKey: srv.apiKey, capture: { git: false } };
  const parent = await init({ ...conn, name: "sweep-parent" });
  await parent.finish();

  const run = await init({
    ...conn,
    name: "resnet-small",
    parent: parent.id,
    params: { lr: 0.003, optimizer: "adamw", "model.depth": 18, "model.pretrained": true, "data.augment.flip": "horizontal" },
    tags: { team: "vision", stage: "baseline" },
    notes: NOTES,
    seed: 42,
    system: { intervalMs: 50 },
  });
  // Two training curves over many steps, one with a NaN (drawn as a gap), and a validation curve.
  for (let step = 0; step < STEPS; step++) {
    run.log({ loss: 2 * Math.exp(-step / 800) + 0.05 + 0.02 * Math.sin(step / 7), "train/acc": 1 - Math.exp(-step / 1000) }, { step });
    if (step % 100 === 0) run.log({ "val/loss": step === 300 ? Number.NaN : 2.1 * Math.exp(-step / 900) + 0.08 }, { step });
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-run-page-"));
  fs.writeFileSync(path.join(dir, "plot.png"), makePng(64, 40));
  fs.writeFileSync(path.join(dir, "model.bin"), Buffer.alloc(2048, 7));
  await Promise.all([
    run.logText("README.txt", "Trained on the city sample.\nSecond line."),
    run.logJSON("config/params.json", { optimizer: { name: "adamw", betas: [0.9, 0.999] }, epochs: 12 }),
    run.logText("data/cities.csv", CSV, { mediaType: "text/csv" }),
    run.logArtifact(path.join(dir, "plot.png"), { path: "images/plot.png" }),
    run.logArtifact(path.join(dir, "model.bin"), { path: "models/v1/weights/model.bin" }),
    run.logDataset({
      name: "cities",
      role: "train",
      data: Array.from({ length: 200 }, (_, i) => ({ population: 1000 + ((i * 7919) % 500) * 10, region: ["north", "south", "west"][i % 3]!, coastal: i % 4 === 0, score: i % 10 === 0 ? null : i / 10 })),
    }),
    run.logOutputDataset({ name: "city-predictions", data: { city: ["a", "b", "c", "d"], predicted: [0.1, 0.4, 0.35, 0.8] } }),
  ]);
  // Let the system sampler (every 50 ms) take a few samples before the run ends.
  await new Promise((r) => setTimeout(r, 400));
  await run.finish();

  const child = await init({ ...conn, name: "sweep-child-1", parent: run.id, params: { lr: 0.01 } });
  child.log({ loss: 1 }, { step: 0 });
  await child.finish();

  const bare = await init({ ...conn, name: "bare-run" });
  await bare.finish();
  fs.rmSync(dir, { recursive: true, force: true });
  seeded = { project, runId: run.id, parentId: parent.id, childId: child.id, bareRunId: bare.id };
}, 120_000);

const chart = (page: Page, key: string) => page.locator(`section[data-metric-key="${key}"]`);

async function openMetrics(page: Page, tab: "metrics" | "system" = "metrics") {
  await page.goto(`/runs/${seeded.runId}?tab=${tab}`);
  // All charts drawn: the page sets this mark for the UI benchmark.
  await page.waitForFunction(() => performance.getEntriesByName("cairn:run-charts-drawn").length > 0, undefined, { timeout: 20_000 });
}

it("shows the run's overview: status, source, environment, parent and child runs, tags and searchable params", async () => {
  const page = await ui().page();
  await page.goto(`/runs/${seeded.runId}`);
  await eventually(() => page.getByRole("heading", { name: "resnet-small", level: 1 }).isVisible()).toBe(true);
  const overview = page.getByRole("tabpanel");
  await eventually(() => overview.getByText("finished").first().isVisible()).toBe(true);
  // Environment captured by init(): the Node version and the seed.
  expect(await overview.getByText(process.version, { exact: true }).isVisible()).toBe(true);
  expect(await overview.locator("dt", { hasText: "Seed" }).locator("xpath=following-sibling::dd[1]").textContent()).toBe("42");
  // Parent and child runs link to their pages.
  await eventually(() => overview.getByRole("link", { name: "sweep-parent" }).getAttribute("href")).toBe(`/runs/${seeded.parentId}`);
  await eventually(() => overview.getByRole("link", { name: "sweep-child-1" }).getAttribute("href")).toBe(`/runs/${seeded.childId}`);
  expect(await overview.getByRole("link", { name: /Inputs, outputs and models/ }).getAttribute("href")).toBe(`/runs/${seeded.runId}`.replace("/runs/", "/lineage/run/"));
  expect(await page.getByRole("link", { name: seeded.project }).first().getAttribute("href")).toBe(`/projects/${seeded.project}/runs`);
  expect(await overview.getByRole("list", { name: "Tags" }).textContent()).toContain("team: vision");
  // Params: nested keys flattened, typed values, a search that narrows the table.
  const params = page.locator("section", { has: page.getByRole("heading", { name: "Params" }) });
  expect(await params.getByRole("row", { name: /model\.depth/ }).textContent()).toContain("18");
  expect(await params.getByRole("row", { name: /optimizer/ }).textContent()).toContain("adamw");
  await params.getByLabel("Search params").fill("model.");
  await eventually(() => params.locator("tbody tr").count()).toBe(2);
  await params.getByLabel("Search params").fill("");
  // Latest metric values from the run's summaries.
  const latest = page.locator("section", { has: page.getByRole("heading", { name: "Latest metrics" }) });
  expect(await latest.getByRole("row", { name: /^loss/ }).textContent()).toContain("4,999");
  await screenshot(page, "run-overview");
  // The tab is in the URL, and keyboard arrows move between tabs.
  await page.getByRole("tab", { name: "Overview" }).focus();
  await page.keyboard.press("ArrowRight");
  await page.waitForURL((u) => u.searchParams.get("tab") === "metrics");
  await expect.poll(() => page.getByRole("tab", { name: "Metrics" }).getAttribute("aria-selected"), { timeout: 10_000 }).toBe("true");
});

it("draws one chart per metric, re-fetches the zoomed range at full resolution, and resets on double-click", async () => {
  const page = await ui().page();
  // Every chart's overview comes from one batch request, not one request per key.
  const batches: Array<{ series: Array<{ key: string }>; maxPoints: number }> = [];
  const perKey: string[] = [];
  page.on("request", (r) => {
    const u = new URL(r.url());
    if (u.pathname === "/api/v1/metrics/histories" && r.method() === "POST") batches.push(r.postDataJSON());
    else if (/^\/api\/v1\/runs\/[^/]+\/metrics\/.+/.test(u.pathname)) perKey.push(u.pathname);
  });
  await openMetrics(page);
  expect(batches).toHaveLength(1);
  expect(batches[0]!.series.map((s) => s.key).sort()).toEqual(["loss", "train/acc", "val/loss"]);
  expect(batches[0]!.maxPoints).toBe(1000);
  expect(perKey).toEqual([]);
  // One chart per non-system key, each with a canvas; system keys are not here.
  for (const key of ["loss", "train/acc", "val/loss"]) expect(await chart(page, key).locator("canvas").count()).toBeGreaterThan(0);
  expect(await page.locator('section[data-metric-key^="system/"]').count()).toBe(0);
  // Downsampled overview: at most 1,000 of the 5,000 points (the server's min/max per bucket).
  const overviewPoints = /([\d,]+) of 5,000 points \(min\/max per bucket\)/;
  const shownPoints = Number((await chart(page, "loss").textContent())?.match(overviewPoints)?.[1]?.replaceAll(",", ""));
  expect(shownPoints).toBeGreaterThan(10);
  expect(shownPoints).toBeLessThanOrEqual(1000);

  // Drag across the middle of the loss chart: a request for that step range.
  const over = chart(page, "loss").locator(".u-over");
  const box = (await over.boundingBox())!;
  const zoomed = page.waitForRequest((r) => {
    const u = new URL(r.url());
    return u.pathname.endsWith("/metrics/loss") && u.searchParams.has("fromStep") && u.searchParams.has("toStep");
  });
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.45, box.y + box.height / 2, { steps: 5 });
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  const req = new URL((await zoomed).url());
  const from = Number(req.searchParams.get("fromStep"));
  const to = Number(req.searchParams.get("toStep"));
  expect(from).toBeGreaterThan(STEPS * 0.2);
  expect(to).toBeLessThan(STEPS * 0.7);
  expect(to).toBeGreaterThan(from);
  // A range this small is asked for whole: every stored point.
  expect(Number(req.searchParams.get("maxPoints"))).toBe(to - from + 1);
  // The zoomed range is drawn from its own points, all of them.
  const fmt = (n: number) => n.toLocaleString("en-US");
  const zoomedFooter = new RegExp(`([\\d,]+) of ([\\d,]+) points.* · steps ${fmt(from)}–${fmt(to)}`);
  await eventually(() => chart(page, "loss").textContent()).toMatch(zoomedFooter);
  const [, zoomShown, zoomTotal] = (await chart(page, "loss").textContent())!.match(zoomedFooter)!.map((v) => Number(v.replaceAll(",", "")));
  expect(zoomTotal).toBe(to - from + 1);
  expect(zoomShown).toBe(zoomTotal);
  // Double-click: back to the whole run (the overview is still cached: no new request needed).
  await over.dblclick();
  await eventually(() => chart(page, "loss").textContent()).toMatch(overviewPoints);
  expect(await chart(page, "loss").getByRole("button", { name: "Reset zoom" }).count()).toBe(0);
});

it("switches the charts to log scale, smooths them, plots by wall time and filters keys", async () => {
  const page = await ui().page();
  await openMetrics(page);
  const canvas = chart(page, "loss").locator("canvas");
  const pixels = () => canvas.evaluate((c) => (c as HTMLCanvasElement).toDataURL());
  const linear = await pixels();
  await page.getByLabel("Log scale").check();
  await eventually(pixels).not.toBe(linear);
  await page.getByLabel("Log scale").uncheck();

  // Smoothing adds the EMA line over the faded raw one.
  await page.getByRole("slider").fill("0.9");
  await eventually(() => chart(page, "loss").locator(".u-legend").textContent()).toContain("loss (smoothed)");
  expect(await chart(page, "loss").locator(".u-legend").textContent()).toContain("loss (raw)");

  await page.getByLabel("X axis").selectOption("time");
  await eventually(() => chart(page, "loss").locator('[role="img"]').getAttribute("aria-label")).toBe("loss by wall time");

  await page.getByLabel("Filter metrics").fill("acc");
  await eventually(() => page.locator("section[data-metric-key]").count()).toBe(1);
  expect(await chart(page, "train/acc").count()).toBe(1);
  await page.getByLabel("Filter metrics").fill("no-such-metric");
  await eventually(() => page.getByRole("heading", { name: /No metric matches/ }).isVisible()).toBe(true);
  await page.getByRole("button", { name: "Clear the filter" }).click();
  await eventually(() => page.locator("section[data-metric-key]").count()).toBe(3);
  await page.getByLabel("X axis").selectOption("step");
  await page.getByRole("slider").fill("0");
  await screenshot(page, "run-metrics");
});

it("shows the SDK's system metrics in their own tab", async () => {
  const page = await ui().page();
  await openMetrics(page, "system");
  const keys = await page.locator("section[data-metric-key]").evaluateAll((els) => els.map((e) => e.getAttribute("data-metric-key")));
  expect(keys).toContain("system/memory_rss_bytes");
  expect(keys.every((k) => k?.startsWith("system/"))).toBe(true);
  expect(await chart(page, "system/memory_rss_bytes").locator("canvas").count()).toBeGreaterThan(0);
});

it("browses artifact folders and previews text, JSON, CSV and images inline", async () => {
  const page = await ui().page();
  await page.goto(`/runs/${seeded.runId}?tab=artifacts`);
  const files = page.locator("section", { has: page.getByRole("navigation", { name: "Folder" }) });
  const preview = page.locator("section.run-preview");
  await eventually(() => files.getByRole("button", { name: "Open folder data" }).isVisible()).toBe(true);
  for (const folder of ["config", "images", "models"]) expect(await files.getByRole("button", { name: `Open folder ${folder}` }).isVisible()).toBe(true);

  // Text at the root.
  await files.getByRole("button", { name: "README.txt" }).click();
  await eventually(() => preview.locator("pre").textContent()).toBe("Trained on the city sample.\nSecond line.");
  expect(await preview.getByRole("link", { name: "Download" }).getAttribute("href")).toBe(`/api/v1/runs/${seeded.runId}/artifacts/README.txt`);

  // CSV as a table: quoted commas and escaped quotes parsed.
  await files.getByRole("button", { name: "Open folder data" }).click();
  await page.waitForURL((u) => u.searchParams.get("prefix") === "data/");
  await files.getByRole("button", { name: "cities.csv" }).click();
  await eventually(() => preview.getByRole("cell", { name: "capital, largest" }).isVisible()).toBe(true);
  expect(await preview.getByRole("cell", { name: 'says "hi"' }).isVisible()).toBe(true);
  expect(await preview.locator("thead th").allTextContents()).toEqual(["city", "population", "note"]);
  expect(await preview.locator("tbody tr").count()).toBe(3);

  // Back to the root through the breadcrumb, then JSON pretty-printed.
  await files.getByRole("button", { name: "artifacts", exact: true }).click();
  await files.getByRole("button", { name: "Open folder config" }).click();
  await files.getByRole("button", { name: "params.json" }).click();
  await eventually(() => preview.locator("pre").textContent()).toContain('"betas": [\n');
  expect(await preview.locator("pre").textContent()).toContain('  "epochs": 12');

  // An image from a same-origin URL renders under the UI's CSP.
  await files.getByRole("button", { name: "↑ Up" }).click();
  await files.getByRole("button", { name: "Open folder images" }).click();
  await files.getByRole("button", { name: "plot.png" }).click();
  const img = preview.locator("img");
  await eventually(() => img.evaluate((el) => (el as HTMLImageElement).complete && (el as HTMLImageElement).naturalWidth)).toBe(64);
  await screenshot(page, "run-artifacts");

  // Nested folders: models/v1/weights/model.bin, a binary without a preview but with a download link.
  await files.getByRole("button", { name: "artifacts", exact: true }).click();
  await files.getByRole("button", { name: "Open folder models" }).click();
  await files.getByRole("button", { name: "Open folder v1" }).click();
  await files.getByRole("button", { name: "Open folder weights" }).click();
  await page.waitForURL((u) => u.searchParams.get("prefix") === "models/v1/weights/");
  expect(await files.getByRole("row", { name: /model\.bin/ }).textContent()).toContain("2.0 KiB");
  await files.getByRole("button", { name: "model.bin" }).click();
  await eventually(() => preview.textContent()).toContain("No preview for");
  // The folder and the open file are in the URL: a reload shows the same view.
  await page.reload();
  await eventually(() => preview.getByRole("heading", { name: "models/v1/weights/model.bin" }).isVisible()).toBe(true);
  // Download links fetch the real bytes.
  const href = (await files.getByRole("link", { name: "Download models/v1/weights/model.bin" }).getAttribute("href"))!;
  const size = await page.evaluate(async (u) => (await (await fetch(u)).arrayBuffer()).byteLength, href);
  expect(size).toBe(2048);
});

it("shows the datasets used and produced, with column profiles and histograms", async () => {
  const page = await ui().page();
  await page.goto(`/runs/${seeded.runId}?tab=datasets`);
  const used = page.getByRole("region", { name: "Datasets used" });
  const produced = page.getByRole("region", { name: "Datasets produced" });
  await eventually(() => used.getByText("cities", { exact: true }).isVisible()).toBe(true);
  expect(await produced.getByText("city-predictions", { exact: true }).isVisible()).toBe(true);
  expect(await used.textContent()).toContain("200 rows");
  // Numerical column: summary and a histogram with bars.
  const population = used.locator('tr[data-column="population"]');
  await eventually(() => population.isVisible()).toBe(true);
  expect(await population.textContent()).toMatch(/numerical/);
  expect(await population.textContent()).toMatch(/min 1,000/);
  expect(Number(await population.locator("svg").getAttribute("data-histogram-bins"))).toBeGreaterThan(1);
  expect(await population.locator("svg rect").count()).toBeGreaterThan(1);
  // Missing values counted; categorical column with its top values drawn as bars.
  expect(await used.locator('tr[data-column="score"]').textContent()).toMatch(/20\s*\(10%\)/);
  const region = used.locator('tr[data-column="region"]');
  expect(await region.textContent()).toContain("north");
  expect(Number(await region.locator("svg").getAttribute("data-histogram-bins"))).toBe(3);
  // Lineage of the dataset version.
  expect(await used.getByRole("link", { name: "Lineage" }).getAttribute("href")).toMatch(/^\/lineage\/dataset_version\/[0-9a-f-]{36}$/);
  await screenshot(page, "run-datasets");
});

it("shows notes as text and lets a writer edit them; the edit persists", async () => {
  const page = await ui().page();
  await page.goto(`/runs/${seeded.runId}?tab=notes`);
  const notes = page.getByTestId("run-notes");
  // Markup in notes is text, never HTML.
  await eventually(() => notes.textContent()).toBe(NOTES);
  expect(await notes.locator("img, b").count()).toBe(0);

  // Cancel leaves them as they were.
  await page.getByRole("button", { name: "Edit notes" }).click();
  await page.getByLabel("Notes (plain text)").fill("discarded");
  await page.getByRole("button", { name: "Cancel" }).click();
  expect(await notes.textContent()).toBe(NOTES);

  await page.getByRole("button", { name: "Edit notes" }).click();
  await page.getByLabel("Notes (plain text)").fill("Second try: lr 3e-3 converges.\nKeep the augmentation.");
  const saved = page.waitForResponse((r) => r.request().method() === "PATCH" && r.url().endsWith(`/runs/${seeded.runId}`));
  await page.getByRole("button", { name: "Save" }).click();
  expect((await saved).status()).toBe(200);
  await eventually(() => notes.textContent()).toBe("Second try: lr 3e-3 converges.\nKeep the augmentation.");
  await page.reload();
  await eventually(() => page.getByTestId("run-notes").textContent()).toBe("Second try: lr 3e-3 converges.\nKeep the augmentation.");
  expect((await ui().client.runs.get(seeded.runId)).notes).toBe("Second try: lr 3e-3 converges.\nKeep the augmentation.");
});

it("shows notes to a reader without the edit button", async () => {
  const { srv, browser } = ui();
  const res = await fetch(`${srv.url}/api/v1/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${srv.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "run-page reader", role: "reader", projects: [seeded.project] }),
  });
  expect(res.status).toBe(201);
  const { secret } = (await res.json()) as { secret: string };
  const context = await browser.newContext({ baseURL: srv.url });
  try {
    const page = await context.newPage();
    await page.goto(`/login?token=${encodeURIComponent(secret)}`);
    await page.waitForURL((u) => u.pathname === "/");
    await page.goto(`/runs/${seeded.runId}?tab=notes`);
    await eventually(() => page.getByTestId("run-notes").isVisible()).toBe(true);
    // whoami has answered (the role shows in the top bar) and still no edit button.
    await eventually(() => page.getByText("reader", { exact: false }).first().isVisible()).toBe(true);
    expect(await page.getByRole("button", { name: /(Edit|Add) notes/ }).count()).toBe(0);
  } finally {
    await context.close();
  }
});

it("shows a save error and keeps the draft when the server refuses the notes", async () => {
  const page = await ui().page({ expectedStatuses: [403] });
  await page.goto(`/runs/${seeded.runId}?tab=notes`);
  await page.getByRole("button", { name: /(Edit|Add) notes/ }).click();
  // The server refuses (as it does a reader's edit): the error is shown and the draft kept.
  await page.route(`**/api/v1/runs/${seeded.runId}`, (route) =>
    route.request().method() === "PATCH"
      ? route.fulfill({ status: 403, contentType: "application/problem+json", body: JSON.stringify({ type: "about:blank", title: "Forbidden", status: 403, detail: "readers cannot change runs" }) })
      : route.continue(),
  );
  await page.getByLabel("Notes (plain text)").fill("a draft that will not be saved");
  await page.getByRole("button", { name: "Save" }).click();
  await eventually(() => page.getByRole("alert").textContent()).toContain("readers cannot change runs");
  expect(await page.getByLabel("Notes (plain text)").inputValue()).toBe("a draft that will not be saved");
});

it("says what to do next on a run with nothing logged", async () => {
  const page = await ui().page();
  for (const [tab, text] of [
    ["metrics", "No metrics yet"],
    ["system", "No system metrics"],
    ["artifacts", "No artifacts"],
    ["datasets", "No datasets"],
  ] as const) {
    await page.goto(`/runs/${seeded.bareRunId}?tab=${tab}`);
    await eventually(() => page.getByRole("heading", { name: text }).isVisible()).toBe(true);
  }
  await page.goto(`/runs/${seeded.bareRunId}`);
  await eventually(() => page.getByText("No child runs.").isVisible()).toBe(true);
  expect(await page.getByText("No params.").isVisible()).toBe(true);
});

it("shows not found for an unknown run", async () => {
  const page = await ui().page({ expectedStatuses: [404] });
  await page.goto("/runs/01890000-0000-7000-8000-000000000000");
  await eventually(() => page.getByRole("heading", { name: "Not found" }).isVisible()).toBe(true);
});
