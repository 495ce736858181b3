import { init, type Params } from "@cairn/sdk";
import type { Page } from "playwright-core";
import { beforeAll, expect, it } from "vitest";
import { screenshot, uniqueProject, withUi } from "./support.js";

const ui = withUi();

const project = uniqueProject("compare");
const ids: string[] = [];

/**
 * Three runs with overlapping metrics (loss and accuracy in all three, val/loss in two) and
 * params that differ in exactly lr, batch and dropout (dropout: only the third run has it).
 */
const RUNS: { name: string; params: Params; rate: number; valLoss: boolean }[] = [
  { name: "alpha", params: { lr: 0.1, optimizer: "adam", epochs: 10, batch: 32 }, rate: 0.3, valLoss: true },
  { name: "beta", params: { lr: 0.01, optimizer: "adam", epochs: 10, batch: 64 }, rate: 0.15, valLoss: true },
  { name: "gamma", params: { lr: 0.001, optimizer: "adam", epochs: 10, batch: 32, dropout: 0.5 }, rate: 0.05, valLoss: false },
];
const STEPS = 50;

beforeAll(async () => {
  const { srv } = ui();
  for (const spec of RUNS) {
    const run = await init({ project, name: spec.name, params: spec.params, tags: { team: "vision" }, url: srv.url, apiKey: srv.apiKey, capture: false, heartbeatIntervalMs: 0 });
    for (let step = 0; step < STEPS; step++) {
      const loss = 2 * Math.exp(-spec.rate * step) + 0.05;
      run.log({ loss, accuracy: 1 - loss / 2.1, ...(spec.valLoss ? { "val/loss": loss * 1.1 } : {}) }, { step });
    }
    await run.finish();
    ids.push(run.id);
  }
});

const legendSeries = (page: Page, key: string) =>
  // uPlot's legend has one row per series, the x series first.
  page.locator(`section[data-metric="${key}"] .u-legend .u-series`).evaluateAll((rows) => rows.slice(1).map((r) => r.querySelector(".u-label")?.textContent?.trim() ?? ""));

async function openCompare(page: Page, runIds: string[]) {
  await page.goto(`/projects/${project}/compare?runs=${runIds.join(",")}`);
  await page.getByRole("heading", { name: "Compare runs" }).waitFor();
}

it("overlays each metric's curves, one series per run, and lists the runs with their colours", async () => {
  const page = await ui().page();
  await openCompare(page, ids);

  const runItems = page.getByRole("list", { name: "Compared runs" }).getByRole("listitem");
  await expect.poll(() => runItems.count()).toBe(3);
  expect(await runItems.evaluateAll((items) => items.map((li) => li.querySelector("a")?.textContent))).toEqual(["alpha", "beta", "gamma"]);
  expect(await page.getByRole("link", { name: "beta" }).first().getAttribute("href")).toBe(`/runs/${ids[1]}`);

  // One chart per key present in any run.
  await expect.poll(() => page.locator("section[data-metric]").evaluateAll((s) => s.map((e) => e.getAttribute("data-metric")))).toEqual(["accuracy", "loss", "val/loss"]);
  for (const key of ["accuracy", "loss"]) {
    await expect.poll(() => legendSeries(page, key)).toHaveLength(3);
    expect(await legendSeries(page, key)).toEqual(["alpha", "beta", "gamma"]);
  }
  // val/loss was logged by two runs only: two series, and the card says so.
  await expect.poll(() => legendSeries(page, "val/loss")).toHaveLength(2);
  expect(await page.locator('section[data-metric="val/loss"] h3').textContent()).toContain("2 of 3 runs");

  // The swatch beside each run has the colour of its line in the charts.
  const swatches = await runItems.evaluateAll((items) => items.map((li) => getComputedStyle(li.querySelector(".compare-swatch")!).backgroundColor));
  const lines = await page.locator('section[data-metric="loss"] .u-legend .u-series').evaluateAll((rows) =>
    rows.slice(1).map((r) => getComputedStyle(r.querySelector(".u-marker")!).borderColor),
  );
  expect(lines).toEqual(swatches);
  expect(new Set(swatches).size).toBe(3);

  await screenshot(page, "compare");
});

it("highlights exactly the differing params and hides equal ones until asked", async () => {
  const page = await ui().page();
  await openCompare(page, ids);
  const params = page.locator("section", { has: page.getByRole("heading", { name: "Params", exact: true }) });
  const rowKeys = (sel: string) => params.locator(`tbody ${sel}[data-key]`).evaluateAll((rows) => rows.map((r) => r.getAttribute("data-key")));

  // Default: only differing params (there are differences), each highlighted.
  const toggle = params.getByLabel("Only differing params");
  await expect.poll(() => toggle.isChecked()).toBe(true);
  expect(await rowKeys("tr")).toEqual(["batch", "dropout", "lr"]);
  expect(await rowKeys("tr.diff")).toEqual(["batch", "dropout", "lr"]);
  expect(await params.getByText("3 of 5 params differ").isVisible()).toBe(true);

  // All params: the equal ones appear, not highlighted.
  await toggle.uncheck();
  expect(await rowKeys("tr")).toEqual(["batch", "dropout", "epochs", "lr", "optimizer"]);
  expect(await rowKeys("tr.diff")).toEqual(["batch", "dropout", "lr"]);
  const lrCells = await params.locator('tr[data-key="lr"] td').allTextContents();
  expect(lrCells).toEqual(["0.1", "0.01", "0.001"]);
  // A param one run lacks shows a dash there.
  expect(await params.locator('tr[data-key="dropout"] td').allTextContents()).toEqual(["—", "—", "0.5"]);

  await toggle.check();
  expect(await params.locator('tr[data-key="optimizer"]').count()).toBe(0);

  // Tags are equal in every run: all shown by default, none highlighted; asking for the
  // differing ones says there are none rather than showing an empty table.
  const tags = page.locator("section", { has: page.getByRole("heading", { name: "Tags", exact: true }) });
  const onlyDifferingTags = tags.getByLabel("Only differing tags");
  expect(await onlyDifferingTags.isChecked()).toBe(false);
  expect(await tags.locator("tbody tr[data-key]").evaluateAll((rows) => rows.map((r) => [r.getAttribute("data-key"), r.className]))).toEqual([["team", ""]]);
  await onlyDifferingTags.check();
  expect(await tags.getByText("The only tag is equal in every run.").isVisible()).toBe(true);
});

it("puts each metric's summary side by side and marks the best run", async () => {
  const page = await ui().page();
  await openCompare(page, ids);
  const table = page.locator("table.compare-summary");
  await table.waitFor();
  expect(await table.locator("thead th").allTextContents()).toEqual(["Metric", "Better", "alpha", "beta", "gamma"]);

  const row = (key: string) => table.locator(`tr[data-metric="${key}"]`);
  // Loss: lower is better; alpha decays fastest, so its last loss is the lowest.
  const lossCells = row("loss").locator("td.num");
  expect(await lossCells.count()).toBe(3);
  const expectedLast = RUNS.map((r) => 2 * Math.exp(-r.rate * (STEPS - 1)) + 0.05);
  const shown = (await lossCells.locator(".compare-value").allTextContents()).map((t) => Number(t.replace(/[^\d.]/g, "")));
  shown.forEach((v, i) => expect(v).toBeCloseTo(expectedLast[i]!, 4));
  expect(await row("loss").locator("td.best").count()).toBe(1);
  expect(await lossCells.nth(0).getAttribute("class")).toContain("best");
  expect(await row("loss").getByRole("button").textContent()).toContain("lower");
  // Accuracy: higher is better, alpha again.
  expect(await row("accuracy").locator("td.num").nth(0).getAttribute("class")).toContain("best");
  // val/loss: gamma has none.
  expect(await row("val/loss").locator("td.num").nth(2).textContent()).toBe("—");

  // Min instead of last: every loss is still falling at the end, so min = last.
  await table.page().getByText("Min", { exact: true }).click();
  expect(await lossCells.nth(1).locator(".compare-sub").textContent()).toMatch(/^last [\d.]+ · max [\d.]+$/);

  // Flipping the goal marks the worst-loss run (gamma) as best instead.
  await row("loss").getByRole("button").click();
  expect(await lossCells.nth(2).getAttribute("class")).toContain("best");
  expect(await lossCells.nth(0).getAttribute("class")).not.toContain("best");
});

it("removes a run: the address and every chart follow", async () => {
  const page = await ui().page();
  await openCompare(page, ids);
  await expect.poll(() => legendSeries(page, "loss")).toHaveLength(3);
  await page.getByRole("button", { name: "Remove beta from the comparison" }).click();
  await expect.poll(() => new URL(page.url()).searchParams.get("runs")).toBe(`${ids[0]},${ids[2]}`);
  await expect.poll(() => legendSeries(page, "loss")).toEqual(["alpha", "gamma"]);
  await expect.poll(() => legendSeries(page, "val/loss")).toHaveLength(1);
  expect(await page.locator("table.compare-summary thead th").allTextContents()).toEqual(["Metric", "Better", "alpha", "gamma"]);
  // Back restores the three runs.
  await page.goBack();
  await expect.poll(() => legendSeries(page, "loss")).toHaveLength(3);
});

it("filters metrics, smooths and switches to a log scale, keeping the choices in the address", async () => {
  const page = await ui().page();
  await openCompare(page, ids);
  await page.locator("section[data-metric]").first().waitFor();
  await page.getByLabel("Filter metrics").fill("loss");
  await expect.poll(() => page.locator("section[data-metric]").evaluateAll((s) => s.map((e) => e.getAttribute("data-metric")))).toEqual(["loss", "val/loss"]);
  expect(await page.locator("table.compare-summary tbody tr").count()).toBe(2);
  await page.getByLabel("Log scale").check();
  await page.getByLabel("Smoothing").fill("0.6");
  await expect.poll(() => page.locator(".compare-smooth-value").textContent()).toBe("0.60");
  const url = new URL(page.url());
  expect([url.searchParams.get("key"), url.searchParams.get("log"), url.searchParams.get("smooth")]).toEqual(["loss", "1", "0.6"]);
  // A reload (or a shared link) shows the same view.
  await page.reload();
  await expect.poll(() => page.locator("section[data-metric]").count()).toBe(2);
  expect(await page.getByLabel("Log scale").isChecked()).toBe(true);
  await expect.poll(() => legendSeries(page, "loss")).toHaveLength(3);
});

it("explains what is wrong with the selection instead of failing", async () => {
  const page = await ui().page();
  await page.goto(`/projects/${project}/compare`);
  await page.getByRole("heading", { name: "No runs selected" }).waitFor();
  expect(await page.getByRole("link", { name: "runs table" }).getAttribute("href")).toBe(`/projects/${project}/runs`);

  await page.goto(`/projects/${project}/compare?runs=${ids[0]}`);
  await page.getByRole("heading", { name: "Pick at least 2 runs to compare" }).waitFor();

  const tooMany = Array.from({ length: 21 }, (_, i) => `0190b1a2-0000-7000-8000-${String(i).padStart(12, "0")}`);
  await page.goto(`/projects/${project}/compare?runs=${tooMany.join(",")}`);
  await page.getByText("At most 20 runs can be compared at once; the address names 21.").waitFor();

  // An id that is not a UUID is reported without asking the server; an unknown UUID after
  // the server answers 404. The known runs are still compared.
  const unknown = "0190b1a2-0000-7000-8000-00000000dead";
  await page.goto(`/projects/${project}/compare?runs=${ids[0]},not-a-run,${ids[1]},${unknown}`);
  const alert = page.locator(".compare-alert");
  await alert.waitFor();
  expect(await alert.textContent()).toContain("2 ids do not name runs");
  expect(await alert.textContent()).toContain(`not-a-run, ${unknown}`);
  await expect.poll(() => legendSeries(page, "loss")).toHaveLength(2);
  await alert.getByRole("button", { name: "Remove them" }).click();
  await expect.poll(() => new URL(page.url()).searchParams.get("runs")).toBe(`${ids[0]},${ids[1]}`);
  await expect.poll(() => page.locator(".compare-alert").count()).toBe(0);
});

it("zooms every chart to the dragged step range at full resolution, and resets", async () => {
  const page = await ui().page();
  const ranged: string[] = [];
  let batches = 0;
  page.on("request", (r) => {
    const u = new URL(r.url());
    if (u.pathname.includes("/metrics/") && u.searchParams.has("fromStep")) ranged.push(`${decodeURIComponent(u.pathname.split("/metrics/")[1]!)} ${u.searchParams.get("fromStep")}-${u.searchParams.get("toStep")}`);
    // The charts read together: a zoom is one batch request with a range per (run, key).
    if (u.pathname === "/api/v1/metrics/histories") {
      const body = r.postDataJSON() as { series: Array<{ key: string; fromStep?: number; toStep?: number }> };
      const zoomedSeries = body.series.filter((s) => s.fromStep !== undefined);
      if (zoomedSeries.length > 0) batches++;
      for (const s of zoomedSeries) ranged.push(`${s.key} ${s.fromStep}-${s.toStep}`);
    }
  });
  await openCompare(page, ids);
  await expect.poll(() => legendSeries(page, "loss")).toHaveLength(3);
  const over = page.locator('section[data-metric="loss"] .u-over');
  const box = (await over.boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();

  const reset = page.getByRole("button", { name: "Reset zoom" });
  await reset.waitFor();
  const range = (await reset.locator("..").textContent())!.match(/Steps (\d+)–(\d+)/);
  expect(range).not.toBeNull();
  const [from, to] = [Number(range![1]), Number(range![2])];
  expect(from).toBeGreaterThanOrEqual(8);
  expect(to).toBeLessThanOrEqual(27);
  // Every chart fetched the range for every run that has the metric (3 + 3 + 2).
  await expect.poll(() => new Set(ranged).size).toBe(3);
  expect(ranged.filter((r) => r.startsWith("loss ")).length).toBe(3);
  expect([...new Set(ranged)].every((r) => r.endsWith(` ${from}-${to}`))).toBe(true);
  expect(ranged).toHaveLength(8);
  expect(batches).toBe(1);

  await reset.click();
  await page.getByText("Drag over a chart to zoom all of them").waitFor();
});

it("compares 20 runs with 20 distinct colours, and tells typed params apart", async () => {
  const { srv } = ui();
  const many = uniqueProject("compare-20");
  const manyIds: string[] = [];
  for (let i = 0; i < 20; i++) {
    // seed 1 (a number) in the first run, "1" (a string) in all others: they differ.
    const run = await init({ project: many, name: `sweep-${String(i).padStart(2, "0")}`, params: { seed: i === 0 ? 1 : "1", width: 64 }, url: srv.url, apiKey: srv.apiKey, capture: false, heartbeatIntervalMs: 0 });
    for (let step = 0; step < 1000; step++) run.log({ loss: 1 / (1 + step * (i + 1) * 0.01), "val/acc": step / 1000 }, { step });
    await run.finish();
    manyIds.push(run.id);
  }
  const page = await ui().page();
  const started = Date.now();
  await page.goto(`/projects/${many}/compare?runs=${manyIds.join(",")}`);
  await expect.poll(() => page.locator('section[data-metric="loss"] .u-legend .u-series').count(), { timeout: 30_000 }).toBe(21);
  await expect.poll(() => page.locator('section[data-metric="val/acc"] .u-legend .u-series').count(), { timeout: 30_000 }).toBe(21);
  console.log(`compare: 20 runs × 2 metrics × 1,000 steps drawn ${Date.now() - started} ms after navigation`);
  const colours = await page.locator('section[data-metric="loss"] .u-legend .u-series .u-marker').evaluateAll((m) => m.slice(1).map((e) => getComputedStyle(e).borderColor));
  expect(new Set(colours).size).toBe(20);

  const params = page.locator("section", { has: page.getByRole("heading", { name: "Params", exact: true }) });
  expect(await params.locator("tbody tr.diff").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-key")))).toEqual(["seed"]);
  const seedCells = await params.locator('tr[data-key="seed"] td').allTextContents();
  expect(seedCells.slice(0, 2)).toEqual(["1", '"1"']);

  // A 21st run is one too many: the page offers the first 20 instead.
  await page.goto(`/projects/${many}/compare?runs=${[...manyIds, ids[0]].join(",")}`);
  await page.getByRole("button", { name: "Compare the first 20" }).click();
  await expect.poll(() => new URL(page.url()).searchParams.get("runs")).toBe(manyIds.join(","));
  await expect.poll(() => page.locator('section[data-metric="loss"] .u-legend .u-series').count(), { timeout: 30_000 }).toBe(21);
});
