import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { init } from "@cairn/sdk";
import { beforeAll, expect, it } from "vitest";
import { screenshot, uniqueProject, withUi } from "./support.js";

const ui = withUi();
let project: string;
let projectId: string;

/** A raw call to the HTTP API with the admin key, as an operator's script would make it. */
async function http(method: string, url: string, body?: unknown, key = ui().srv.apiKey) {
  const res = await fetch(`${ui().srv.url}${url}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

beforeAll(async () => {
  project = uniqueProject("audit");
  const created = await http("POST", "/api/v1/projects", { name: project });
  expect(created.status).toBe(201);
  projectId = String(created.body?.id);
  const spool = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-audit-ui-"));
  const run = await init({ project, name: "train", url: ui().srv.url, apiKey: ui().srv.apiKey, spoolDir: spool, capture: false, heartbeatIntervalMs: 0, params: { lr: 0.1 } });
  const file = path.join(spool, "model.json");
  fs.writeFileSync(file, JSON.stringify({ w: [1, 2] }));
  await run.logArtifact(file, { path: "model.json" });
  await run.registerModel("churn", "model.json");
  await run.finish();
  // No policy on the alias: the gate passes and the alias moves (audited as alias.move).
  const promoted = await http("PUT", `/api/v1/projects/${project}/models/churn/aliases/production`, { version: 1, reason: "weekly retrain" });
  expect(promoted.status).toBe(200);
}, 120_000);

it("lists the promotion, narrows by action, shows its diff, verifies the chain and exports it", async () => {
  const page = await ui().page();
  await page.goto(`/audit?project=${project}`);
  const rows = page.locator(".au-table > tbody > tr:not(.au-details)");
  await page.getByRole("button", { name: "alias.move", exact: true }).waitFor();
  const all = await rows.count();
  expect(all).toBeGreaterThanOrEqual(4); // project, run, model, version, alias move…
  // Every row is of this project, by name.
  expect(await page.locator(".au-table > tbody > tr:not(.au-details) > td:nth-child(6)").allTextContents()).toEqual(Array(all).fill(project));

  await expect.poll(() => page.getByRole("status").filter({ hasText: "Chain verified" }).count()).toBe(1);
  expect(await page.getByRole("status").filter({ hasText: "Chain verified" }).textContent()).toMatch(/Chain verified: [\d,]+ events up to seq [\d,]+/);

  // Filtering by action (typed, then applied) narrows the list to the promotion, in the URL.
  await page.getByLabel("Action").fill("alias.move");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.waitForURL((u) => u.searchParams.get("action") === "alias.move" && u.searchParams.get("project") === project);
  await expect.poll(() => rows.count()).toBe(1);
  expect(await rows.first().locator("td").nth(3).textContent()).toBe("alias.move");

  // Its diff: the alias moved from no version to v1, with the reason added.
  await page.getByRole("button", { name: /^Details of alias\.move/ }).click();
  const diff = page.locator("table.au-diff");
  await diff.waitFor();
  const versionRow = diff.locator("tr", { has: page.locator("td", { hasText: /^version$/ }) });
  expect(await versionRow.locator("td").allTextContents()).toEqual(["version", "~ changed", "null", "changed to 1"]);
  const reasonRow = diff.locator("tr", { has: page.locator("td", { hasText: /^reason$/ }) });
  expect(await reasonRow.locator("td").allTextContents()).toEqual(["reason", "+ added", "—", "weekly retrain"]);
  expect(await diff.locator("tr.au-added").count()).toBeGreaterThan(1);

  await screenshot(page, "audit");

  // The export link carries the project filter and returns the project's events as JSON Lines.
  const exportLink = page.getByRole("link", { name: /Export these events/ });
  const href = await exportLink.getAttribute("href");
  expect(href).toBe(`/api/v1/audit/export?project=${project}`);
  const exported = await page.evaluate(async (url) => {
    const res = await fetch(url, { credentials: "same-origin" });
    return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
  }, href!);
  expect(exported.status).toBe(200);
  expect(exported.type).toMatch(/application\/x-ndjson/);
  const lines = exported.text.trim().split("\n").map((l) => JSON.parse(l) as { action: string; projectId: string; seq: number });
  expect(lines.length).toBe(all);
  expect(lines.every((l) => l.projectId === projectId)).toBe(true);
  expect(lines.some((l) => l.action === "alias.move")).toBe(true);
  // Oldest first, as the chain runs.
  expect(lines.map((l) => l.seq)).toEqual([...lines.map((l) => l.seq)].sort((a, b) => a - b));
});

it("narrows by time and says when nothing matches", async () => {
  const page = await ui().page();
  const future = new Date(Date.now() + 86_400_000).toISOString();
  await page.goto(`/audit?project=${project}&from=${encodeURIComponent(future)}`);
  await page.getByRole("heading", { name: "No event matches these filters" }).waitFor();
  await page.getByRole("button", { name: "Clear the filters" }).click();
  await page.waitForURL((u) => u.search === "");
  await page.locator(".au-table").waitFor();
});

it("pages through a long log as the list scrolls", async () => {
  // 60 metric batches give a metrics.log event each in a fresh project: more than one page of 50.
  const name = uniqueProject("audit-pages");
  const spool = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-audit-pages-"));
  const run = await init({ project: name, url: ui().srv.url, apiKey: ui().srv.apiKey, spoolDir: spool, capture: false, heartbeatIntervalMs: 0 });
  for (let i = 0; i < 60; i++) {
    const r = await http("POST", `/api/v1/runs/${run.id}/metrics`, { points: [{ key: "loss", step: i, value: 1 / (i + 1) }] });
    expect(r.status).toBeLessThan(300);
  }
  await run.finish();
  const listed = await http("GET", `/api/v1/audit?project=${name}&action=metrics.log&limit=1000`);
  const total = ((listed.body as { events: unknown[] }).events ?? []).length;
  expect(total).toBeGreaterThan(50);
  const page = await ui().page();
  await page.goto(`/audit?project=${name}&action=metrics.log`);
  const rows = page.locator(".au-table > tbody > tr");
  await expect.poll(() => rows.count()).toBe(50);
  await page.locator(".au-more").scrollIntoViewIfNeeded();
  await expect.poll(() => rows.count()).toBe(total);
  await expect.poll(() => page.locator(".au-more").textContent()).toContain(`${total} events — the whole list`);
});

it("tells a key that may not verify the chain so, and shows only its project's events", async () => {
  const key = await http("POST", "/api/v1/keys", { name: "project writer", role: "writer", projects: [project] });
  expect(key.status).toBe(201);
  const context = await ui().browser.newContext({ baseURL: ui().srv.url });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`/login?token=${encodeURIComponent(String(key.body?.secret))}`);
  await page.waitForURL((u) => u.pathname === "/");
  await page.goto("/audit");
  await page.getByRole("status").filter({ hasText: "Only an admin key on all projects can verify" }).waitFor();
  await page.locator(".au-table").waitFor();
  const projects = await page.locator(".au-table > tbody > tr > td:nth-child(6)").allTextContents();
  expect(new Set(projects)).toEqual(new Set([project]));
  expect(errors).toEqual([]);
  await context.close();
});
