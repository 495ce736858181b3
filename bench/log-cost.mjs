// Figure 2, run in its own process (fresh heap and JIT, `--expose-gc` for memory figures):
//   node --expose-gc bench/log-cost.mjs up   <serverUrl> <points> <spoolDir>
//   node --expose-gc bench/log-cost.mjs down <closedPortUrl> <points> <spoolDir> <maxBufferedPoints>
//   node bench/log-cost.mjs helper <file URL of packages/sdk/bench/log.bench.mjs> <points>
// Prints one JSON object on stdout.
import fs from "node:fs";
import path from "node:path";
import { init } from "@cairn/sdk";
import { keyNames, valueTable } from "./lib/data.mjs";
import { median, round } from "./lib/stats.mjs";

const [mode, url, pointsArg, spoolDir, capArg] = process.argv.slice(2);
const KEYS = 100;
const totalPoints = Number(pointsArg);
const names = keyNames(KEYS);
const values = valueTable(1 << 16);
const gc = globalThis.gc ?? (() => {});
const yieldNow = () => new Promise((r) => setImmediate(r));
const mem = () => {
  const m = process.memoryUsage();
  return { rssMB: round(m.rss / 2 ** 20), heapUsedMB: round(m.heapUsed / 2 ** 20), externalMB: round((m.external + m.arrayBuffers) / 2 ** 20) };
};
const dirSize = (d) => {
  let n = 0;
  for (const e of fs.readdirSync(d, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) n += fs.statSync(path.join(e.parentPath ?? e.path, e.name)).size;
  }
  return n;
};

/**
 * Logs `steps` steps of KEYS keys starting at `step0`, in blocks of `block` steps; only
 * the log() calls are timed (the event loop runs between blocks so the sender works as
 * it would in a training loop). Returns ms spent inside log().
 */
async function logSteps(run, step0, steps, block, onBlock) {
  let ms = 0;
  for (let s = step0; s < step0 + steps; s += block) {
    const end = Math.min(step0 + steps, s + block);
    const t = performance.now();
    for (let i = s; i < end; i++) {
      const m = {};
      const v = values[i & 0xffff];
      for (let k = 0; k < KEYS; k++) m[names[k]] = v + k;
      run.log(m, { step: i });
    }
    ms += performance.now() - t;
    onBlock?.();
    await yieldNow();
  }
  return ms;
}

const out = { mode, keysPerCall: KEYS };
if (mode === "helper") {
  // The SDK's own micro-benchmark (packages/sdk/bench/log.bench.mjs): a Run with a
  // driver that only counts sealed batches, i.e. log() with no sender at all.
  const { benchLogEnqueue } = await import(url);
  out.results = [];
  for (const keysPerCall of [1, 10, 100]) out.results.push(await benchLogEnqueue({ keysPerCall, calls: Math.round(totalPoints / keysPerCall) }));
} else if (mode === "up") {
  // Server up: a live run with its sender; the memory cap is raised so the measured
  // loop never spills to disk (that is the "down" case below).
  const run = await init({ project: "bench-log", name: "log-cost", url, spoolDir, heartbeatIntervalMs: 0, maxBufferedPoints: 50_000_000, flushDeadlineMs: 3_000 });
  await logSteps(run, 0, 2_000, 100); // warm-up (JIT): 200k points
  const reps = [];
  const stepsPerRep = Math.max(1, Math.floor(totalPoints / KEYS / 5));
  let step = 2_000;
  for (let r = 0; r < 5; r++) {
    const ms = await logSteps(run, step, stepsPerRep, 100);
    step += stepsPerRep;
    reps.push(((stepsPerRep * KEYS) / ms) * 1000);
  }
  out.points = stepsPerRep * KEYS * 5;
  out.pointsPerSec = Math.round(median(reps));
  out.repsPointsPerSec = reps.map(Math.round);
  await run.finish(); // what the server has not taken within 3 s goes to the spool
  out.stats = run.stats();
} else {
  // Server unreachable (closed port): memory must stay bounded by maxBufferedPoints,
  // the rest goes to the disk spool.
  const cap = Number(capArg);
  gc();
  const before = mem();
  const run = await init({ project: "bench-log", name: "log-down", url, spoolDir, heartbeatIntervalMs: 0, maxBufferedPoints: cap, flushDeadlineMs: 1_000, retryWindowMs: 2_000 });
  const steps = Math.floor(totalPoints / KEYS);
  let peakRss = 0;
  let peakHeap = 0;
  const samples = [];
  let blocks = 0;
  const ms = await logSteps(run, 0, steps, 100, () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
    if (++blocks % Math.max(1, Math.floor(steps / 100 / 5)) === 0) samples.push({ points: blocks * 100 * KEYS, ...mem() });
  });
  out.points = steps * KEYS;
  out.pointsPerSec = Math.round((out.points / ms) * 1000);
  gc();
  const afterLog = mem();
  const tf = performance.now();
  await run.finish();
  out.finishMs = round(performance.now() - tf);
  gc();
  const after = mem();
  out.maxBufferedPoints = cap;
  out.memory = {
    before,
    afterLoggingGc: afterLog,
    afterFinishGc: after,
    peakRssMB: round(peakRss / 2 ** 20),
    peakHeapUsedMB: round(peakHeap / 2 ** 20),
    rssDeltaMB: round(afterLog.rssMB - before.rssMB),
    heapDeltaMB: round(afterLog.heapUsedMB - before.heapUsedMB),
    samples,
  };
  // What holding every point in memory would cost at ~32 bytes/point (columnar buffer).
  out.unboundedEstimateMB = round((out.points * 32) / 2 ** 20);
  // Bounded: the heap does not grow with the number of points logged (first vs last
  // sample, 20% and 100% of the points), and what is left after GC is small.
  const first = samples[0]?.heapUsedMB ?? 0;
  const last = samples.at(-1)?.heapUsedMB ?? 0;
  out.bounded = last <= first * 1.25 + 2 && afterLog.heapUsedMB - before.heapUsedMB < 16;
  out.spoolBytes = dirSize(spoolDir);
  out.stats = run.stats();
}
process.stdout.write(JSON.stringify(out) + "\n");
process.exit(0);
