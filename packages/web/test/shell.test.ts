import { expect, it } from "vitest";
import { screenshot, withUi } from "./support.js";

const ui = withUi();

it("logs in with the bootstrap link, shows the shell and switches theme", async () => {
  const page = await ui().page();
  await expect.poll(() => page.getByRole("link", { name: "Cairn home" }).isVisible()).toBe(true);
  const toggle = page.getByRole("button", { name: /Switch to (dark|light) theme/ });
  const before = await page.evaluate(() => document.documentElement.dataset.theme);
  await toggle.click();
  const after = await page.evaluate(() => document.documentElement.dataset.theme);
  expect(after).not.toBe(before);
  // The choice survives a reload.
  await page.reload();
  expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(after);
  await screenshot(page, "shell");
});

it("sends a visitor without a session to the login page", async () => {
  const context = await ui().browser.newContext({ baseURL: ui().srv.url });
  const page = await context.newPage();
  await page.goto("/");
  await page.waitForURL((u) => u.pathname === "/login");
  expect(await page.getByLabel("API key").isVisible()).toBe(true);
  await context.close();
});
