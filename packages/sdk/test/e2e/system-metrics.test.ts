import { chmodSync, writeFileSync } from "node:fs";
import { totalmem } from "node:os";
import { join } from "node:path";
import { testDrivers, type TestServer } from "@cairn/server/testing";
import { describe, expect, it } from "vitest";
import { Cairn } from "../../src/client/cairn.js";
import { init } from "../../src/index.js";
import { projectName, serverPerFile, tmp } from "./helpers.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Keeps the CPU and the event loop busy for `ms`, in slices, so the samples have something to see. */
async function work(ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const slice = Date.now() + 30;
    while (Date.now() < slice) Math.sqrt(Math.random());
    await sleep(5);
  }
}

describe.each(testDrivers)("system metrics (%s)", (driver) => {
  let srv: TestServer;
  let client: Cairn;
  serverPerFile(driver, (s) => {
    srv = s;
    client = new Cairn({ url: s.url });
  });

  it("system: { intervalMs } logs CPU, memory and event-loop lag with plausible values, GPUs from nvidia-smi, and stops at finish", async () => {
    // A stand-in nvidia-smi on PATH printing what the real one prints for two GPUs.
    const bin = tmp();
    writeFileSync(join(bin, "nvidia-smi"), "#!/bin/sh\necho '0, 35, 1024, 16384'\necho '1, [N/A], 2048, 16384'\n");
    chmodSync(join(bin, "nvidia-smi"), 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    let runId: string;
    try {
      const run = await init({ project: projectName("sys"), url: srv.url, spoolDir: tmp(), capture: false, system: { intervalMs: 200 } });
      runId = run.id;
      run.log({ loss: 1 }); // the automatic step is the user's: system samples don't move it
      await work(1_300);
      run.log({ loss: 0.5 });
      await run.finish();
    } finally {
      process.env.PATH = path;
    }
    const metrics = Object.fromEntries((await client.metrics.list(runId)).metrics.map((m) => [m.key, m]));
    expect(metrics.loss).toMatchObject({ count: 2, lastStep: 1 });

    const cpu = metrics["system/cpu_percent"]!;
    expect(cpu.count).toBeGreaterThanOrEqual(4);
    expect(cpu.min).toBeGreaterThanOrEqual(0);
    expect(cpu.max).toBeGreaterThan(5); // the busy loop shows
    expect(cpu.max).toBeLessThan(100 * 64);
    const samples = await client.metrics.history(runId, "system/cpu_percent");
    expect(samples.steps).toEqual(samples.steps.map((_, i) => i)); // step = sample number

    const rss = metrics["system/memory_rss_bytes"]!.last as number;
    expect(rss).toBeGreaterThan(10 * 2 ** 20);
    expect(rss).toBeLessThan(totalmem());
    const heap = metrics["system/heap_used_bytes"]!.last as number;
    expect(heap).toBeGreaterThan(2 ** 20);
    expect(heap).toBeLessThan(rss);
    const available = metrics["system/memory_available_bytes"]!.last as number;
    expect(available).toBeGreaterThan(0);
    expect(available).toBeLessThanOrEqual(totalmem());
    expect(metrics["system/cpu_load"]!.min).toBeGreaterThanOrEqual(0);
    const lag = metrics["system/event_loop_lag_ms"]!;
    expect(lag.min).toBeGreaterThanOrEqual(0);
    expect(lag.max).toBeGreaterThan(10); // 30 ms busy slices block the loop
    expect(lag.max).toBeLessThan(5_000);

    expect(metrics["system/gpu0/utilization_percent"]).toMatchObject({ last: 35 });
    expect(metrics["system/gpu0/memory_used_bytes"]).toMatchObject({ last: 1024 * 2 ** 20 });
    expect(metrics["system/gpu1/memory_total_bytes"]).toMatchObject({ last: 16384 * 2 ** 20 });
    expect(metrics["system/gpu1/utilization_percent"]).toBeUndefined(); // [N/A]

    // Stopped at finish: nothing more arrives.
    await sleep(600);
    const later = (await client.metrics.list(runId)).metrics.find((m) => m.key === "system/cpu_percent");
    expect(later?.count).toBe(cpu.count);
  });

  it("without nvidia-smi there are no GPU metrics and no errors; off by default", async () => {
    const errors: unknown[] = [];
    const on = await init({ project: projectName("sys"), url: srv.url, spoolDir: tmp(), capture: false, system: { intervalMs: 100 }, onError: (e) => errors.push(e) });
    const off = await init({ project: projectName("sys"), url: srv.url, spoolDir: tmp(), capture: false });
    await sleep(450);
    await Promise.all([on.finish(), off.finish()]);
    const keys = (await client.metrics.list(on.id)).metrics.map((m) => m.key);
    expect(keys).toContain("system/cpu_percent");
    expect(keys.filter((k) => k.includes("gpu"))).toEqual([]);
    expect(errors).toEqual([]);
    expect((await client.metrics.list(off.id)).metrics).toEqual([]);
  });
});
