import { init } from "@cairn/sdk";
import type { Page } from "playwright-core";
import { beforeAll, expect, it } from "vitest";
import { uniqueProject, withUi } from "./support.js";

/**
 * Stored XSS: hostile text goes in through the SDK and the HTTP API wherever the contract
 * allows free text (run names, param values, tag values, notes, artifact paths and contents,
 * dataset columns and sources, project descriptions, audit before/after), then every page
 * that shows it is visited. Each payload would set `window.__xss` if it ever became markup
 * or script; the page must show it as text instead. The server's CSP would also block an
 * inline script and log a console error, which fails the test through the harness.
 */
const ui = withUi();

const P = {
  img: `<img src=x onerror="window.__xss=1">`,
  script: `<script>window.__xss=1</script>`,
  svg: `"><svg onload=window.__xss=1>`,
  js: `javascript:window.__xss=1`,
  tmpl: `{{constructor.constructor('window.__xss=1')()}}`,
};
const ALL = Object.values(P).join(" ");

const project = uniqueProject("xss");
const runIds: string[] = [];

async function http(method: string, path: string, body?: unknown): Promise<Response> {
  const { srv } = ui();
  return fetch(`${srv.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${srv.apiKey}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

beforeAll(async () => {
  const { srv, client } = ui();
  await client.projects.create({ name: project, description: `Project notes: ${ALL}` });
  const common = { project, url: srv.url, apiKey: srv.apiKey, capture: false as const, heartbeatIntervalMs: 0 };

  // The main run: payloads in its name, params, tags, notes, artifacts and dataset.
  const a = await init({
    ...common,
    name: P.img,
    params: { note: P.svg, link: P.js, tmpl: P.tmpl, img: P.img, script: P.script, lr: 0.1 },
    tags: { html: P.img, url: P.js, svg: P.svg, script: P.script, tmpl: P.tmpl },
    notes: `Notes with every payload: ${ALL}\n[click me](${P.js})\n<a href="${P.js}">link</a>`,
  });
  for (let step = 0; step < 5; step++) a.log({ loss: 1 / (step + 1) }, { step });
  await a.logText(`${P.img}.txt`, `File content: ${ALL}`);
  await a.logText(`${P.svg}/evil.html`, `<!doctype html><html><body>${P.script}${P.img}</body></html>`);
  await a.logText("page.html", `<!doctype html><html><body>${P.script}<svg onload="window.__xss=1"></svg></body></html>`, { mediaType: "text/html" });
  await a.logText("drawing.svg", `<svg xmlns="http://www.w3.org/2000/svg" onload="window.__xss=1"><script>window.__xss=1</script></svg>`, { mediaType: "image/svg+xml" });
  await a.logText("table.csv", `name,value\n"${P.img.replaceAll('"', '""')}",${P.js}\n"${P.script}",2\n`);
  await a.logDataset({ name: "xss-data", data: [{ [P.img]: P.script, plain: 1 }, { [P.img]: P.tmpl, plain: 2 }], source: P.js, description: P.svg });
  await a.finish();
  runIds.push(a.id);

  // More runs named with the other payloads, for the runs table and the compare page.
  for (const [i, name] of [P.script, P.svg, P.js, P.tmpl].entries()) {
    const r = await init({ ...common, name, params: { note: P.tmpl, lr: 0.01 * (i + 1) }, tags: { html: P.script } });
    r.log({ loss: 0.5 + i }, { step: 0 });
    await r.finish();
    runIds.push(r.id);
  }

  // An update through the HTTP API: the audit event's before/after hold the payloads.
  const patched = await http("PATCH", `/runs/${runIds[0]}`, { tags: { html: P.svg, added: P.tmpl } });
  expect(patched.status).toBe(200);
});

function watch(page: Page): { dialogs: string[] } {
  const seen = { dialogs: [] as string[] };
  page.on("dialog", (d) => {
    seen.dialogs.push(d.message());
    void d.dismiss();
  });
  return seen;
}

/** Nothing ran and nothing was built from a payload. */
async function expectInert(page: Page, seen: { dialogs: string[] }) {
  expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
  expect(seen.dialogs).toEqual([]);
  expect(await page.locator('img[src="x"]').count()).toBe(0);
  expect(await page.locator("[onerror], [onload]").count()).toBe(0);
  expect(await page.locator("svg[onload], body script:not([src])").count()).toBe(0);
  expect(await page.locator('a[href^="javascript:" i]').count()).toBe(0);
}

/** The payload is on screen as the literal text it is. */
async function expectText(page: Page, text: string) {
  // Some pages keep a collapsed raw copy (hidden): the visible one is what counts.
  await page.getByText(text).filter({ visible: true }).first().waitFor({ state: "visible" });
}

async function visit(page: Page, url: string, texts: string[]) {
  const seen = watch(page);
  await page.goto(url);
  for (const t of texts) await expectText(page, t);
  await expectInert(page, seen);
  return seen;
}

it("refuses payloads where the contract allows only plain keys", async () => {
  // Metric, param and tag keys are letters, digits, spaces and _ - . / : only: a payload
  // there is a 400 naming the field, so no page ever has to show one.
  const metric = await http("POST", `/runs/${runIds[0]}/metrics`, { points: [{ key: P.img, value: 1, step: 0 }] });
  expect(metric.status).toBe(400);
  expect(((await metric.json()) as { errors: { path: string }[] }).errors[0]?.path).toMatch(/key/);
  const param = await http("POST", `/runs/${runIds[0]}/params`, { params: { [P.script]: 1 } });
  expect(param.status).toBe(400);
  const tag = await http("PATCH", `/runs/${runIds[0]}`, { tags: { [P.svg]: "x" } });
  expect(tag.status).toBe(400);
  const dataset = await http("POST", `/projects/${project}/datasets/${encodeURIComponent(P.img)}/versions`, {});
  expect(dataset.status).toBeGreaterThanOrEqual(400);
  expect(dataset.status).toBeLessThan(500);
  await dataset.text();
});

it("shows payloads as text on the projects page", async () => {
  const page = await ui().page();
  await visit(page, "/", [P.img]);
});

it("shows payloads as text in the runs table, with param and tag columns", async () => {
  const page = await ui().page();
  const cols = ["status", "params.note", "params.link", "params.tmpl", "tags.html", "tags.url", "tags.svg"].join(",");
  await visit(page, `/projects/${project}/runs?cols=${cols}`, [P.img, P.script, P.svg, P.js, P.tmpl]);
});

it("shows payloads as text on every tab of the run page", async () => {
  const page = await ui().page();
  const run = `/runs/${runIds[0]}`;
  await visit(page, `${run}?tab=overview`, [P.img, P.svg, P.js, P.tmpl, P.script]);
  await visit(page, `${run}?tab=metrics`, [P.img]);
  await visit(page, `${run}?tab=artifacts`, [`${P.img}.txt`, P.svg]);
  // Previews: a text file, an HTML file, an SVG and a CSV are shown as text or table cells.
  await visit(page, `${run}?tab=artifacts&file=${encodeURIComponent(`${P.img}.txt`)}`, [`File content: ${P.img}`]);
  await visit(page, `${run}?tab=artifacts&file=page.html`, [P.script]);
  await visit(page, `${run}?tab=artifacts&file=${encodeURIComponent(`${P.svg}/evil.html`)}`, [P.script]);
  await visit(page, `${run}?tab=artifacts&file=drawing.svg`, ["drawing.svg"]);
  await visit(page, `${run}?tab=artifacts&file=table.csv`, [P.img, P.js]);
  await visit(page, `${run}?tab=datasets`, [P.img, P.js]);
  await visit(page, `${run}?tab=notes`, [P.img, P.script, P.svg, P.tmpl, `[click me](${P.js})`]);
});

it("shows payloads as text on the compare page", async () => {
  const page = await ui().page();
  await visit(page, `/projects/${project}/compare?runs=${runIds.join(",")}`, [P.img, P.script, P.svg, P.js, P.tmpl]);
  // The params and tags tables hold the payload values too.
  await page.getByLabel("Only differing params").uncheck();
  await expectText(page, P.js);
  await expectInert(page, { dialogs: [] });
});

it("shows payloads as text in the audit log, including an event's before and after", async () => {
  const page = await ui().page();
  const seen = watch(page);
  await page.goto(`/audit?project=${encodeURIComponent(project)}`);
  const toggles = page.getByRole("button", { name: /^Details of run\.(create|update) #/ });
  await toggles.first().waitFor();
  const n = await toggles.count();
  for (let i = 0; i < n; i++) await toggles.nth(i).click();
  for (const t of Object.values(P)) await expectText(page, t);
  await expectInert(page, seen);
});

it("serves artifacts so that opening one in the browser runs nothing on the UI's origin", async () => {
  // A separate context: the blocked script in a sandboxed document logs a console error by
  // design, which the harness would (rightly, elsewhere) count as a failure.
  const { browser, srv } = ui();
  const context = await browser.newContext({ baseURL: srv.url });
  try {
    const page = await context.newPage();
    const seen = watch(page);
    await page.goto(`/login?token=${encodeURIComponent(srv.apiKey)}`);
    await page.waitForURL((u) => u.pathname === "/");
    for (const file of ["page.html", "drawing.svg", `${P.svg}/evil.html`]) {
      const path = file.split("/").map(encodeURIComponent).join("/");
      const res = await page.goto(`/api/v1/runs/${runIds[0]}/artifacts/${path}?inline=true`);
      expect(res?.headers()["x-content-type-options"]).toBe("nosniff");
      expect(res?.headers()["content-security-policy"]).toMatch(/sandbox/);
      await page.waitForTimeout(100);
      expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
    }
    expect(seen.dialogs).toEqual([]);
  } finally {
    await context.close();
  }
});

it("shows payloads from the address (a crafted link) as text", async () => {
  const page = await ui().page();
  // A malformed run id is echoed back in the compare page's message: as text.
  await visit(page, `/projects/${project}/compare?runs=${encodeURIComponent(P.img)},${runIds[0]},${runIds[1]}`, [P.img, P.script]);
  expect(await page.locator(".compare-alert").textContent()).toContain(P.img);
  // A filter holding a payload selects the run named with it; the filter box holds it as a value.
  await visit(page, `/projects/${project}/runs?filter=${encodeURIComponent(`name = "${P.script}"`)}`, [P.script]);
});
