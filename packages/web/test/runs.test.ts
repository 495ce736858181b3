import { init } from "@cairn/sdk";
import type { Page } from "playwright-core";
import { uuidv7 } from "@cairn/core";
import { beforeAll, expect, it } from "vitest";
import { screenshot, uniqueProject, withUi } from "./support.js";

const ui = withUi();

/** Six runs with a metric, params and tags; `acc > 0.5` holds for alpha, charlie and echo. */
const SEED = [
  { name: "alpha", acc: 0.9, lr: 0.1, optimizer: "adam", team: "vision" },
  { name: "bravo", acc: 0.3, lr: 0.01, optimizer: "sgd", team: "vision" },
  { name: "charlie", acc: 0.7, lr: 0.001, optimizer: "adam", team: "nlp" },
  { name: "delta", acc: 0.2, lr: 0.05, optimizer: "sgd", team: "nlp" },
  { name: "echo", acc: 0.55, lr: 0.2, optimizer: "adam", team: "speech" },
  { name: "foxtrot", acc: 0.1, lr: 0.3, optimizer: "rmsprop", team: "speech" },
];
const byAccDesc = [...SEED].sort((a, b) => b.acc - a.acc).map((s) => s.name);

let project: string;
const ids = new Map<string, string>();

beforeAll(async () => {
  const { srv } = ui();
  project = uniqueProject("runs");
  for (const [i, s] of SEED.entries()) {
    const run = await init({
      project,
      name: s.name,
      params: { lr: s.lr, optimizer: s.optimizer },
      tags: { team: s.team },
      url: srv.url,
      apiKey: srv.apiKey,
      capture: false,
    });
    for (let step = 0; step < 3; step++) run.log({ acc: s.acc - (2 - step) * 0.01, loss: 1 - s.acc + step / 100 }, { step });
    run.log({ acc: s.acc }, { step: 3 });
    ids.set(s.name, run.id);
    await run.finish(i === SEED.length - 1 ? { status: "failed" } : {});
  }
});

/** This machine may be busy: page loads and searches get generous time. */
const poll = <T>(fn: () => Promise<T> | T, timeout = 30_000) => expect.poll(fn, { timeout });

const names = (page: Page) => page.locator("tbody tr[data-run-id] td.name").allTextContents();
const runsUrl = (query = "") => `/projects/${project}/runs${query}`;

it("shows the runs with status, params, metrics and links to each run", async () => {
  const page = await ui().page();
  await page.goto(runsUrl());
  await poll(() => page.locator("tbody tr[data-run-id]").count()).toBe(SEED.length);
  // Default columns: status, started, duration and the metrics seen.
  const headers = await page.locator("thead th").allTextContents();
  for (const h of ["Name", "Status", "Started", "Duration", "acc", "loss"]) expect(headers.some((t) => t.startsWith(h))).toBe(true);
  const alpha = page.locator(`tr[data-run-id="${ids.get("alpha")}"]`);
  expect(await alpha.locator("td").nth(2).textContent()).toBe("finished");
  const accIndex = headers.findIndex((t) => t.startsWith("acc"));
  expect(await alpha.locator("td").nth(accIndex).textContent()).toBe("0.9");
  expect(await page.locator(`tr[data-run-id="${ids.get("foxtrot")}"] .badge`).textContent()).toBe("failed");
  expect(await page.getByTestId("run-count").textContent()).toBe("6");
  await screenshot(page, "runs");
  await alpha.getByRole("link", { name: "alpha" }).click();
  await page.waitForURL((u) => u.pathname === `/runs/${ids.get("alpha")}`);
});

it("filters with the API's language and shows a syntax error at its column", async () => {
  const page = await ui().page({ allowHttpErrors: false });
  await page.goto(runsUrl());
  await poll(() => page.locator("tbody tr[data-run-id]").count()).toBe(SEED.length);
  const box = page.getByLabel("Filter");
  await box.fill("metrics.acc > 0.5");
  await poll(async () => (await names(page)).sort()).toEqual(["alpha", "charlie", "echo"]);
  expect(new URL(page.url()).searchParams.get("filter")).toBe("metrics.acc > 0.5");

  await box.fill('metrics.acc > 0.5 and params.optimizer = "adam" and tags.team != "nlp"');
  await poll(async () => (await names(page)).sort()).toEqual(["alpha", "echo"]);

  // `bogus` starts at column 23: the error is marked under that character, with the message.
  await box.fill("metrics.acc > 0.5 and bogus.x = 1");
  const alert = page.getByRole("alert");
  await poll(() => alert.isVisible()).toBe(true);
  expect(await alert.textContent()).toContain('Column 23: unknown field prefix "bogus"');
  expect(await alert.locator("pre.filter-caret").getAttribute("data-position")).toBe("23");
  expect(await alert.locator("mark").textContent()).toBe("b");
  expect(await box.getAttribute("aria-invalid")).toBe("true");
  // The last valid result stays on screen while the filter is fixed.
  expect((await names(page)).sort()).toEqual(["alpha", "echo"]);

  // The filter survives a reload from the address.
  await box.fill("metrics.acc <= 0.2");
  await poll(async () => (await names(page)).sort()).toEqual(["delta", "foxtrot"]);
  await page.reload();
  await poll(async () => (await names(page)).sort()).toEqual(["delta", "foxtrot"]);
  expect(await page.getByLabel("Filter").inputValue()).toBe("metrics.acc <= 0.2");
});

it("sorts on a metric, a param and the name through the API, both ways", async () => {
  const page = await ui().page();
  await page.goto(runsUrl());
  await poll(() => page.locator("tbody tr[data-run-id]").count()).toBe(SEED.length);
  await page.getByRole("button", { name: "Sort by acc" }).click();
  await poll(() => names(page)).toEqual(byAccDesc);
  const url = new URL(page.url());
  expect([url.searchParams.get("sort"), url.searchParams.get("dir")]).toEqual(["metrics.acc", "desc"]);
  expect(await page.locator("th", { has: page.getByRole("button", { name: "Sort by acc" }) }).getAttribute("aria-sort")).toBe("descending");
  await page.getByRole("button", { name: "Sort by acc" }).click();
  await poll(() => names(page)).toEqual([...byAccDesc].reverse());

  await page.getByRole("button", { name: "Sort by Name" }).click();
  await poll(() => names(page)).toEqual(SEED.map((s) => s.name));

  await page.goto(runsUrl(`?cols=params.lr,status&sort=params.lr&dir=desc`));
  await poll(() => names(page)).toEqual([...SEED].sort((a, b) => b.lr - a.lr).map((s) => s.name));
});

it("keeps the chosen columns in the address across a reload", async () => {
  const page = await ui().page();
  await page.goto(runsUrl());
  await poll(() => page.locator("tbody tr[data-run-id]").count()).toBe(SEED.length);
  await page.getByText(/^Columns/).click();
  // The picker lists the keys seen in the loaded runs.
  for (const key of ["lr", "optimizer", "team", "acc", "loss"]) expect(await page.getByRole("checkbox", { name: key, exact: true }).count()).toBe(1);
  // The boxes reflect the address, which the router updates just after the click: click, then wait for it.
  for (const [name, checked] of [["optimizer", true], ["team", true], ["Duration", false]] as const) {
    const box = page.getByRole("checkbox", { name, exact: true });
    await box.click();
    await poll(() => box.isChecked()).toBe(checked);
  }
  await poll(() => new URL(page.url()).searchParams.get("cols")).toBe("status,started,metrics.acc,metrics.loss,params.optimizer,tags.team");
  await page.reload();
  await poll(() => page.locator("tbody tr[data-run-id]").count()).toBe(SEED.length);
  const headers = await page.locator("thead th").allTextContents();
  expect(headers.slice(1).map((h) => h.replace(/[▲▼↕]/g, "").trim())).toEqual(["Name", "Status", "Started", "acc", "loss", "optimizer", "team"]);
  const charlie = page.locator(`tr[data-run-id="${ids.get("charlie")}"] td`);
  expect(await charlie.nth(6).textContent()).toBe("adam");
  expect(await charlie.nth(7).textContent()).toBe("nlp");
});

it("selecting 2 to 20 runs enables compare, which opens the compare page with their ids", async () => {
  const page = await ui().page();
  await page.goto(runsUrl("?sort=name&dir=asc"));
  await poll(() => names(page)).toEqual(SEED.map((s) => s.name));
  const compare = page.getByRole("button", { name: /^Compare/ });
  expect(await compare.isDisabled()).toBe(true);
  await page.getByRole("checkbox", { name: "Select run bravo" }).check();
  expect(await compare.isDisabled()).toBe(true);
  await page.getByRole("checkbox", { name: "Select run delta" }).check();
  expect(await compare.isDisabled()).toBe(false);
  await compare.click();
  await page.waitForURL((u) => u.pathname === `/projects/${project}/compare`);
  expect(new URL(page.url()).searchParams.get("runs")).toBe(`${ids.get("bravo")},${ids.get("delta")}`);
});

it("loads 10,000 runs in the background and scrolls to the last with far fewer rows in the DOM", { timeout: 1_800_000 }, async () => {
  const { srv } = ui();
  const big = uniqueProject("big");
  const headers = { authorization: `Bearer ${srv.apiKey}`, "content-type": "application/json" };
  expect((await fetch(`${srv.url}/api/v1/projects`, { method: "POST", headers, body: JSON.stringify({ name: big }) })).status).toBe(201);
  const total = 10_000;
  const t0 = Date.UTC(2025, 0, 1);
  const seedStart = Date.now();
  let next = 0;
  // No bulk create in the API: 16 requests in flight at a time.
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < total) {
        const i = next++;
        // A client-chosen id makes a retry after a dropped connection idempotent.
        const body = JSON.stringify({ id: uuidv7(), name: `run-${String(i).padStart(5, "0")}`, startedAt: t0 + i * 1000, params: { i, lr: (i % 10) / 100 }, tags: { shard: String(i % 4) } });
        for (let attempt = 0; ; attempt++) {
          try {
            const res = await fetch(`${srv.url}/api/v1/projects/${big}/runs`, { method: "POST", headers, body });
            await res.text();
            if (res.status !== 201 && res.status !== 200) throw new Error(`run ${i}: HTTP ${res.status}`);
            break;
          } catch (e) {
            if (attempt >= 3 || !(e instanceof TypeError)) throw e;
          }
        }
      }
    }),
  );
  console.log(`seeded ${total} runs in ${Date.now() - seedStart} ms`);

  const page = await ui().page({ height: 900 });
  await page.goto(`/projects/${big}/runs?cols=status,started,params.i,tags.shard`);
  await poll(() => page.getByTestId("run-count").textContent(), 300_000).toBe("10,000");
  await poll(() => page.locator(".subtitle").textContent(), 300_000).not.toContain("loading more");
  // Newest first (started desc): run-00000 is the last row.
  expect((await names(page))[0]).toBe("run-09999");
  const scroller = page.getByTestId("runs-scroll");
  for (let i = 0; i < 5; i++) {
    await scroller.evaluate((el) => el.scrollBy(0, el.scrollHeight / 5));
    await page.waitForTimeout(50);
  }
  await scroller.evaluate((el) => el.scrollTo(0, el.scrollHeight));
  await poll(async () => (await names(page)).at(-1)).toBe("run-00000");
  const rowsInDom = await page.locator("tbody tr[data-run-id]").count();
  expect(rowsInDom).toBeGreaterThan(10);
  expect(rowsInDom).toBeLessThan(100);
  const marks = await page.evaluate(() => performance.getEntriesByType("mark").map((m) => m.name));
  expect(marks).toContain("runs:data");
  expect(marks).toContain("runs:interactive");
});
