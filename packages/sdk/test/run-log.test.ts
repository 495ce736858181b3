import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { batchToPoints } from "../src/run/batch.js";
import type { Op } from "../src/run/ops.js";
import { Reporter, type SdkErrorEvent } from "../src/run/reporter.js";
import { RunHandle, type RunDriver } from "../src/run/run.js";
import type { RunStats } from "../src/run/sender.js";

/** A run whose driver just collects ops: the unit under test is `log()` itself. */
function makeRun(onError?: (e: SdkErrorEvent) => void) {
  const ops: Op[] = [];
  const driver: RunDriver = { enqueue: (op) => void ops.push(op), flush: async () => {}, finish: async () => {} };
  const stats: RunStats = { logged: 0, sent: 0, spooled: 0, dropped: 0, retries: 0 };
  const run = new RunHandle({ id: "r", project: "p", url: "http://x", maxBatchPoints: 10_000, reporter: new Reporter(onError), stats, driver });
  const points = () => {
    run.sealBuffer();
    return ops.flatMap((o) => (o.type === "metrics" ? batchToPoints(o.batch) : []));
  };
  return { run, ops, points };
}

describe("run.log", () => {
  it("auto-increments the step from the highest step used so far", () => {
    const { run, points } = makeRun();
    run.log({ a: 1, b: 2 }); // step 0, shared by both keys
    run.log({ a: 1 }); // 1
    run.log({ a: 1 }, { step: 10 });
    run.log({ a: 1 }, { step: 5 }); // explicit steps may go back...
    run.log({ a: 1 }); // ...but implicit ones continue after the highest: 11
    expect(points().map((p) => [p.key, p.step])).toEqual([["a", 0], ["b", 0], ["a", 1], ["a", 10], ["a", 5], ["a", 11]]);
    expect(run.stats().logged).toBe(6);
  });

  it("never reuses an implicit step (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.nat(1000), { nil: undefined })), (steps) => {
        const { run, points } = makeRun();
        let max = -1;
        const expected: number[] = [];
        for (const s of steps) {
          run.log({ x: 1 }, s === undefined ? undefined : { step: s });
          const used = s ?? max + 1;
          expected.push(used);
          max = Math.max(max, used);
        }
        expect(points().map((p) => p.step)).toEqual(expected);
      }),
    );
  });

  it("keeps NaN and ±Infinity, drops invalid keys and non-numbers with one report per key", () => {
    const onError = vi.fn();
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const { run, points } = makeRun(onError);
    for (let i = 0; i < 3; i++) run.log({ nan: NaN, inf: Infinity, "bad#key": 1, str: "x" as unknown as number, ok: 1 });
    expect(points().filter((p) => p.key !== "ok").map((p) => [p.key, p.value])).toEqual([
      ["nan", "NaN"], ["inf", "Infinity"], ["nan", "NaN"], ["inf", "Infinity"], ["nan", "NaN"], ["inf", "Infinity"],
    ]);
    expect(onError).toHaveBeenCalledTimes(2);
    expect(onError.mock.calls.map((c) => (c[0] as SdkErrorEvent).key).sort()).toEqual(["bad#key", "str"]);
    expect(run.stats()).toMatchObject({ logged: 9, dropped: 6 });
    warn.mockRestore();
  });

  it("drops a call with an invalid step and ignores logging after finish", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const { run, points } = makeRun();
    run.log({ a: 1 }, { step: -1 });
    run.log({ a: 1 }, { step: 1.5 });
    await run.finish();
    run.log({ a: 1 });
    expect(points()).toEqual([]);
    expect(run.stats().dropped).toBe(2);
    warn.mockRestore();
  });

  it("validates params and tags before queueing them", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const { run, ops } = makeRun();
    run.logParams({ lr: 0.1, opt: "adam" });
    run.logParams({ lr: NaN });
    run.setTags({ team: "x", old: null });
    expect(ops).toEqual([
      { type: "params", params: { lr: 0.1, opt: "adam" } },
      { type: "update", body: { tags: { team: "x", old: null } } },
    ]);
    warn.mockRestore();
  });
});
