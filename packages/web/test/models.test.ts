import { init } from "@cairn/sdk";
import type { Page } from "playwright-core";
import { beforeAll, expect, it } from "vitest";
import { screenshot, uniqueProject, withUi } from "./support.js";

// CAIRN_TEST_WEB_DIR: a build of the UI of one's own, for a checkout where others rebuild dist/ meanwhile.
const ui = withUi(process.env.CAIRN_TEST_WEB_DIR ? { env: { CAIRN_WEB_DIR: process.env.CAIRN_TEST_WEB_DIR } } : {});

const project = uniqueProject("models");
const MODEL = "churn-gbm";

/** The training rows: the signature's inputs come from this schema, minus the label column. */
const TRAIN_ROWS = Array.from({ length: 40 }, (_, i) => ({ age: 20 + i, city: ["paris", "lyon", "nice"][i % 3], churned: i % 4 === 0 }));

/**
 * A training run that logs a test accuracy, a training set and a model folder, and registers
 * the folder as the next version of MODEL: the gate's metric rule reads `test/accuracy` from
 * the version's metrics snapshot.
 */
async function trainAndRegister(accuracy: number, label: string): Promise<{ version: number; runId: string }> {
  const { srv } = ui();
  const run = await init({ project, name: label, url: srv.url, apiKey: srv.apiKey, capture: false, heartbeatIntervalMs: 0 });
  run.log({ "test/accuracy": accuracy, "train/loss": 1 - accuracy });
  await run.logDataset({ name: "churn-train", data: TRAIN_ROWS, role: "train" });
  await run.logText("model/model.json", JSON.stringify({ trees: 100, accuracy }));
  await run.logText("model/vocab.txt", "paris\nlyon\nnice\n");
  const version = await run.registerModel(MODEL, "model", { labelColumn: "churned", framework: "lightgbm", description: `trained by ${label}` });
  await run.finish();
  return { version: version.version, runId: run.id };
}

let first: { version: number; runId: string };

beforeAll(async () => {
  const { client } = ui();
  await client.projects.create({ name: project });
  await client.models.create({ name: MODEL, description: "Churn classifier: gradient-boosted trees on account activity", project });
  first = await trainAndRegister(0.8, "train-v1");
  // A check on a dataset version (role validation: the policy's metric rule reads the `test` role, so its evidence stays the metrics snapshot).
  const trainSet = (await client.models.version(MODEL, first.version, { project })).datasets[0]?.datasetVersionId ?? "";
  await client.models.recordCheck(
    MODEL,
    first.version,
    { kind: "performance", name: "holdout", status: "passed", figures: { accuracy: 0.8, f1: 0.74, rows: 2000 }, datasets: [{ datasetVersionId: trainSet, role: "validation" }] },
    { project },
  );
  await client.models.setPolicy(
    MODEL,
    {
      alias: "production",
      rules: [
        { metric: "accuracy", dataset: "test", min: 0.9 },
        { check: "schema", compatibleWith: "production" },
        { checksNewerThan: "7d" },
      ],
    },
    { project },
  );
});

/** The model page on a tab, once the model's header is there. */
async function openModel(page: Page, query = "") {
  await page.goto(`/projects/${project}/models/${MODEL}${query}`);
  await page.getByRole("heading", { level: 1, name: MODEL }).waitFor();
}

const dialog = (page: Page) => page.getByRole("dialog", { name: `Promote ${MODEL}` });
const ruleRow = (page: Page, index: number) => dialog(page).getByTestId(`rule-${index}`);

it("lists the registered model, its versions and a version's signature, files and check results", async () => {
  const page = await ui().page();
  await page.goto(`/projects/${project}/models`);
  const link = page.getByRole("link", { name: MODEL, exact: true });
  await link.waitFor();
  const row = page.locator("tr", { has: link });
  expect(await row.locator("td").nth(1).textContent()).toBe("Churn classifier: gradient-boosted trees on account activity");
  expect(await row.locator("td").nth(2).textContent()).toBe("v1");
  // No alias yet: the aliases cell says so.
  expect(await row.locator("td").nth(3).textContent()).toBe("—");
  await screenshot(page, "models");

  await link.click();
  await page.getByRole("heading", { level: 1, name: MODEL }).waitFor();
  const versionLink = page.getByRole("link", { name: "Version 1 details" });
  await versionLink.waitFor();
  // The metrics snapshot shows as columns of the versions table.
  const versionRow = page.locator("table.versions-table tbody tr").first();
  expect(await versionRow.textContent()).toContain("0.8");
  expect(await page.locator("table.versions-table thead").textContent()).toContain("test/accuracy");
  expect(await versionRow.getByRole("link", { name: first.runId.slice(0, 8) }).getAttribute("href")).toBe(`/runs/${first.runId}`);

  await versionLink.click();
  await page.waitForURL((u) => u.searchParams.get("version") === "1");
  const detail = page.locator("section.version-detail");
  await detail.getByRole("heading", { name: `${MODEL} v1` }).waitFor();
  // Signature inferred from the training set: inputs without the label, the label as output.
  const inputs = detail.getByRole("table", { name: "Signature inputs" });
  expect(await inputs.locator("tbody td.mono").allTextContents()).toEqual(["age", "city"]);
  expect(await detail.getByRole("table", { name: "Signature outputs" }).locator("tbody td.mono").allTextContents()).toEqual(["churned"]);
  // The training dataset links to its lineage; the frozen files download from the version.
  const dataset = detail.getByRole("link", { name: "churn-train v1", exact: true });
  expect(await dataset.getAttribute("href")).toMatch(/^\/lineage\/dataset_version\/[0-9a-f-]{36}$/);
  expect(await detail.getByRole("link", { name: "model.json" }).getAttribute("href")).toBe(`/api/v1/projects/${project}/models/${MODEL}/versions/1/files/model.json`);
  expect(await detail.getByRole("link", { name: "vocab.txt" }).isVisible()).toBe(true);
  // The recorded check with its status and figures.
  const check = detail.locator("li.check").first();
  await check.waitFor();
  expect(await check.textContent()).toContain("holdout");
  expect(await check.locator(".badge.ok").textContent()).toBe("passed");
  expect(await check.locator("dl.facts").textContent()).toContain("f10.74");
  expect(await check.getByRole("link", { name: "validation: churn-train v1" }).getAttribute("href")).toMatch(/^\/lineage\/dataset_version\/[0-9a-f-]{36}$/);
  await screenshot(page, "model-versions");
});

it("shows the failed rule before promoting, refuses the promotion and leaves the alias where it was", async () => {
  const { client } = ui();
  const page = await ui().page({ expectedStatuses: [409] });
  await openModel(page, "?tab=versions&version=1");
  const promote = page.getByRole("button", { name: "Promote v1…" });
  await promote.click();
  await dialog(page).waitFor();
  expect(await dialog(page).getByLabel("Alias").inputValue()).toBe("production");
  expect(await dialog(page).getByLabel("Version").inputValue()).toBe("1");

  // The dry run: accuracy 0.8 against ≥ 0.9 fails with its evidence; the other rules pass.
  await ruleRow(page, 0).waitFor();
  const failed = ruleRow(page, 0);
  expect(await failed.getAttribute("class")).toContain("rule-failed");
  expect(await failed.locator("td.num").textContent()).toBe("0.8");
  expect(await failed.textContent()).toContain("≥ 0.9");
  expect(await failed.getByText("✗ failed").isVisible()).toBe(true);
  expect(await failed.getByRole("link", { name: "metrics snapshot of v1" }).isVisible()).toBe(true);
  expect(await ruleRow(page, 1).getByText("✓ passed").isVisible()).toBe(true);
  expect(await dialog(page).getByText("would be refused").isVisible()).toBe(true);

  await dialog(page).getByLabel("Reason (recorded in the history)").fill("first model");
  await dialog(page).getByRole("button", { name: "Promote v1 to production" }).click();
  const refusal = dialog(page).getByRole("alert");
  await refusal.waitFor();
  expect(await refusal.textContent()).toContain("Promotion refused.");
  expect(await refusal.textContent()).toContain("1 of 3 rules failed");
  expect(await refusal.textContent()).toContain("production points at no version");
  expect(await ruleRow(page, 0).getAttribute("class")).toContain("rule-failed");
  expect(await ruleRow(page, 0).textContent()).toContain("observed 0.8 < bound 0.9");
  // The server agrees: nothing moved, and the refusal is stored as a promotion attempt.
  expect((await client.models.get(MODEL, { project })).aliases).toEqual({});
  const evaluations = (await client.models.evaluations(MODEL, { project })).evaluations;
  expect(evaluations.map((e) => [e.mode, e.passed])).toEqual([
    ["promote", false],
    ["dry_run", false],
  ]);
  await screenshot(page, "model-promote-refused");

  // Escape closes the dialog and focus goes back to the button that opened it.
  await page.keyboard.press("Escape");
  await dialog(page).waitFor({ state: "detached" });
  await expect.poll(() => page.evaluate(() => document.activeElement?.textContent), { timeout: 10_000 }).toBe("Promote v1…");
  // The header still shows no alias.
  expect(await page.locator(".page-header").getByText("no aliases").isVisible()).toBe(true);
});

it("promotes a better version through the gate: the badge, the alias history and the evaluations show it", async () => {
  const { client } = ui();
  const second = await trainAndRegister(0.95, "train-v2");
  expect(second.version).toBe(2);
  const page = await ui().page();
  await openModel(page);
  // The header's Promote opens on the newest version and `production`.
  await page.locator(".page-header").getByRole("button", { name: "Promote…" }).click();
  await dialog(page).waitFor();
  expect(await dialog(page).getByLabel("Version").inputValue()).toBe("2");
  await ruleRow(page, 0).waitFor();
  expect(await ruleRow(page, 0).locator("td.num").textContent()).toBe("0.95");
  expect(await dialog(page).getByText("would pass").isVisible()).toBe(true);
  expect(await dialog(page).locator("tr.rule-failed").count()).toBe(0);

  await dialog(page).getByLabel("Reason (recorded in the history)").fill("retrained: accuracy 0.95");
  await dialog(page).getByRole("button", { name: "Promote v2 to production" }).click();
  const success = dialog(page).getByRole("status").filter({ hasText: "Promoted" });
  await success.waitFor();
  expect(await success.textContent()).toContain("production points at v2");
  await screenshot(page, "model-promote-passed");
  await dialog(page).getByRole("button", { name: "Done" }).click();
  await dialog(page).waitFor({ state: "detached" });

  // The header's badge follows the alias without a reload.
  await page.locator(".page-header [data-alias=production]", { hasText: "production → v2" }).waitFor();
  expect((await client.models.get(MODEL, { project })).aliases).toEqual({ production: 2 });

  await page.getByRole("tab", { name: "Aliases" }).click();
  await page.waitForURL((u) => u.searchParams.get("tab") === "aliases");
  const card = page.getByTestId("alias-card-production");
  await card.waitFor();
  expect(await card.getByRole("heading").textContent()).toBe("production → v2");
  expect(await card.textContent()).toContain("policy revision 1");
  const moves = card.locator("table.history-table tbody tr");
  expect(await moves.count()).toBe(1);
  const move = moves.first();
  const history = (await client.models.alias(MODEL, "production", { project })).history;
  expect(history).toHaveLength(1);
  expect(await move.locator("td").nth(1).textContent()).toBe("nowhere → v2");
  // Who moved it: the admin key's name, as the server recorded it.
  expect(await move.locator("td").nth(2).textContent()).toBe(history[0]?.actor);
  expect(await move.locator("td").nth(3).textContent()).toBe("retrained: accuracy 0.95");
  expect(await move.getByRole("link").getAttribute("href")).toBe(`/projects/${project}/models/${MODEL}?tab=evaluations&evaluation=${history[0]?.evaluationId}`);
  await screenshot(page, "model-aliases");

  // The move's evaluation opens expanded on the Evaluations tab, with its rules.
  await move.getByRole("link").click();
  await page.waitForURL((u) => u.searchParams.get("tab") === "evaluations");
  const expanded = page.locator("tr.expanded");
  await expanded.waitFor();
  expect(await expanded.textContent()).toContain(`evaluation ${history[0]?.evaluationId}`);
  expect(await expanded.getByTestId("rule-0").textContent()).toContain("0.95");
  const outcomes = await page.locator("table.evaluations-table > tbody > tr:not(.expanded) > td:nth-child(6)").allTextContents();
  expect(outcomes).toEqual(["promoted", "would pass", "refused", "would be refused"]);
});

it("reads the policy as rules with their bounds and revision", async () => {
  const page = await ui().page();
  await openModel(page, "?tab=policy");
  const policy = page.getByRole("region", { name: "production policy revision 1" });
  await policy.waitFor();
  const rows = policy.locator("tbody tr");
  expect(await rows.count()).toBe(3);
  expect(await rows.nth(0).locator("td").allTextContents()).toEqual(["rules[0]", "metric", "accuracy on test", "≥ 0.9", "—"]);
  expect(await rows.nth(1).locator("td").allTextContents()).toEqual(["rules[1]", "schema", "signature", "compatible with production", "—"]);
  expect(await rows.nth(2).locator("td").allTextContents()).toEqual(["rules[2]", "freshness", "every piece of evidence", "newer than 7d", "—"]);
});

it("shows an empty models list with the SDK call that registers one", async () => {
  const page = await ui().page();
  const empty = uniqueProject("empty-models");
  await ui().client.projects.create({ name: empty });
  await page.goto(`/projects/${empty}/models`);
  await page.getByRole("heading", { name: "No registered models yet" }).waitFor();
  expect(await page.locator("pre.snippet").textContent()).toContain(`init({ project: "${empty}" })`);
  expect(await page.locator("pre.snippet").textContent()).toContain("run.registerModel(");
});

it("lets an admin force a refused promotion with a reason, recorded as an override in the alias history", async () => {
  const { client } = ui();
  await client.models.setPolicy(MODEL, { alias: "staging", rules: [{ metric: "accuracy", dataset: "test", min: 0.99 }] }, { project });
  const page = await ui().page({ expectedStatuses: [409] });
  await openModel(page, "?tab=aliases");
  await page.getByTestId("alias-card-staging").getByRole("button", { name: "Promote to staging…" }).click();
  await dialog(page).waitFor();
  expect(await dialog(page).getByLabel("Alias").inputValue()).toBe("staging");
  await dialog(page).getByLabel("Version").selectOption("1");
  await ruleRow(page, 0).waitFor();
  expect(await ruleRow(page, 0).textContent()).toContain("≥ 0.99");

  // The override needs a reason: the button stays disabled until one is given.
  await dialog(page).getByLabel(/Force past the failed rules/).check();
  const force = dialog(page).getByRole("button", { name: "Force v1 to staging" });
  expect(await force.isDisabled()).toBe(true);
  expect(await dialog(page).getByText("An override needs a reason.").isVisible()).toBe(true);
  await dialog(page).getByLabel("Reason (recorded in the history)").fill("incident 42: roll back to v1");
  await force.click();
  const success = dialog(page).getByRole("status").filter({ hasText: "Promoted (forced override)" });
  await success.waitFor();
  expect(await success.textContent()).toContain("staging points at v1");
  await dialog(page).getByRole("button", { name: "Done" }).click();

  const card = page.getByTestId("alias-card-staging");
  await card.locator("table.history-table").waitFor();
  const move = card.locator("table.history-table tbody tr").first();
  expect(await move.locator("td").nth(1).textContent()).toBe("nowhere → v1");
  expect(await move.getByText("forced override").isVisible()).toBe(true);
  const stored = await client.models.alias(MODEL, "staging", { project });
  expect(stored.version).toBe(1);
  expect(stored.history[0]?.forced).toBe(true);
});

it("hides the Promote action from a reader, who still sees versions, aliases and evaluations", async () => {
  const { srv, browser } = ui();
  const res = await fetch(`${srv.url}/api/v1/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${srv.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ name: `reader-${project}`, role: "reader", projects: [project] }),
  });
  expect(res.status).toBe(201);
  const { secret } = (await res.json()) as { secret: string };
  const context = await browser.newContext({ baseURL: srv.url });
  try {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    await page.goto(`/login?token=${encodeURIComponent(secret)}`);
    await page.waitForURL((u) => u.pathname === "/");
    await page.goto(`/projects/${project}/models/${MODEL}?tab=versions&version=2`);
    await page.locator("section.version-detail").getByRole("heading", { name: `${MODEL} v2` }).waitFor();
    // The role is known once whoami answered; the header then has Monitoring and no Promote.
    await page.getByText(`reader-${project} · reader`).waitFor();
    expect(await page.getByRole("button", { name: /Promote/ }).count()).toBe(0);
    expect(await page.getByRole("button", { name: "Archive" }).count()).toBe(0);
    expect(await page.getByRole("link", { name: "Monitoring" }).isVisible()).toBe(true);
    await page.getByRole("tab", { name: "Evaluations" }).click();
    await page.locator("table.evaluations-table").waitFor();
    expect(await page.locator("table.evaluations-table > tbody > tr").count()).toBeGreaterThanOrEqual(4);
    expect(errors).toEqual([]);
  } finally {
    await context.close();
  }
});

it("moves between tabs with the arrow keys and keeps the tab in the address", async () => {
  const page = await ui().page();
  await openModel(page);
  const versionsTab = page.getByRole("tab", { name: "Versions" });
  await expect.poll(() => versionsTab.getAttribute("aria-selected"), { timeout: 10_000 }).toBe("true");
  await versionsTab.focus();
  await page.keyboard.press("ArrowRight");
  await page.waitForURL((u) => u.searchParams.get("tab") === "aliases");
  await expect.poll(() => page.getByRole("tab", { name: "Aliases" }).getAttribute("aria-selected"), { timeout: 10_000 }).toBe("true");
  await expect.poll(() => page.evaluate(() => document.activeElement?.id), { timeout: 10_000 }).toBe("tab-aliases");
  await page.keyboard.press("End");
  await page.waitForURL((u) => u.searchParams.get("tab") === "evaluations");
  await page.getByRole("tabpanel", { name: "Evaluations" }).waitFor();
  // A reload lands on the same tab.
  await page.reload();
  await expect.poll(() => page.getByRole("tab", { name: "Evaluations" }).getAttribute("aria-selected"), { timeout: 10_000 }).toBe("true");
});
