// Benchmark of the logging hot path: how many points per second `run.log()` accepts on
// one core. The run's driver only counts sealed batches, so this measures exactly what
// training code pays per call (key check, step, columnar buffer, batch sealing); sending
// happens later, off this path. Run directly (`node bench/log.bench.mjs`) or via the
// root `npm run bench`, which imports benchLogEnqueue(). Needs a built dist.
import { pathToFileURL } from "node:url";
import { RunHandle } from "../dist/index.js";

/**
 * @param {{ calls?: number, keysPerCall?: number }} [opts]
 * @returns {Promise<{ pointsPerSecond: number, points: number, ms: number, keysPerCall: number }>}
 */
export async function benchLogEnqueue(opts = {}) {
  const calls = opts.calls ?? 500_000;
  const keysPerCall = opts.keysPerCall ?? 10;
  const keys = Array.from({ length: keysPerCall }, (_, i) => `train/metric_${i}`);
  const stats = { logged: 0, sent: 0, spooled: 0, dropped: 0, retries: 0 };
  let batches = 0;
  const driver = { enqueue: () => void batches++, flush: async () => {}, finish: async () => {} };
  const reporter = { report: () => {}, info: () => {} };
  const make = () => new RunHandle({ id: "bench", project: "bench", url: "http://127.0.0.1", maxBatchPoints: 10_000, reporter, stats, driver });
  // The metrics object is rebuilt per call, as in a training loop.
  const loop = (run, n) => {
    for (let i = 0; i < n; i++) {
      const m = {};
      for (let k = 0; k < keysPerCall; k++) m[keys[k]] = i * 0.001 + k;
      run.log(m);
    }
  };
  loop(make(), Math.min(calls, 50_000)); // warm-up (JIT)
  const run = make();
  const t0 = performance.now();
  loop(run, calls);
  const ms = performance.now() - t0;
  const points = calls * keysPerCall;
  return { pointsPerSecond: Math.round((points / ms) * 1000), points, ms: Math.round(ms), keysPerCall };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  for (const keysPerCall of [1, 10]) {
    const r = await benchLogEnqueue({ keysPerCall, calls: 5_000_000 / keysPerCall });
    console.log(`run.log() enqueue, ${keysPerCall} key(s)/call: ${r.pointsPerSecond.toLocaleString("en-US")} points/s (${r.points.toLocaleString("en-US")} points in ${r.ms} ms)`);
  }
}
