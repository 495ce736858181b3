import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { init } from "../src/run/init.js";
import type { SdkErrorEvent } from "../src/run/reporter.js";
import { listSpooledRuns, readSegment, segmentNames } from "../src/spool/fs-spool.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  vi.restoreAllMocks();
});

describe("spool cap (maxSpoolBytes)", () => {
  it("drops points past the cap, never silently: counted in stats, reported once, summed at exit", async () => {
    const spoolDir = mkdtempSync(join(tmpdir(), "cairn-spool-cap-"));
    dirs.push(spoolDir);
    const warnings: string[] = [];
    vi.spyOn(console, "warn").mockImplementation((m: unknown) => void warnings.push(String(m)));
    const events: SdkErrorEvent[] = [];
    // Offline: every op goes to the spool, as during a long outage.
    const run = await init({ project: "cap", mode: "offline", spoolDir, capture: false, maxSpoolBytes: 20_000, maxBatchPoints: 100, onError: (e) => events.push(e) });
    for (let step = 0; step < 5_000; step++) run.log({ loss: 1 / (step + 1) }, { step });
    await run.finish();
    const stats = run.stats();
    expect(stats.logged).toBe(5_000);
    expect(stats.dropped).toBeGreaterThan(0);
    expect(stats.spooled + stats.dropped).toBe(5_000);
    const [spooled] = listSpooledRuns(spoolDir);
    const ops = segmentNames(spooled!.dir).flatMap((s) => readSegment(join(spooled!.dir, s)).ops);
    expect(ops.reduce((n, o) => n + (o.type === "metrics" ? o.batch.length : 0), 0)).toBe(stats.spooled);
    // The final status still made it in: ops without points pass the cap.
    expect(ops.at(-1)).toMatchObject({ type: "update", body: { status: "finished" } });
    expect(events.filter((e) => e.op === "write spool")).toHaveLength(1);
    expect(warnings.some((w) => w.includes("maxSpoolBytes"))).toBe(true);
    expect(warnings.some((w) => w.includes(`${stats.dropped} points of run`))).toBe(true);
  });
});
