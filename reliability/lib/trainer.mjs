// The "training process" of the scenarios, run as a child: logs `points` metric points at
// `rate` per second through the real SDK and reports, as one JSON line on stdout, what user
// code saw: the cost of each log() call, exceptions, the run id and the SDK's own counters.
//
//   CAIRN_URL, CAIRN_API_KEY, TRAINER_PROJECT, TRAINER_POINTS, TRAINER_RATE, TRAINER_SPOOL_DIR,
//   TRAINER_FLUSH_DEADLINE_MS, TRAINER_PROGRESS_FILE (optional: "run <id>", then lines
//   "<highest step whose log() returned> <epoch ms>" every TRAINER_PROGRESS_MS), TRAINER_FLUSH_INTERVAL_MS, TRAINER_MAX_BATCH_POINTS,
//   TRAINER_MAX_BUFFERED_POINTS, TRAINER_MAX_SPOOL_BYTES
// The report's maxRssMb is the process's peak resident memory, sampled every 100 ms (it
// includes the trainer's own array of log() costs: 8 bytes per point).
import fs from "node:fs";
import { init } from "@cairn/sdk";
import { valueAt } from "./values.mjs";

const env = process.env;
const points = Number(env.TRAINER_POINTS ?? 10_000);
const rate = Number(env.TRAINER_RATE ?? 1000);
const progressFile = env.TRAINER_PROGRESS_FILE;

let exceptions = 0;
process.on("uncaughtException", (e) => {
  exceptions++;
  process.stderr.write(`uncaught: ${e?.stack ?? e}\n`);
});
process.on("unhandledRejection", (e) => {
  exceptions++;
  process.stderr.write(`unhandled rejection: ${e?.stack ?? e}\n`);
});

const sdkErrors = [];
const run = await init({
  project: env.TRAINER_PROJECT,
  name: `trainer-${process.pid}`,
  ...(env.TRAINER_SPOOL_DIR ? { spoolDir: env.TRAINER_SPOOL_DIR } : {}),
  ...(env.TRAINER_FLUSH_DEADLINE_MS ? { flushDeadlineMs: Number(env.TRAINER_FLUSH_DEADLINE_MS) } : {}),
  ...(env.TRAINER_FLUSH_INTERVAL_MS ? { flushIntervalMs: Number(env.TRAINER_FLUSH_INTERVAL_MS) } : {}),
  ...(env.TRAINER_MAX_BATCH_POINTS ? { maxBatchPoints: Number(env.TRAINER_MAX_BATCH_POINTS) } : {}),
  ...(env.TRAINER_MAX_BUFFERED_POINTS ? { maxBufferedPoints: Number(env.TRAINER_MAX_BUFFERED_POINTS) } : {}),
  ...(env.TRAINER_MAX_SPOOL_BYTES ? { maxSpoolBytes: Number(env.TRAINER_MAX_SPOOL_BYTES) } : {}),
  heartbeatIntervalMs: 5_000,
  onError: (e) => sdkErrors.push(e.op ?? String(e)),
});
// Progress is appended, one line per tick, so a SIGKILL mid-write costs at most the last line.
if (progressFile) fs.writeFileSync(progressFile, `run ${run.id}\n`);

let maxRss = process.memoryUsage.rss();
const rssTimer = setInterval(() => {
  maxRss = Math.max(maxRss, process.memoryUsage.rss());
}, 100);
rssTimer.unref();
const costs = new Float64Array(points);
const started = Date.now();
let step = 0;
let lastProgress = 0;
// Paced in small bursts: timers cannot fire every millisecond, so each tick logs what the
// clock says is due, which keeps the average rate while every log() call is measured alone.
await new Promise((resolve) => {
  const tick = () => {
    const due = Math.min(points, Math.floor(((Date.now() - started) * rate) / 1000) + 1);
    while (step < due) {
      const t0 = process.hrtime.bigint();
      try {
        run.log({ loss: valueAt(step) }, { step });
      } catch (e) {
        exceptions++;
        process.stderr.write(`log() threw: ${e?.stack ?? e}\n`);
      }
      costs[step] = Number(process.hrtime.bigint() - t0) / 1e6;
      step++;
    }
    if (progressFile && Date.now() - lastProgress >= Number(env.TRAINER_PROGRESS_MS ?? 50)) {
      lastProgress = Date.now();
      fs.appendFileSync(progressFile, `${step - 1} ${lastProgress}\n`);
    }
    if (step >= points) resolve();
    else setTimeout(tick, 2);
  };
  tick();
});
const loggedMs = Date.now() - started;
const finishStarted = Date.now();
// TRAINER_NO_FINISH: the script just ends, as many do; the SDK's exit hooks must flush.
if (!env.TRAINER_NO_FINISH) {
  try {
    await run.finish();
  } catch (e) {
    exceptions++;
    process.stderr.write(`finish() threw: ${e?.stack ?? e}\n`);
  }
}
const sorted = Array.from(costs).sort((a, b) => a - b);
const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
// endedAt: when the script's own code was done (the exit hooks may still be flushing after it).
process.stdout.write(
  `${JSON.stringify({ endedAt: Date.now(), runId: run.id, points, loggedMs, finishMs: Date.now() - finishStarted, logP50Ms: q(0.5), logP99Ms: q(0.99), logMaxMs: sorted[sorted.length - 1], maxRssMb: Math.max(maxRss, process.memoryUsage.rss()) / 2 ** 20, exceptions, stats: run.stats(), sdkErrors: sdkErrors.length })}\n`,
);
