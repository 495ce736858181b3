// Scenario 8 — load: a second process (autocannon) drives metric ingestion and run queries
// against one server. A short ramp finds the maximum throughput; then a steady phase at 70%
// of it must answer every request 2xx with p99 under the bound, every acknowledged point
// must be stored, and the server's RSS, sampled every second, must show no growth trend (long
// form: its post-GC floor; short form: a slope with a coarse budget).
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Cairn } from "@cairn/sdk";
import { median, round, sleep } from "../../bench/lib/stats.mjs";

export const name = "load";
export const title = "Sustained load from a second process: ingestion + run queries at 70% of the measured maximum";

const CLIENT = path.join(path.dirname(fileURLToPath(import.meta.url)), "../lib/load-client.mjs");
const say = (msg) => process.stderr.write(`    · ${new Date().toISOString().slice(11, 19)} ${msg}\n`);

/**
 * The p99 bound at 70% load: 250 ms (issue 8) in the long form. The short form (CI) allows
 * 500 ms: its 20-second window holds ~4,000 requests, so p99 is the worst ~40 of them, and
 * on 2 cores shared by PostgreSQL, the server, the load generator and whatever else the
 * machine runs, one checkpoint (another database created on the same PostgreSQL forces
 * one) or a scheduling stall of a few hundred ms lands in it; measured with other jobs
 * running: p99 285–324 ms at p50 62–77 ms.
 */
const p99Bound = (long) => (long ? 250 : 500);
/**
 * The latency bound and the held rate are asserted on PostgreSQL, the production database.
 * Embedded PGlite runs every statement on the server's one thread, so under concurrent load
 * its latency is the CPU share the OS grants that one thread (PostgreSQL spreads the same
 * work over the server and its backends). With other jobs on the 2 cores (load average
 * 6–11) the PGlite server got 23–36% of a core, its maximum swung from 35 to 137
 * requests/s between windows, and queries alone at 30 requests/s had p50 91 ms, p99 516 ms
 * (p50 29 ms at 10 requests/s). On PGlite the latency figures are printed; errors, storage
 * and RSS are asserted as on PostgreSQL.
 */
const latencyAsserted = (driver) => driver === "postgres";
/**
 * Short form's RSS check: the least-squares slope over the second half of the 20 s steady
 * phase may not project more than a 48 MiB growth budget spread over that window (at least
 * 20 MiB/min). One old-space step or GC cycle moves RSS by tens of MiB within seconds, so this
 * catches only gross leaks; the long form's floor check (below) is the real leak check.
 */
const rssTolerance = (windowSeconds) => Math.max(20, (48 / windowSeconds) * 60);
/**
 * The long form's leak check. Under steady load the server's RSS is a sawtooth (measured on
 * PostgreSQL at ~370 requests/s: 150 → 230 MiB and back every 20–60 s as V8 grows old space,
 * then collects), so a slope over 30 s can read +170 MiB/min with no leak at all. What a leak
 * raises is the floor the sawtooth returns to after a major GC: the minimum RSS of the second
 * half of a 3-minute steady phase may exceed the first half's by at most this much.
 */
const rssFloorBudget = 24;

function rssMiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Least-squares slope of y over x. */
function slope(xs, ys) {
  const n = xs.length;
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export async function run({ long, driver, startServer, apiKey, project }) {
  const server = await startServer();
  const cairn = new Cairn({ url: server.url, apiKey, timeoutMs: 120_000 });
  const samples = [];
  const sampler = setInterval(() => {
    const mib = rssMiB(server.pid);
    if (mib !== undefined) samples.push([Date.now(), mib]);
  }, 1000);
  try {
    // What the queries read: 50 runs with an accuracy to filter on, one with a 20,000-step history.
    for (let i = 0; i < 50; i++) {
      const r = await cairn.runs.create(project, { name: `query-${i}`, params: { lr: 0.001 * (i + 1) } });
      await cairn.metrics.log(r.id, [{ key: "accuracy", step: 0, value: i / 50 }]);
    }
    const queryRun = (await cairn.runs.search({ project, limit: 1 })).runs[0].id;
    const historyRun = (await cairn.runs.create(project, { name: "history" })).id;
    for (let from = 0; from < 20_000; from += 5000) {
      await cairn.metrics.log(historyRun, Array.from({ length: 5000 }, (_, i) => ({ key: "loss", step: from + i, value: 1 / (from + i + 1) })));
    }
    const ingestRuns = [];
    for (let i = 0; i < 8; i++) ingestRuns.push((await cairn.runs.create(project, { name: `ingest-${i}` })).id);

    const cfg = {
      url: server.url,
      apiKey,
      project,
      ingestRuns,
      queryRun,
      historyRun,
      rampSeconds: long ? 5 : 3,
      rampConnections: [4, 16, 32],
      // Long form: 3 minutes, not 60 s, so that each half of it holds a major GC (see rssFloorBudget).
      steadySeconds: long ? 180 : 20,
      steadyConnections: 32,
      share: 0.7,
    };
    say(`ramp ${cfg.rampConnections.join("/")} connections × ${cfg.rampSeconds} s, then ${cfg.steadySeconds} s at 70%`);
    const child = spawn(process.execPath, [CLIENT], { env: { PATH: process.env.PATH, HOME: process.env.HOME, REL_LOAD: JSON.stringify(cfg) }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => {
      stderr += d;
      const m = /steady (\d+)/.exec(d);
      if (m) say(`steady phase at ${m[1]} requests/s`);
    });
    const code = await new Promise((resolve) => child.once("exit", resolve));
    const line = stdout.trim().split("\n").filter(Boolean).pop();
    if (code !== 0 || !line) throw new Error(`load client exited ${code}:\n${stderr.slice(-3000)}`);
    const r = JSON.parse(line);
    const s = r.steady;

    // Every acknowledged point is stored, once.
    let stored = 0;
    for (const id of ingestRuns) stored += (await cairn.metrics.list(id)).metrics.find((m) => m.key === "loss")?.count ?? 0;

    // RSS over the steady phase; the trend is fitted over its second half.
    const steadySamples = samples.filter(([t]) => t >= s.startedMs && t <= s.endedMs);
    const half = steadySamples.slice(Math.floor(steadySamples.length / 2));
    const windowSeconds = half.length > 1 ? (half.at(-1)[0] - half[0][0]) / 1000 : 0;
    const slopeMiBPerMin = half.length > 2 ? slope(half.map(([t]) => t / 60_000), half.map(([, m]) => m)) : Number.NaN;
    const tolerance = rssTolerance(Math.max(1, windowSeconds));
    const rss = steadySamples.map(([, m]) => m);
    const floorFirst = Math.min(...rss.slice(0, Math.floor(rss.length / 2)));
    const floorSecond = Math.min(...rss.slice(Math.floor(rss.length / 2)));
    const failedRequests = s.errors + s.timeouts + s.non2xx;
    const rampFailed = r.ramp.reduce((n, p) => n + p.errors + p.timeouts + p.non2xx, 0);
    return {
      figures: {
        driver,
        "ramp requests/s (connections)": r.ramp.map((p) => `${round(p.rate, 0)} (${p.connections})`).join(", "),
        "maximum requests/s": round(r.max, 0),
        "steady target requests/s (70%)": r.target,
        "steady requests/s": round(s.rate, 0),
        "steady metric points/s": round((s.rate / 2) * r.batch, 0),
        "steady p50 / p99 / max ms": `${s.p50} / ${s.p99} / ${s.max}${latencyAsserted(driver) ? "" : " (not asserted on PGlite)"}`,
        "steady errors / timeouts / non-2xx": `${s.errors} / ${s.timeouts} / ${s.non2xx}`,
        "points acknowledged / stored": `${r.acked.points} / ${stored}`,
        "server RSS MiB (min / median / max)": `${round(Math.min(...rss), 0)} / ${round(median(rss), 0)} / ${round(Math.max(...rss), 0)}`,
        "RSS slope, 2nd half (MiB/min)": `${round(slopeMiBPerMin, 1)} over ${round(windowSeconds, 0)} s${long ? "" : ` (tolerance ${round(tolerance, 0)})`}`,
        "RSS floor, 1st / 2nd half (MiB)": `${round(floorFirst, 0)} / ${round(floorSecond, 0)}${long ? ` (budget +${rssFloorBudget})` : ""}`,
      },
      checks: [
        [failedRequests === 0 && rampFailed === 0, `0 errors (steady: ${s.errors} errors, ${s.timeouts} timeouts, ${s.non2xx} non-2xx; ramp: ${rampFailed})`],
        ...(latencyAsserted(driver)
          ? [
              [s.p99 < p99Bound(long), `p99 ${s.p99} ms < ${p99Bound(long)} ms at 70% of the maximum`],
              [s.rate >= r.target * 0.8, `the steady phase held its rate (${round(s.rate, 0)} ≥ 80% of ${r.target} requests/s)`],
            ]
          : []),
        // ≥: a batch still in flight when a phase ended is stored without its answer being counted.
        [stored >= r.acked.written && r.acked.points === r.acked.requests * r.batch, `every acknowledged point stored (${stored} ≥ ${r.acked.written})`],
        long
          ? [rss.length >= 60 && floorSecond - floorFirst <= rssFloorBudget, `server RSS stable: post-GC floor ${round(floorFirst, 0)} → ${round(floorSecond, 0)} MiB (growth ≤ ${rssFloorBudget} MiB over ${rss.length} s)`]
          : [half.length >= 5 && slopeMiBPerMin < tolerance, `server RSS stable: slope ${round(slopeMiBPerMin, 1)} MiB/min < ${round(tolerance, 0)} over the last ${round(windowSeconds, 0)} s`],
      ],
    };
  } catch (e) {
    throw new Error(`${e?.stack ?? e}\n--- server stderr (tail) ---\n${server.stderr.slice(-3000)}`);
  } finally {
    clearInterval(sampler);
    await sleep(0);
    await server.close();
  }
}
