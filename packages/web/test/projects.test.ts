import { init } from "@cairn/sdk";
import { expect, it } from "vitest";
import { screenshot, uniqueProject, withUi } from "./support.js";

const ui = withUi();

it("lists projects with their real run counts, last activity and production models, linking to runs and models", async () => {
  const { srv, client } = ui();
  const busy = uniqueProject("busy");
  const quiet = uniqueProject("quiet");
  await client.projects.create({ name: quiet, description: "nothing logged here yet" });
  const runs = [];
  for (const [i, lr] of [0.1, 0.01, 0.001].entries()) {
    const run = await init({ project: busy, name: `lr-${lr}`, params: { lr }, url: srv.url, apiKey: srv.apiKey, capture: false });
    run.log({ accuracy: 0.6 + i / 10 }, { step: 0 });
    runs.push(run);
  }
  await runs[2]!.logText("model/weights.txt", "w = [0.1, 0.2]");
  const version = await runs[2]!.registerModel("churn", "model/weights.txt");
  await client.models.promote("churn", version.version, "production", { project: busy });
  // A second model that is registered but not in production does not show.
  await runs[1]!.logText("model/other.txt", "w = [0.3]");
  await runs[1]!.registerModel("ranker", "model/other.txt");
  for (const run of runs) await run.finish();

  const page = await ui().page();
  await page.goto("/");
  const row = page.locator("tr", { has: page.getByRole("link", { name: busy, exact: true }) });
  await expect.poll(() => row.count(), { timeout: 30_000 }).toBe(1);
  const cells = row.locator("td");
  expect(await cells.nth(2).textContent()).toBe("3");
  // Last activity is the runs' finish, moments ago.
  expect(await cells.nth(3).locator("time").textContent()).toMatch(/now|second|minute/);
  const production = cells.nth(4).getByRole("link");
  expect(await production.allTextContents()).toEqual([`churn v${version.version}`]);
  expect(await production.getAttribute("href")).toBe(`/projects/${busy}/models/churn`);

  const quietRow = page.locator("tr", { has: page.getByRole("link", { name: quiet, exact: true }) });
  expect(await quietRow.locator("td").nth(1).textContent()).toBe("nothing logged here yet");
  expect(await quietRow.locator("td").nth(2).textContent()).toBe("0");
  expect(await quietRow.locator("td").nth(4).textContent()).toBe("—");

  // The filter narrows the list to matching names or descriptions.
  await page.getByLabel("Filter projects").fill("nothing logged");
  await expect.poll(() => page.locator("tbody tr").count(), { timeout: 10_000 }).toBe(1);
  await page.getByLabel("Filter projects").fill("");

  await screenshot(page, "projects");

  await row.getByRole("link", { name: busy, exact: true }).click();
  await page.waitForURL((u) => u.pathname === `/projects/${busy}/runs`);
  await expect.poll(() => page.locator("tbody tr[data-run-id]").count(), { timeout: 30_000 }).toBe(3);
});
