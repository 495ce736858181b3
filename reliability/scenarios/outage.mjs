// Scenario 1 — server outage mid-run: the SDK logs at ~1 kHz while the server is SIGKILLed
// and restarted (same data directory), then the network path is cut; after finish() every
// point is on the server exactly once and user code never noticed.
import { ChaosProxy } from "../lib/proxy.mjs";
import { checkRunPoints } from "../lib/check.mjs";
import { startTrainer } from "../lib/trainer-process.mjs";
import { round, sleep } from "../../bench/lib/stats.mjs";

export const name = "outage";
export const title = "Server outage mid-run (SIGKILL + restart, then a cut network path)";

export async function run({ long, startServer, apiKey, project }) {
  const points = long ? 100_000 : 12_000;
  const rate = 1000;
  const killMs = long ? 20_000 : 3_000;
  const cutMs = long ? 10_000 : 2_000;
  let server = await startServer();
  const proxy = new ChaosProxy(server.port);
  const url = await proxy.listen();
  const trainer = startTrainer({ url, apiKey, project, points, rate });
  const events = [];
  try {
    await sleep(points / rate * 1000 * 0.2);
    events.push(`SIGKILL server at ${Math.round(Date.now() / 1000) % 1000}s`);
    await server.kill("SIGKILL");
    proxy.resetAll();
    await sleep(killMs);
    server = await startServer();
    proxy.retarget(server.port);
    await sleep(points / rate * 1000 * 0.15);
    proxy.cutPath();
    await sleep(cutMs);
    proxy.restore();
    const result = await trainer.done;
    const r = result.report;
    if (!r) throw new Error(`trainer exited ${result.code ?? result.signal} without a report:\n${result.stderr.slice(-2000)}`);
    const c = await checkRunPoints({ url: server.url, apiKey, runId: r.runId, expected: points });
    return {
      figures: {
        points,
        "distinct on server": c.distinct,
        duplicates: c.duplicates,
        lost: c.missing,
        "wrong values": c.wrong,
        "log() p99 ms": round(r.logP99Ms, 4),
        "log() max ms": round(r.logMaxMs, 2),
        "exceptions in user code": r.exceptions,
        "finish() ms": r.finishMs,
        retries: r.stats.retries,
      },
      checks: [
        [c.distinct === points, `distinct points ${c.distinct} = ${points}`],
        [c.duplicates === 0, `duplicates ${c.duplicates} = 0`],
        [c.missing === 0, `lost ${c.missing} = 0`],
        [c.wrong === 0, `wrong values ${c.wrong} = 0`],
        [r.logP99Ms < 1, `log() p99 ${round(r.logP99Ms, 4)} ms < 1 ms`],
        [r.exceptions === 0, `exceptions reaching user code ${r.exceptions} = 0`],
        [result.code === 0, `trainer exit code ${result.code} = 0`],
      ],
    };
  } finally {
    trainer.child.kill("SIGKILL");
    await proxy.close();
    await server.close();
  }
}


