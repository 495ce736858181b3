// Scenario 4 — bounded exit: a script that logs and ends while the server is down must exit
// within the flush deadline, keep its data in the spool and say how to upload it. Half the
// runs face a refused port (server down), half a black hole (a path that accepts and never
// answers, the harder case); half call finish(), half just end.
import fs from "node:fs";
import path from "node:path";
import { round } from "../../bench/lib/stats.mjs";
import { freePort } from "../lib/ports.mjs";
import { ChaosProxy } from "../lib/proxy.mjs";
import { startTrainer } from "../lib/trainer-process.mjs";

export const name = "bounded-exit";
export const title = "Bounded exit with the server down (refused and black-holed)";
/** Runs once: no server is ever up, so the storage driver does not matter. */
export const ownStorage = true;

/** Metric points in a run spool: its segments are JSON lines, one op each. */
function spoolPoints(dir) {
  let points = 0;
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/^\d+\.jsonl$/.test(e.name)) {
        for (const line of fs.readFileSync(p, "utf8").split("\n")) {
          if (!line) continue;
          const op = JSON.parse(line);
          if (op.type === "metrics" && Array.isArray(op.points)) points += op.points.length;
        }
      }
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return points;
}

export async function run({ long, apiKey, project, dataDir }) {
  const runs = long ? 40 : 8;
  // Processes at once: each spends most of its life waiting (init's bounded wait for the run
  // to be created, then the flush deadline), so running a few together costs little CPU.
  const parallel = 4;
  const deadlineMs = 3_000;
  // From the end of the script's own code to the process's exit: the flush deadline plus
  // the spill to disk and process teardown on a loaded machine (generous on purpose).
  const exitSlackMs = 3_000;
  // Whole process: start-up and init() (which waits at most 5 s for the run to be created)
  // come on top of the deadline.
  const totalBudgetMs = deadlineMs + 5_000 + 7_000;
  const points = 2_000;
  const refused = `http://127.0.0.1:${await freePort()}`;
  const hole = new ChaosProxy(1); // never forwards: every connection hangs
  const holeUrl = await hole.listen();
  hole.cutPath();
  const times = [];
  const afterEnd = [];
  let hangs = 0;
  let slowExits = 0;
  let hints = 0;
  let spooledAll = 0;
  let exceptions = 0;
  const one = async (i) => {
    const url = i % 2 === 0 ? refused : holeUrl;
    const spoolDir = path.join(dataDir, `spool-${i}`);
    const env = { TRAINER_SPOOL_DIR: spoolDir, TRAINER_FLUSH_DEADLINE_MS: String(deadlineMs), ...(i % 4 >= 2 ? { TRAINER_NO_FINISH: "1" } : {}) };
    const t = startTrainer({ url, apiKey, project, points, rate: 20_000, env });
    const killer = setTimeout(() => t.child.kill("SIGKILL"), totalBudgetMs + 60_000);
    const r = await t.done;
    clearTimeout(killer);
    times.push(r.ms);
    const tail = r.report ? r.exitedAt - r.report.endedAt : Number.POSITIVE_INFINITY;
    afterEnd.push(tail);
    if (r.signal === "SIGKILL" || r.ms > totalBudgetMs) hangs++;
    if (tail > deadlineMs + exitSlackMs) slowExits++;
    if (/cairn sync/.test(r.stderr)) hints++;
    if (spoolPoints(spoolDir) >= points) spooledAll++;
    exceptions += r.report?.exceptions ?? 0;
  };
  try {
    let next = 0;
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (next < runs) await one(next++);
      }),
    );
  } finally {
    await hole.close();
  }
  const sorted = (xs) => [...xs].sort((a, b) => a - b);
  return {
    figures: {
      runs: `${runs} (${parallel} at a time; refused / black hole × finish() / script just ends)`,
      "flush deadline ms": deadlineMs,
      "script end → exit ms (median, max)": `${round(sorted(afterEnd)[afterEnd.length >> 1], 0)}, ${round(Math.max(...afterEnd), 0)}`,
      "whole process ms (median, max)": `${round(sorted(times)[times.length >> 1], 0)}, ${round(Math.max(...times), 0)}`,
      hangs,
      "printed the sync hint": hints,
      "spool holds every point": spooledAll,
    },
    checks: [
      [hangs === 0, `hangs ${hangs} = 0 (whole process within ${totalBudgetMs} ms: start-up, init's 5 s wait, the deadline)`],
      [slowExits === 0, `exits later than deadline ${deadlineMs} ms + ${exitSlackMs} ms after the script's end: ${slowExits} = 0`],
      [hints === runs, `printed the \`cairn sync\` hint ${hints}/${runs}`],
      [spooledAll === runs, `spool holds every point ${spooledAll}/${runs}`],
      [exceptions === 0, `exceptions reaching user code ${exceptions} = 0`],
    ],
  };
}
