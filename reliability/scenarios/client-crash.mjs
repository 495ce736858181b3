// Scenario 3 — client crash: the training process is SIGKILLed at random moments with a
// spool; after `cairn sync`, every point whose log() returned more than the flush interval
// before the kill is on the server, exactly once.
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { round, sleep } from "../../bench/lib/stats.mjs";
import { checkRunPoints } from "../lib/check.mjs";
import { startTrainer } from "../lib/trainer-process.mjs";

export const name = "client-crash";
export const title = "Client crash (SIGKILL at random moments, then cairn sync)";

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../packages/sdk/dist/cli.js");
const exec = promisify(execFile);

/** The progress log: run id, and (step, time) pairs of log() calls that had returned. */
function readProgress(file) {
  const lines = fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n") : [];
  const runId = lines[0]?.startsWith("run ") ? lines[0].slice(4) : undefined;
  const marks = [];
  for (const line of lines.slice(1)) {
    const m = /^(-?\d+) (\d+)$/.exec(line);
    if (m) marks.push({ step: Number(m[1]), at: Number(m[2]) });
  }
  return { runId, marks };
}

export async function run({ long, startServer, apiKey, project, dataDir }) {
  const kills = long ? 50 : 12;
  const flushIntervalMs = 250;
  const points = 1_000_000; // more than any run lives to log: the kill ends it
  const server = await startServer();
  const spoolDir = path.join(dataDir, "spool");
  let required = 0;
  let missing = 0;
  // The SDK journals every sealed batch to the spool before sending it (write-ahead), and seals
  // every flush interval: the only margin is for the journal write itself and the flush timer
  // firing late on a loaded machine.
  const writeMarginMs = 50;
  let duplicates = 0;
  let wrong = 0;
  let runsSeen = 0;
  const syncTimes = [];
  try {
    const victims = [];
    // Four trainers at a time (each its own run, one shared spool directory, as several
    // training processes on one machine): the kills stay random, the scenario is shorter.
    const parallel = 4;
    let next = 0;
    const one = async (i) => {
      const progress = path.join(dataDir, `progress-${i}.log`);
      const t = startTrainer({
        url: server.url,
        apiKey,
        project,
        points,
        rate: 2_000,
        env: { TRAINER_SPOOL_DIR: spoolDir, TRAINER_PROGRESS_FILE: progress, TRAINER_PROGRESS_MS: "20", TRAINER_FLUSH_INTERVAL_MS: String(flushIntervalMs) },
      });
      // A random moment: one kill in six during start-up or init(), the others while logging
      // (timed from the run's start, so a slow start on a loaded machine does not turn
      // them all into kills before anything was logged).
      if (i % 6 === 5) await sleep(Math.random() * 800);
      else {
        const t0 = Date.now();
        while (!fs.existsSync(progress) && Date.now() - t0 < 20_000) await sleep(20);
        // Late enough that every kill has points logged more than a flush interval before it.
        await sleep(1_000 + Math.random() * (long ? 5_500 : 4_000));
      }
      const killedAt = Date.now();
      t.child.kill("SIGKILL");
      await t.done;
      victims.push({ progress, killedAt });
    };
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (next < kills) await one(next++);
      }),
    );
    const t0 = Date.now();
    await exec(process.execPath, [CLI, "sync", "--spool-dir", spoolDir, "--url", server.url], { env: { ...process.env, CAIRN_API_KEY: apiKey } });
    syncTimes.push(Date.now() - t0);
    for (const v of victims) {
      const { runId, marks } = readProgress(v.progress);
      if (!runId) continue; // killed before init() returned: nothing was logged
      runsSeen++;
      // Issue 8's claim: every step whose log() returned before (kill − flush interval) is
      // there, whatever the server was doing: in flight or not, the batch was in the spool's
      // write-ahead journal, which `cairn sync` replays (idempotently: exactly once is checked).
      const due = marks.filter((m) => m.at <= v.killedAt - flushIntervalMs - writeMarginMs).pop()?.step ?? -1;
      const last = marks.at(-1)?.step ?? -1;
      required += due + 1;
      if (last < 0) continue;
      const c = await checkRunPoints({ url: server.url, apiKey, runId, expected: last + 1, present: (s) => s <= due });
      for (let s = 0; s <= due; s++) if (!c.has(s)) missing++;
      duplicates += c.duplicates;
      wrong += c.wrong;
    }
  } finally {
    await server.close();
  }
  return {
    figures: {
      kills,
      "runs that logged": runsSeen,
      "flush interval ms": flushIntervalMs,
      [`logged > flush interval + ${writeMarginMs} ms before kill`]: required,
      "  of them not on the server (lost)": missing,
      duplicates,
      "wrong values": wrong,
      "cairn sync ms": round(syncTimes[0] ?? 0, 0),
    },
    checks: [
      [runsSeen >= kills / 2, `${runsSeen} of ${kills} killed runs had started (≥ half: the rest were killed in start-up on purpose)`],
      [required > 0, `points logged more than ${flushIntervalMs} + ${writeMarginMs} ms before a kill: ${required} > 0`],
      [missing === 0, `lost ${missing} of ${required} points logged more than ${flushIntervalMs} + ${writeMarginMs} ms before the kill = 0`],
      [duplicates === 0, `duplicates ${duplicates} = 0`],
      [wrong === 0, `wrong values ${wrong} = 0`],
    ],
  };
}
