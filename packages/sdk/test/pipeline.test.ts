import v8 from "node:v8";
import { runInNewContext } from "node:vm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Outcome } from "../src/run/executor.js";
import type { Op } from "../src/run/ops.js";
import { type Entry, Pipeline } from "../src/run/pipeline.js";
import { batchFromPoints } from "../src/run/batch.js";

const metrics = (): Op => ({ type: "metrics", batch: batchFromPoints([["k", 1, 0, 0]]) });
const barrier = (): Op => ({ type: "params", params: {} });

/** Drives the scheduler with a send function that completes requests in a chosen order. */
async function simulate(kinds: boolean[], concurrency: number, pick: number[]) {
  const inflight = new Map<number, { op: Op; resolve: (o: Outcome) => void }>();
  const log: string[] = [];
  const violations: string[] = [];
  let n = 0;
  const seqOf = new Map<Op, number>();
  const p = new Pipeline(concurrency, {
    send: (op) =>
      new Promise<Outcome>((resolve) => {
        const seq = seqOf.get(op)!;
        const barrierIn = [...inflight.values()].some((f) => f.op.type !== "metrics");
        if (barrierIn || (op.type !== "metrics" && inflight.size > 0)) violations.push(`overlap at ${seq}`);
        if (inflight.size >= concurrency) violations.push(`concurrency at ${seq}`);
        inflight.set(seq, { op, resolve });
        log.push(`start ${seq}`);
      }),
    settled: (e: Entry) => {
      inflight.delete(e.seq);
      log.push(`done ${e.seq}`);
    },
    halted: () => {},
  });
  const starts: number[] = [];
  for (const isBarrier of kinds) {
    const op = isBarrier ? barrier() : metrics();
    seqOf.set(op, ++n);
    p.push({ seq: n, op, fromSpool: false });
  }
  await Promise.resolve();
  let i = 0;
  while (inflight.size > 0) {
    const keys = [...inflight.keys()];
    const seq = keys[(pick[i++ % Math.max(pick.length, 1)] ?? 0) % keys.length]!;
    const f = inflight.get(seq)!;
    inflight.delete(seq);
    f.resolve({ kind: "ok" });
    await new Promise((r) => setTimeout(r, 0));
  }
  for (const l of log) if (l.startsWith("start")) starts.push(Number(l.slice(6)));
  return { violations, starts, log, idle: p.idle };
}

describe("pipeline", () => {
  it("runs barriers alone and in order, metrics up to the concurrency, and everything exactly once", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { maxLength: 40 }), fc.integer({ min: 1, max: 5 }), fc.array(fc.nat(10)), async (kinds, c, pick) => {
        const { violations, starts, idle } = await simulate(kinds, c, pick);
        expect(violations).toEqual([]);
        expect(starts).toEqual(kinds.map((_, i) => i + 1)); // started in order
        expect(idle).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it("hands back every unfinished op, in order, when one is unreachable", async () => {
    const resolvers: Array<(o: Outcome) => void> = [];
    let handedBack: number[] = [];
    const p = new Pipeline(2, {
      send: () => new Promise<Outcome>((r) => resolvers.push(r)),
      settled: () => {},
      halted: (entries) => {
        handedBack = entries.map((e) => e.seq);
      },
    });
    for (let i = 1; i <= 5; i++) p.push({ seq: i, op: metrics(), fromSpool: false });
    await Promise.resolve();
    expect(resolvers).toHaveLength(2);
    resolvers[1]!({ kind: "unreachable", error: new Error("down") });
    await Promise.resolve();
    expect(handedBack).toEqual([1, 2, 3, 4, 5]);
    expect(p.idle).toBe(true);
    resolvers[0]!({ kind: "ok" }); // a late answer for an aborted request is ignored
  });

  it("keeps no reference to an op once it is sent (a monitor's batch is ~1 MB)", async () => {
    v8.setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const refs: WeakRef<Op>[] = [];
    const p = new Pipeline(4, { send: async () => ({ kind: "ok" }), settled: () => {}, halted: () => {} });
    // Ops made in a function of their own, so no variable of this test holds the last one.
    const pushOne = (i: number) => {
      const op: Op = { type: "predictions", project: "p", body: "x".repeat(10_000) + i, count: 1 };
      refs.push(new WeakRef(op));
      p.push({ seq: i, op, fromSpool: false });
    };
    for (let i = 1; i <= 200; i++) pushOne(i);
    await p.whenIdle();
    // A few turns for the settled promises to drop their closures.
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    gc();
    expect(refs.filter((r) => r.deref() !== undefined)).toHaveLength(0);
    expect(p.idle).toBe(true);
  });
});
