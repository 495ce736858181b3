#!/usr/bin/env node
// Cairn's reliability suite: `npm run test:reliability` (short form, also run by .ci/run) or
//   node reliability/run.mjs [--long] [--only=outage,lost-acks] [--driver=pglite|postgres|both] [--pg-url=URL]
// Each scenario starts real server processes on loopback, drives the real SDK in child
// processes, injects a fault, prints its figures and asserts them. Exit code 1 if any check fails.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { api, BENCH_API_KEY, startChildServer } from "../bench/lib/server.mjs";
import { DEFAULT_PG_URL, freshDatabase } from "../bench/lib/pg.mjs";
import * as boundedExit from "./scenarios/bounded-exit.mjs";
import * as boundedMemory from "./scenarios/bounded-memory.mjs";
import * as clientCrash from "./scenarios/client-crash.mjs";
import * as concurrency from "./scenarios/concurrency.mjs";
import * as databaseFaults from "./scenarios/database-faults.mjs";
import * as load from "./scenarios/load.mjs";
import * as lostAcks from "./scenarios/lost-acks.mjs";
import * as outage from "./scenarios/outage.mjs";

const SCENARIOS = [outage, lostAcks, clientCrash, boundedExit, boundedMemory, databaseFaults, concurrency, load];

const argv = process.argv.slice(2);
const opt = (name, dflt) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt;
const long = argv.includes("--long");
const only = opt("only", "")
  .split(",")
  .filter(Boolean);
const driverOpt = opt("driver", process.env.CAIRN_TEST_DATABASE_URL ? "both" : "pglite");
const drivers = driverOpt === "both" ? ["pglite", "postgres"] : [driverOpt];
const pgUrl = opt("pg-url", process.env.CAIRN_TEST_DATABASE_URL ?? DEFAULT_PG_URL);

const unknown = only.filter((n) => !SCENARIOS.some((s) => s.name === n));
if (unknown.length) {
  console.error(`unknown scenario(s): ${unknown.join(", ")}; known: ${SCENARIOS.map((s) => s.name).join(", ")}`);
  process.exit(2);
}

/**
 * A server factory for one scenario: every call starts a server process on the same storage
 * (the same PGlite directory or PostgreSQL database), so a restart finds what was written.
 */
async function storageFor(driver, tag) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `cairn-rel-${tag}-`));
  const db = driver === "postgres" ? await freshDatabase(pgUrl, `rel_${tag.replace(/\W/g, "_")}`) : undefined;
  return {
    dataDir,
    databaseUrl: db?.url,
    startServer: (env = {}) => startChildServer({ dataDir, databaseUrl: db?.url, timeoutMs: 180_000, env: { CAIRN_LOG_LEVEL: "error", ...env } }),
    async cleanup() {
      await db?.drop();
      fs.rmSync(dataDir, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}

let failed = 0;
const started = Date.now();
console.log(`Cairn reliability suite (${long ? "long" : "short"} form; drivers: ${drivers.join(", ")})\n`);
const selected = SCENARIOS.filter((s) => only.length === 0 || only.includes(s.name));
// A scenario with storage of its own (a private PostgreSQL) runs once, not once per driver.
const plan = selected.flatMap((s) => (s.ownStorage ? [[s, "own"]] : drivers.map((d) => [s, d])));
for (const [scenario, driver] of plan) {
  const label = `${scenario.name} [${driver}]`;
  console.log(`▶ ${label}: ${scenario.title}`);
  const storage = await storageFor(driver === "own" ? "pglite" : driver, scenario.name);
  const t0 = Date.now();
  try {
    const project = `rel-${scenario.name}-${Date.now().toString(36)}`;
    if (!scenario.ownStorage) {
      // The project exists before the fault starts: a scenario is about what happens after.
      const boot = await storage.startServer();
      await api(boot.url, "POST", "/api/v1/projects", { name: project });
      await boot.close();
    }
    const result = await scenario.run({ long, driver, project, apiKey: BENCH_API_KEY, ...storage });
    if (result.skipped) console.log(`  – skipped: ${result.skipped}`);
    for (const [k, v] of Object.entries(result.figures ?? {})) console.log(`    ${k.padEnd(34)} ${v}`);
    for (const [ok, text] of result.checks ?? []) {
      console.log(`  ${ok ? "✓" : "✗"} ${text}`);
      if (!ok) failed++;
    }
  } catch (e) {
    failed++;
    console.log(`  ✗ ${label} crashed: ${e?.stack ?? e}`);
  } finally {
    await storage.cleanup();
  }
  console.log(`  (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
}
console.log(`${failed === 0 ? "all checks passed" : `${failed} check(s) failed`} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
process.exit(failed === 0 ? 0 : 1);
