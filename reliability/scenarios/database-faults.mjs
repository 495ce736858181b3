// Scenario 6 — database faults: a private PostgreSQL is stopped in immediate mode and started
// again, repeatedly, under a steady stream of metric writes. Every write the server answered
// 2xx must be there afterwards; while the database is away the server answers 503 with
// Retry-After, /readyz says so, and it recovers by itself, without a restart.
import { uuidv7 } from "@cairn/core";
import { Cairn, init } from "@cairn/sdk";
import { startChildServer } from "../../bench/lib/server.mjs";
import { round, sleep } from "../../bench/lib/stats.mjs";
import { checkRunPoints } from "../lib/check.mjs";
import { privatePostgresAvailable, startPrivatePostgres } from "../lib/private-postgres.mjs";
import { valueAt } from "../lib/values.mjs";

export const name = "database-faults";
export const title = "Database stopped (immediate) and restarted under 500 writes/s";
/** Runs once, on a private PostgreSQL of its own (PGlite is in-process and cannot be stopped alone). */
export const ownStorage = true;

const say = (msg) => process.stderr.write(`    · ${new Date().toISOString().slice(11, 19)} ${msg}\n`);

export async function run({ long, apiKey, project, dataDir }) {
  // dataDir: the server's own files (blobs, admin token); the database is the private cluster.
  if (!privatePostgresAvailable()) return { skipped: "no PostgreSQL binaries on this machine" };
  const cycles = long ? 10 : 2;
  const downMs = long ? 8_000 : 3_000;
  const upMs = long ? 10_000 : 4_000;
  const writesPerSecond = 500;
  const pg = await startPrivatePostgres();
  const server = await startChildServer({ dataDir, databaseUrl: pg.url, timeoutMs: 180_000, env: { CAIRN_LOG_LEVEL: "warn" } });
  const headers = { authorization: `Bearer ${apiKey}`, "content-type": "application/json" };
  const status = { ok: 0, unavailable: 0, withRetryAfter: 0, other: 0, errors: 0 };
  const acked = [];
  let readyzDown = 0;
  let readyzUp = 0;
  let recoveredMs = [];
  /** Per restart: ms from the database's start to the first metric write answered 2xx. */
  const writesBackMs = [];
  /** Per restart: ms from the database's start until a model version registered and the alias moved to it. */
  const registryBackMs = [];
  const registryStatuses = new Map();
  let registryHung = 0;
  const client = new Cairn({ url: server.url, apiKey, project, timeoutMs: 15_000 });
  const modelName = "db-faults-model";
  let aliasTarget = 0;
  /**
   * The registry's multi-statement transactions (version number, files, alias history),
   * retried like a careful client would: on 503 or a network fault, for up to 60 s. A
   * transaction stuck on a connection the restart killed shows as a 15 s timeout (hung).
   */
  async function registerAndPromote(runId) {
    const t0 = Date.now();
    // One id for every attempt: a registration whose answer was lost is not registered twice.
    const id = uuidv7();
    for (;;) {
      try {
        const v = await client.models.register({ id, name: modelName, runId, artifactPath: "model/model.json", retryWindowMs: 0 });
        await client.models.promote(modelName, v.version, "prod");
        aliasTarget = v.version;
        return Date.now() - t0;
      } catch (e) {
        const key = e?.status ?? e?.name ?? "error";
        registryStatuses.set(key, (registryStatuses.get(key) ?? 0) + 1);
        if (/timed? ?out/i.test(String(e?.message))) registryHung++;
        if (Date.now() - t0 > 60_000) return Number.POSITIVE_INFINITY;
        await sleep(200);
      }
    }
  }
  try {
    await fetch(`${server.url}/api/v1/projects`, { method: "POST", headers, body: JSON.stringify({ name: project }) }).then((r) => r.text());
    const created = await fetch(`${server.url}/api/v1/projects/${project}/runs`, { method: "POST", headers, body: JSON.stringify({ name: "db-faults" }) });
    const runId = (await created.json()).id;
    // A run with a model file to register versions from (the SDK, as a training script would).
    const modelRun = await init({ url: server.url, apiKey, project, name: "db-faults-model", capture: false, heartbeatIntervalMs: 0 });
    await modelRun.logText("model/model.json", '{"weights":[1,2,3]}');
    await modelRun.finish();
    registryBackMs.push(await registerAndPromote(modelRun.id));
    let step = 0;
    let stop = false;
    // The writer: one small batch (a single new step) every 2 ms, never retried, so each 2xx
    // is a promise the server made and each non-2xx is a write the client knows failed.
    const writer = (async () => {
      const inflight = new Set();
      while (!stop) {
        // At most 200 requests in flight: a client that opens sockets without bound measures
        // its own exhaustion, not the server. A skipped tick is simply not a write.
        if (inflight.size >= 200) {
          await sleep(1000 / writesPerSecond);
          continue;
        }
        const s = step++;
        const p = fetch(`${server.url}/api/v1/runs/${runId}/metrics`, { method: "POST", headers, body: JSON.stringify({ series: [{ key: "loss", steps: [s], values: [valueAt(s)] }] }), signal: AbortSignal.timeout(10_000) })
          .then(async (res) => {
            await res.text();
            if (res.status < 300) {
              status.ok++;
              acked.push(s);
            } else if (res.status === 503) {
              status.unavailable++;
              if (res.headers.get("retry-after")) status.withRetryAfter++;
            } else status.other++;
          })
          .catch(() => status.errors++)
          .finally(() => inflight.delete(p));
        inflight.add(p);
        await sleep(1000 / writesPerSecond);
      }
      await Promise.all(inflight);
    })();
    for (let c = 0; c < cycles; c++) {
      await sleep(upMs);
      say(`cycle ${c + 1}: stopping PostgreSQL (${JSON.stringify(status)})`);
      await pg.stopImmediate();
      await sleep(downMs / 2);
      const r = await fetch(`${server.url}/readyz`).catch(() => undefined);
      await r?.text();
      if (r?.status === 503) readyzDown++;
      await sleep(downMs / 2);
      await pg.start();
      say(`cycle ${c + 1}: PostgreSQL started (${JSON.stringify(status)})`);
      const t0 = Date.now();
      const okAtStart = status.ok;
      // Right after the restart, before anything else has warmed the pools: the registry's
      // transactions must not hang on connections the restart killed.
      const registry = registerAndPromote(modelRun.id).then((ms) => registryBackMs.push(ms));
      const writesBack = (async () => {
        while (status.ok === okAtStart && Date.now() - t0 < 60_000) await sleep(20);
        writesBackMs.push(status.ok > okAtStart ? Date.now() - t0 : Number.POSITIVE_INFINITY);
      })();
      for (;;) {
        const res = await fetch(`${server.url}/readyz`).catch(() => undefined);
        await res?.text();
        if (res?.status === 200) break;
        if (Date.now() - t0 > 60_000) break;
        await sleep(100);
      }
      recoveredMs.push(Date.now() - t0);
      const res = await fetch(`${server.url}/readyz`);
      await res.text();
      if (res.status === 200) readyzUp++;
      await Promise.all([registry, writesBack]);
    }
    await sleep(upMs);
    stop = true;
    say(`stopping the writer (${JSON.stringify(status)})`);
    await writer;
    say("checking what is stored");
    // Everything acknowledged must be stored; nothing may be stored twice.
    const c = await checkRunPoints({ url: server.url, apiKey, runId, expected: step, present: () => false });
    const lostAcked = acked.filter((s) => !c.has(s)).length;
    recoveredMs = recoveredMs.sort((a, b) => a - b);
    const versions = [];
    for await (const v of client.models.iterateVersions(modelName)) versions.push(v.version);
    versions.sort((a, b) => a - b);
    const gapless = versions.every((v, i) => v === i + 1);
    const alias = await client.models.alias(modelName, "prod");
    const slowestWrite = Math.max(...writesBackMs);
    const slowestRegistry = Math.max(...registryBackMs);
    return {
      figures: {
        cycles,
        "writes sent": step,
        "answered 2xx": status.ok,
        "answered 503": status.unavailable,
        "503 with Retry-After": status.withRetryAfter,
        "other status": status.other,
        "connection errors": status.errors,
        "acknowledged but missing": lostAcked,
        duplicates: c.duplicates,
        "recovery after db start ms (max)": recoveredMs.at(-1),
        "first 2xx write after db start ms": writesBackMs.map((m) => round(m, 0)).join(", "),
        "register + promote after db start ms": registryBackMs.slice(1).map((m) => round(m, 0)).join(", "),
        "registry failures on the way": JSON.stringify(Object.fromEntries(registryStatuses)),
        "model versions": versions.length,
      },
      checks: [
        [lostAcked === 0, `writes answered 2xx but missing ${lostAcked} = 0`],
        [c.duplicates === 0, `duplicates ${c.duplicates} = 0`],
        [status.unavailable > 0 && status.withRetryAfter === status.unavailable, `every 503 carries Retry-After (${status.withRetryAfter}/${status.unavailable})`],
        [status.other === 0, `no status but 2xx/503 (${status.other})`],
        [readyzDown === cycles, `/readyz said 503 while the database was down (${readyzDown}/${cycles})`],
        [readyzUp === cycles, `recovered without a restart (${readyzUp}/${cycles}, slowest ${round(recoveredMs.at(-1) ?? 0, 0)} ms)`],
        // Generous bound for a loaded CI machine: the first write after a restart is answered
        // within about 300 ms; a write path stuck on a connection the restart killed held its
        // run's queue for the whole 30 s statement bound before the bulk writer's fix.
        [slowestWrite <= 15_000, `metric writes answered 2xx again within 15 s of every restart (slowest ${round(slowestWrite, 0)} ms)`],
        [slowestRegistry <= 20_000 && registryHung === 0, `model registered and alias moved within 20 s of every restart, no request hung (slowest ${round(slowestRegistry, 0)} ms, hung ${registryHung})`],
        [gapless && versions.length === cycles + 1, `model versions gapless 1..${versions.length} (${cycles + 1} registered)`],
        [alias.version === aliasTarget, `alias prod at the last registered version (${alias.version} = ${aliasTarget})`],
      ],
    };
  } catch (e) {
    // What the server said is the first thing to read when it went away.
    throw new Error(`${e?.message ?? e}\n--- server stderr (tail) ---\n${server.stderr.slice(-3000)}`);
  } finally {
    await server.close();
    await pg.destroy();
  }
}
