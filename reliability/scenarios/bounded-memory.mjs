// Scenario 5 — bounded memory: the server stays away while the training loop logs 10,000
// points/s (long form: 10 minutes; short form: 15 s). The SDK process must stay under 256 MiB
// resident, the spool under its cap, and once the cap is hit the dropped points must be
// counted (run.stats().dropped), warned about and passed to onError, never lost silently.
import fs from "node:fs";
import path from "node:path";
import { round } from "../../bench/lib/stats.mjs";
import { freePort } from "../lib/ports.mjs";
import { startTrainer } from "../lib/trainer-process.mjs";

export const name = "bounded-memory";
export const title = "Bounded memory through a long outage at 10,000 points/s (spool cap hit)";

const RSS_LIMIT_MB = 256;

function dirBytes(dir) {
  let n = 0;
  if (!fs.existsSync(dir)) return 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) n += dirBytes(p);
    else if (/^\d+\.jsonl$/.test(e.name)) n += fs.statSync(p).size;
  }
  return n;
}

/** Runs once: the server is down for the whole scenario, so the storage driver does not matter. */
export const ownStorage = true;

export async function run({ long, apiKey, project, dataDir }) {
  const rate = 10_000;
  const seconds = long ? 600 : 15;
  const points = rate * seconds;
  // Small enough that both forms hit it (a point takes ~25 bytes in the spool).
  const capBytes = long ? 64 * 2 ** 20 : 2 * 2 ** 20;
  const spoolDir = path.join(dataDir, "spool");
  const url = `http://127.0.0.1:${await freePort()}`; // refused: the server is down
  const t = startTrainer({
    url,
    apiKey,
    project,
    points,
    rate,
    env: { TRAINER_SPOOL_DIR: spoolDir, TRAINER_MAX_SPOOL_BYTES: String(capBytes), TRAINER_FLUSH_DEADLINE_MS: "3000" },
  });
  const r = await t.done;
  const report = r.report;
  if (!report) throw new Error(`trainer exited ${r.code ?? r.signal} without a report:\n${r.stderr.slice(-2000)}`);
  const spoolBytes = dirBytes(spoolDir);
  const s = report.stats;
  const warned = /maxSpoolBytes/.test(r.stderr);
  const summarised = new RegExp(`${s.dropped} points of run`).test(r.stderr);
  return {
    figures: {
      "outage s / rate points/s": `${seconds} / ${rate}`,
      "points logged": s.logged,
      "achieved rate points/s": round(s.logged / (report.loggedMs / 1000), 0),
      "peak RSS MiB": round(report.maxRssMb, 1),
      "spool cap bytes": capBytes,
      "spool bytes at exit": spoolBytes,
      "points spooled": s.spooled,
      "points dropped (stats)": s.dropped,
      "onError calls": report.sdkErrors,
      "log() p99 ms": round(report.logP99Ms, 4),
    },
    checks: [
      [report.maxRssMb < RSS_LIMIT_MB, `peak RSS ${round(report.maxRssMb, 1)} MiB < ${RSS_LIMIT_MB} MiB`],
      // Ops without points (status, params) pass the cap: a few hundred bytes over at most.
      [spoolBytes <= capBytes + 4096, `spool ${spoolBytes} bytes ≤ cap ${capBytes} (+ status ops)`],
      [s.dropped > 0, `the cap was hit: ${s.dropped} points dropped`],
      [s.logged === points && s.spooled + s.dropped + s.sent === s.logged, `every point accounted for: spooled ${s.spooled} + dropped ${s.dropped} + sent ${s.sent} = logged ${s.logged}`],
      [warned && summarised && report.sdkErrors > 0, `drops warned about (${warned}), summed at exit (${summarised}), passed to onError (${report.sdkErrors})`],
      [report.exceptions === 0 && r.code === 0, `no exception in user code (${report.exceptions}), exit code ${r.code}`],
    ],
  };
}
