import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { init, type InitOptions } from "@cairn/sdk";
import type { Page } from "playwright-core";
import { beforeAll, expect, it } from "vitest";
import { screenshot, uniqueProject, withUi } from "./support.js";

const ui = withUi();

interface Seeded {
  project: string;
  prepId: string;
  trainId: string;
  rawVersionId: string;
}
let seeded: Seeded;
const spool = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-lineage-ui-"));

/** Options every seeding run shares: the test server, no environment capture, no heartbeats. */
const runOpts = (project: string, name: string): InitOptions => ({
  project,
  name,
  url: ui().srv.url,
  apiKey: ui().srv.apiKey,
  spoolDir: spool,
  capture: false,
  heartbeatIntervalMs: 0,
});

const rows = (n: number, offset = 0) => Array.from({ length: n }, (_, i) => ({ x: i + offset, y: (i + offset) % 3 === 0 ? "a" : "b" }));

beforeAll(async () => {
  const project = uniqueProject("lineage");
  // prep: reads raw, writes stats.json and the features dataset.
  const prep = await init(runOpts(project, "prep"));
  const raw = await prep.logDataset({ name: "raw", data: rows(20) });
  const stats = path.join(spool, "stats.json");
  fs.writeFileSync(stats, JSON.stringify({ rows: 20 }));
  await prep.logArtifact(stats, { path: "stats.json" });
  await prep.logOutputDataset({ name: "features", data: rows(20, 100) });
  await prep.finish();
  // train: reads prep's output, registers churn v1, which goes to production.
  const train = await init(runOpts(project, "train"));
  await train.logDataset({ name: "features", data: rows(20, 100) });
  const model = path.join(spool, "model.json");
  fs.writeFileSync(model, JSON.stringify({ weights: [0.1, 0.2] }));
  await train.logArtifact(model, { path: "model.json" });
  await train.registerModel("churn", "model.json");
  await train.finish();
  await ui().client.models.promote("churn", 1, "production", { project });
  seeded = { project, prepId: prep.id, trainId: train.id, rawVersionId: raw.id };
}, 120_000);

const nodeCount = (page: Page) => page.locator(".lg-node").count();
const edgeCount = (page: Page) => page.locator(".lg-edge").count();

it("draws the lineage of a run, opens nodes and follows the direction and depth controls", async () => {
  const { prepId, trainId, project } = seeded;
  const page = await ui().page();
  await page.goto(`/lineage/run/${prepId}`);

  const prepNode = page.getByRole("link", { name: "Run prep" });
  await prepNode.waitFor();
  // Every kind along the chain is drawn, by its accessible name.
  for (const [role, name] of [
    ["button", "Dataset version raw v1"],
    ["button", "Dataset version features v1"],
    ["link", "Artifact stats.json"],
    ["link", "Run train"],
    ["link", "Artifact model.json"],
    ["link", "Model version churn v1"],
    ["link", "Alias churn@production"],
    ["link", "Monitoring churn predictions"],
  ] as const) {
    await expect.poll(() => page.getByRole(role, { name, exact: true }).count(), { message: name }).toBe(1);
  }
  expect(await prepNode.getAttribute("aria-current")).toBe("true");

  // One drawn edge per edge of the API's graph, plus the alias's link to its monitoring.
  const api = await ui().client.lineage("run", prepId);
  expect(await edgeCount(page)).toBe(api.edges.length + 1);
  expect(await nodeCount(page)).toBe(api.nodes.length + 1);
  expect(await page.locator('.lg-edge[data-relation="input"]').count()).toBe(2);
  expect(await page.locator('.lg-edge[data-relation="output"]').count()).toBe(1);
  expect(await page.locator('.lg-edge[data-relation="registered_as"]').count()).toBe(1);
  expect(await page.locator('.lg-edge[data-relation="promoted_to"]').count()).toBe(1);
  // Edge labels carry the dataset's role.
  expect(await page.locator(".lg-edge-label text", { hasText: "input · train" }).count()).toBe(2);

  // A dataset version opens in the side panel with its schema.
  await page.getByRole("button", { name: "Dataset version raw v1", exact: true }).click();
  const panel = page.getByRole("complementary", { name: "Selected node" });
  await expect.poll(() => panel.locator("h2").textContent()).toBe("raw v1");
  await panel.getByRole("cell", { name: "x", exact: true }).waitFor();
  expect(await panel.getByRole("link", { name: "Show lineage from here" }).getAttribute("href")).toBe(`/lineage/dataset_version/${seeded.rawVersionId}`);

  // Model versions link to the model page and to the monitoring of its predictions.
  await page.getByRole("link", { name: "Model version churn v1", exact: true }).focus();
  await expect.poll(() => panel.locator("h2").textContent()).toBe("churn v1");
  expect(await panel.getByRole("link", { name: "Monitoring of predictions" }).getAttribute("href")).toBe(`/projects/${project}/models/churn/monitoring`);
  expect(await panel.getByRole("link", { name: "Open model version" }).getAttribute("href")).toBe(`/projects/${project}/models/churn?tab=versions&version=1`);

  await screenshot(page, "lineage");

  // Upstream only: where prep came from (raw), nothing it made.
  await page.getByLabel("Upstream").click();
  await page.waitForURL((u) => u.searchParams.get("direction") === "up");
  await expect.poll(() => nodeCount(page)).toBe(2);
  expect(await edgeCount(page)).toBe(1);
  expect(await page.getByRole("link", { name: "Run train" }).count()).toBe(0);

  // Both directions, one hop: prep's direct neighbours only.
  await page.getByLabel("Both").click();
  await page.getByLabel("Depth").selectOption("1");
  await page.waitForURL((u) => u.searchParams.get("depth") === "1" && !u.searchParams.has("direction"));
  await expect.poll(() => page.getByRole("link", { name: "Run train" }).count()).toBe(0);
  expect(await nodeCount(page)).toBe(4); // raw, prep, stats.json, features
  expect(await edgeCount(page)).toBe(3);
  await expect.poll(() => page.getByRole("status").filter({ hasText: "goes on beyond 1 hops" }).count()).toBe(1);

  // The controls live in the URL: a reload keeps them.
  await page.reload();
  await expect.poll(() => nodeCount(page)).toBe(4);
  expect(await page.getByLabel("Depth").inputValue()).toBe("1");

  // Re-rooting on the features dataset.
  await page.getByRole("button", { name: "Show lineage from features v1" }).click();
  await page.waitForURL((u) => u.pathname.startsWith("/lineage/dataset_version/"));
  await expect.poll(() => page.getByRole("button", { name: "Dataset version features v1" }).getAttribute("aria-current")).toBe("true");

  // Clicking a run opens it.
  await page.goto(`/lineage/run/${prepId}`);
  await page.getByRole("link", { name: "Run train", exact: true }).click();
  await page.waitForURL((u) => u.pathname === `/runs/${trainId}`);
});

it("opens a node from the keyboard", async () => {
  const page = await ui().page();
  await page.goto(`/lineage/run/${seeded.trainId}`);
  const prep = page.getByRole("link", { name: "Run prep", exact: true });
  await prep.focus();
  await page.keyboard.press("Enter");
  await page.waitForURL((u) => u.pathname === `/runs/${seeded.prepId}`);
});

it("pans and zooms with the buttons and the wheel", async () => {
  const page = await ui().page();
  await page.goto(`/lineage/run/${seeded.trainId}`);
  await page.getByRole("link", { name: "Run train", exact: true }).waitFor();
  const transform = () => page.locator(".lg-canvas svg > g").getAttribute("transform");
  const zoom = async () => Number(/scale\(([^)]+)\)/.exec((await transform()) ?? "")?.[1]);
  const opened = await zoom();
  await page.getByRole("button", { name: "Zoom in" }).click();
  expect(await zoom()).toBeCloseTo(opened * 1.25, 5);
  const canvas = page.locator(".lg-canvas");
  const box = (await canvas.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + 20);
  await page.mouse.wheel(0, 400);
  await expect.poll(zoom).toBeLessThan(opened * 1.25);
  // Dragging the background pans.
  const before = await transform();
  await page.mouse.move(box.x + 10, box.y + box.height - 10);
  await page.mouse.down();
  await page.mouse.move(box.x + 110, box.y + box.height - 60, { steps: 4 });
  await page.mouse.up();
  expect(await transform()).not.toBe(before);
  // Fit shows every node inside the canvas.
  await page.getByRole("button", { name: "Fit" }).click();
  expect(await zoom()).toBeLessThanOrEqual(opened);
  for (const node of await page.locator(".lg-node .lg-box").all()) {
    const b = (await node.boundingBox())!;
    expect(b.x).toBeGreaterThanOrEqual(box.x);
    expect(b.y).toBeGreaterThanOrEqual(box.y);
    expect(b.x + b.width).toBeLessThanOrEqual(box.x + box.width);
    expect(b.y + b.height).toBeLessThanOrEqual(box.y + box.height);
  }
});

it("lays out a graph of hundreds of nodes off the main thread", async () => {
  const project = uniqueProject("lineage-big");
  const run = await init(runOpts(project, "fan-out"));
  const outputs = 150;
  // A few at a time: the test server is one in-process PGlite on a shared machine.
  for (let i = 0; i < outputs; i += 5) {
    await Promise.all(Array.from({ length: 5 }, (_, j) => run.logOutputDataset({ name: `part-${String(i + j).padStart(3, "0")}`, data: [{ i: i + j }] })));
  }
  await run.finish();
  const page = await ui().page();
  const started = Date.now();
  await page.goto(`/lineage/run/${run.id}`);
  await expect.poll(() => nodeCount(page), { timeout: 30_000 }).toBe(outputs + 1);
  const took = Date.now() - started;
  expect(await edgeCount(page)).toBe(outputs);
  // The page answers while and after laying out: a keyboard zoom lands at once.
  const t0 = Date.now();
  await page.locator(".lg-canvas").focus();
  await page.keyboard.press("+");
  expect(Date.now() - t0).toBeLessThan(1000);
  console.log(`lineage: ${outputs + 1} nodes drawn ${took} ms after navigation`);
}, 180_000);
