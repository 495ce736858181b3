import { existsSync, readdirSync } from "node:fs";
import { testDrivers, type TestServer } from "@cairn/server/testing";
import { describe, expect, it, vi } from "vitest";
import { init, type InitOptions } from "../../src/index.js";
import { pointCount, projectName, tmp, serverPerFile } from "./helpers.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(testDrivers)("server outage (%s)", (driver) => {
  let srv: TestServer;
  serverPerFile(driver, (s) => (srv = s));

  /** Logs 20 points every 20 ms; stops the server for 10 s in the middle. */
  async function outage(opts: Partial<InitOptions>) {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const spoolDir = tmp();
    const run = await init({ project: projectName("outage"), url: srv.url, spoolDir, flushIntervalMs: 100, ...opts });
    let step = 0;
    const tick = () => {
      const m: Record<string, number> = {};
      for (let k = 0; k < 20; k++) m[`m${k}`] = Math.sin(step + k);
      run.log(m, { step: step++ });
    };
    const pump = async (ms: number) => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        tick();
        await sleep(20);
      }
    };
    await pump(1000);
    await srv.stop();
    await pump(10_000);
    await srv.start();
    await pump(1000);
    await run.finish();
    warn.mockRestore();
    return { run, spoolDir, logged: step * 20 };
  }

  it("loses no point when the outage is shorter than the retry window (retries)", async () => {
    const { run, logged } = await outage({ retryWindowMs: 30_000 });
    expect(run.stats()).toMatchObject({ logged, sent: logged, dropped: 0, spooled: 0 });
    expect(run.stats().retries).toBeGreaterThan(0);
    expect(await pointCount(srv, run.id)).toBe(logged);
  });

  it("loses no point when the outage outlasts the retry window (spool, probe, drain)", async () => {
    const { run, logged, spoolDir } = await outage({ retryWindowMs: 1_000 });
    const stats = run.stats();
    expect(stats.spooled).toBeGreaterThan(0);
    expect(stats).toMatchObject({ logged, sent: logged, dropped: 0 });
    expect(await pointCount(srv, run.id)).toBe(logged);
    const [stored] = await srv.query<{ status: string }>("select status from runs where id = $1", [run.id]);
    expect(stored?.status).toBe("finished");
    // Drained and released: nothing left behind.
    expect(existsSync(spoolDir) ? readdirSync(spoolDir) : []).toEqual([]);
  });

  it("spills to the spool past maxBufferedPoints and drains it while online", async () => {
    const spoolDir = tmp();
    const run = await init({ project: projectName("cap"), url: srv.url, spoolDir, maxBufferedPoints: 20_000, maxBatchPoints: 5_000 });
    // A tight synchronous loop (no chance to send) of 100k points must not grow memory past the cap.
    for (let step = 0; step < 10_000; step++) run.log({ a: step, b: 1, c: 2, d: 3, e: 4, f: 5, g: 6, h: 7, i: 8, j: 9 });
    expect(run.stats().spooled).toBeGreaterThan(0);
    await run.finish();
    expect(run.stats()).toMatchObject({ logged: 100_000, sent: 100_000, dropped: 0 });
    expect(await pointCount(srv, run.id)).toBe(100_000);
    expect(existsSync(spoolDir) ? readdirSync(spoolDir) : []).toEqual([]);
  });
});
