import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Cairn } from "@cairn/sdk";
import { startTestServer, type TestDriver, type TestServer } from "@cairn/server/testing";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect } from "vitest";

/** Debian's Chromium (never a downloaded browser); CHROMIUM_PATH overrides for other systems. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

const here = path.dirname(fileURLToPath(import.meta.url));
/** The built UI the server serves (turbo builds it before the tests run). */
export const WEB_DIST = path.resolve(here, "../dist");
/** Screenshots of every page in both themes, for a reviewer to look at. */
export const SCREENSHOT_DIR = path.resolve(here, "../test-output/screenshots");

export interface UiHarness {
  srv: TestServer;
  /** The real SDK, logged in with the admin key: tests seed data through it. */
  client: Cairn;
  browser: Browser;
  /**
   * A logged-in page (session cookie from `/login?token=`) whose console errors, page errors
   * and failed requests are collected; afterEach fails the test if any were seen.
   */
  page(opts?: { width?: number; height?: number; allowHttpErrors?: boolean; expectedStatuses?: number[] }): Promise<Page>;
}

/**
 * Chromium logs every 4xx/5xx response as a console error ("Failed to load resource: the
 * server responded with a status of 409 (Conflict)"). A test that expects a status (a
 * refused promotion's 409) lists it in `page({ expectedStatuses })`; any other stays a failure.
 */
function isExpectedStatusLog(text: string, expected: readonly number[]): boolean {
  const status = /^Failed to load resource: the server responded with a status of (\d{3})\b/.exec(text)?.[1];
  return status !== undefined && expected.includes(Number(status));
}

/**
 * One server (PGlite, or the driver given) serving the built UI, and one Chromium, for the
 * whole test file.
 */
export function withUi(opts: { driver?: TestDriver; env?: Record<string, string> } = {}): () => UiHarness {
  let harness: UiHarness;
  const contexts: BrowserContext[] = [];
  let problems: string[] = [];

  beforeAll(async () => {
    if (!fs.existsSync(path.join(WEB_DIST, "index.html"))) throw new Error(`The UI is not built (${WEB_DIST}): run npm run build -w @cairn/web`);
    const srv = await startTestServer({ ...(opts.driver ? { driver: opts.driver } : {}), env: { CAIRN_WEB_DIR: WEB_DIST, ...opts.env } });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
    const client = new Cairn({ url: srv.url, apiKey: srv.apiKey });
    harness = {
      srv,
      client,
      browser,
      async page({ width = 1400, height = 900, allowHttpErrors = false, expectedStatuses = [] } = {}) {
        const context = await browser.newContext({ viewport: { width, height }, baseURL: srv.url });
        contexts.push(context);
        const page = await context.newPage();
        page.on("console", (m) => {
          if (m.type() === "error" && !isExpectedStatusLog(m.text(), expectedStatuses)) problems.push(`console: ${m.text()}`);
        });
        page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
        if (!allowHttpErrors) {
          page.on("response", (r) => {
            if (r.status() >= 500) problems.push(`HTTP ${r.status()} ${r.url()}`);
          });
        }
        await page.goto(`/login?token=${encodeURIComponent(srv.apiKey)}`);
        await page.waitForURL((u) => u.pathname === "/");
        return page;
      },
    };
  });

  afterEach(async () => {
    const seen = problems;
    problems = [];
    for (const c of contexts.splice(0)) await c.close();
    // No console errors during any test: a CSP violation, a React warning promoted to an
    // error or an uncaught exception fails the test that caused it.
    expect(seen).toEqual([]);
  });

  afterAll(async () => {
    await harness?.browser.close();
    await harness?.srv.close();
  });

  return () => harness;
}

/** Saves the page in the light and the dark theme under test-output/screenshots/. */
export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  for (const theme of ["light", "dark"] as const) {
    await page.evaluate((t) => {
      document.documentElement.dataset.theme = t;
      window.dispatchEvent(new CustomEvent("cairn-theme", { detail: t }));
    }, theme);
    // Charts repaint on the theme event; give them a frame or two.
    await page.waitForTimeout(150);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}-${theme}.png`), fullPage: true });
  }
  await page.evaluate(() => {
    document.documentElement.dataset.theme = "light";
    window.dispatchEvent(new CustomEvent("cairn-theme", { detail: "light" }));
  });
}

let counter = 0;
/** A project name unique to this test file and run. */
export const uniqueProject = (label: string) => `${label}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
