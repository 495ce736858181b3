// Figure 1: ingestion. SDK → HTTP → server → database end to end, against the raw COPY
// rate of the same points into a table shaped like metric_points, and a naive
// one-INSERT-per-point baseline. Every measurement gets a fresh database.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { init } from "@cairn/sdk";
import { client, copyChunks, freshDatabase, POINTS_DDL } from "./lib/pg.mjs";
import { copyTextChunks, keyNames, valueTable } from "./lib/data.mjs";
import { api, BENCH_API_KEY, startChildServer, startInProcessServer } from "./lib/server.mjs";
import { now, round, yieldNow } from "./lib/stats.mjs";
import { cpuMeter } from "./lib/cpu.mjs";

export const tmpDir = (tag) => fs.mkdtempSync(path.join(os.tmpdir(), `cairn-bench-${tag}-`));
export const rmDir = (d) => fs.rmSync(d, { recursive: true, force: true });

const rate = (n, ms) => Math.round((n / ms) * 1000);

// ---------------------------------------------------------------- raw COPY

/** Raw COPY into a fresh PostgreSQL database: one COPY statement streaming every row, and one COPY per 10k-row chunk. */
export async function rawCopyPostgres({ baseUrl, keys, steps }) {
  const chunks = copyTextChunks({ keys, steps, chunkRows: 10_000 });
  const n = keys * steps;
  const out = {};
  for (const variant of ["oneStatement", "perChunk"]) {
    const db = await freshDatabase(baseUrl, "copy");
    const sql = client(db.url, { copy: true });
    try {
      await sql.unsafe(POINTS_DDL);
      const t = now();
      if (variant === "oneStatement") await copyChunks(sql, "points", chunks);
      else for (const c of chunks) await copyChunks(sql, "points", [c]);
      const ms = now() - t;
      const [{ count }] = await sql`select count(*)::int as count from points`;
      if (count !== n) throw new Error(`COPY stored ${count} rows, expected ${n}`);
      out[variant] = { points: n, ms: round(ms), pointsPerSec: rate(n, ms) };
    } finally {
      await sql.end({ timeout: 5 });
      await db.drop();
    }
  }
  return out;
}

/** Raw COPY into a fresh on-disk PGlite via '/dev/blob' (COPY FROM STDIN hangs PGlite). */
export async function rawCopyPglite({ keys, steps }) {
  const chunks = copyTextChunks({ keys, steps, chunkRows: 10_000 });
  const n = keys * steps;
  const out = {};
  for (const variant of ["oneStatement", "perChunk"]) {
    const dir = tmpDir("pglite-copy");
    const pg = await PGlite.create({ dataDir: dir });
    try {
      await pg.exec(POINTS_DDL);
      const blobs = variant === "oneStatement" ? [new Blob(chunks)] : chunks.map((c) => new Blob([c]));
      const t = now();
      for (const blob of blobs) await pg.query("copy points (series_id, step, value, ts) from '/dev/blob'", [], { blob });
      const ms = now() - t;
      const { rows } = await pg.query("select count(*)::int as count from points");
      if (rows[0].count !== n) throw new Error(`PGlite COPY stored ${rows[0].count} rows, expected ${n}`);
      out[variant] = { points: n, ms: round(ms), pointsPerSec: rate(n, ms) };
    } finally {
      await pg.close();
      rmDir(dir);
    }
  }
  return out;
}

// ---------------------------------------------------------------- naive baseline

/** One autocommitted INSERT per point, awaited one after another (what a naive server does). */
export async function naivePostgres({ baseUrl, points, maxMs = Infinity }) {
  const db = await freshDatabase(baseUrl, "naive");
  const sql = client(db.url);
  try {
    await sql.unsafe(POINTS_DDL);
    const values = valueTable(points);
    const t0 = Date.now();
    const t = now();
    let i = 0;
    for (; i < points; i++) {
      await sql`insert into points (series_id, step, value, ts) values (${(i % 100) + 1}, ${Math.floor(i / 100)}, ${values[i]}, ${t0 + i})`;
      if ((i & 255) === 255 && now() - t > maxMs) break; // a sample is enough: the rate is flat
    }
    const ms = now() - t;
    const n = Math.min(i + 1, points);
    return { points: n, ms: round(ms), pointsPerSec: rate(n, ms) };
  } finally {
    await sql.end({ timeout: 5 });
    await db.drop();
  }
}

export async function naivePglite({ points, maxMs = Infinity }) {
  const dir = tmpDir("pglite-naive");
  const pg = await PGlite.create({ dataDir: dir });
  try {
    await pg.exec(POINTS_DDL);
    const values = valueTable(points);
    const t0 = Date.now();
    const t = now();
    let i = 0;
    for (; i < points; i++) {
      await pg.query("insert into points (series_id, step, value, ts) values ($1, $2, $3, $4)", [(i % 100) + 1, Math.floor(i / 100), values[i], t0 + i]);
      if ((i & 255) === 255 && now() - t > maxMs) break;
    }
    const ms = now() - t;
    const n = Math.min(i + 1, points);
    return { points: n, ms: round(ms), pointsPerSec: rate(n, ms) };
  } finally {
    await pg.close();
    rmDir(dir);
  }
}

// ---------------------------------------------------------------- end to end

/**
 * Logs keys × steps points through the SDK, the way a training loop does: one
 * `run.log({ ...all keys }, { step })` per step, yielding to the event loop every
 * `yieldEvery` steps (a real loop awaits its framework). The clock runs from the first
 * `run.log` to `await run.finish()` resolved, i.e. until the server has acknowledged
 * every point (each request commits before it answers).
 */
export async function logThroughSdk({ url, keys, steps, spoolDir, yieldEvery = 1, sdkOptions = {}, project = "bench", name = "e2e" }) {
  const names = keyNames(keys);
  const values = valueTable(steps);
  const run = await init({ project, name, url, spoolDir, heartbeatIntervalMs: 0, ...sdkOptions });
  const t = now();
  let logMs = 0;
  for (let s = 0; s < steps; s++) {
    const t1 = now();
    const m = {};
    const v = values[s];
    for (let k = 0; k < keys; k++) m[names[k]] = v + k * 1e-3;
    run.log(m, { step: s });
    logMs += now() - t1;
    if (s % yieldEvery === yieldEvery - 1) await yieldNow();
  }
  const loopMs = now() - t;
  await run.finish();
  const ms = now() - t;
  return { run, ms, loopMs, logMs, stats: run.stats() };
}

/**
 * What the audit log holds after a run (not timed): the chain's event count and whether it
 * verifies (`GET /api/v1/audit/verify`), and the events by action (`GET /api/v1/audit/export`).
 * Shows whether audit was on during the run (one event per metrics request) or off.
 */
export async function auditSummary(url) {
  const out = {};
  try {
    const v = await api(url, "GET", "/api/v1/audit/verify");
    out.events = v.checked;
    out.chainOk = v.ok;
    if (v.firstBroken) out.firstBroken = v.firstBroken;
  } catch (e) {
    out.error = String(e.message).slice(0, 200);
    return out;
  }
  try {
    const res = await fetch(`${url}/api/v1/audit/export`, { headers: { authorization: `Bearer ${BENCH_API_KEY}` } });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`GET /api/v1/audit/export → ${res.status}: ${text.slice(0, 200)}`);
    const byAction = {};
    for (const line of text.split("\n")) {
      if (!line.trim()) continue;
      const a = JSON.parse(line).action;
      byAction[a] = (byAction[a] ?? 0) + 1;
    }
    out.byAction = byAction;
  } catch (e) {
    out.exportError = String(e.message).slice(0, 200);
  }
  return out;
}

/**
 * End-to-end ingestion into a fresh database through a server (child process or in process).
 * `env` is added to the child server's environment (e.g. CAIRN_AUTH=off for the baseline).
 */
export async function endToEnd({ driver, baseUrl, keys, steps, mode = "child", cpuProfDir, env, after }) {
  const dataDir = tmpDir(`e2e-${driver}`);
  const db = driver === "postgres" ? await freshDatabase(baseUrl, "e2e") : undefined;
  let srv;
  try {
    const tStart = now();
    srv =
      mode === "child"
        ? await startChildServer({ dataDir, databaseUrl: db?.url, cpuProfDir, env })
        : await startInProcessServer({ dataDir, databaseUrl: db?.url });
    const startMs = now() - tStart;
    const n = keys * steps;
    const meter = cpuMeter({ serverPid: srv.pid, dbName: db?.name });
    const r = await logThroughSdk({ url: srv.url, keys, steps, spoolDir: path.join(dataDir, "spool"), sdkOptions: { flushDeadlineMs: 600_000 } });
    const cpu = meter.stop();
    // Verify: every point stored exactly once, nothing spooled or dropped.
    const list = await api(srv.url, "GET", `/api/v1/runs/${r.run.id}/metrics`);
    const stored = list.metrics.reduce((a, m) => a + m.count, 0);
    if (stored !== n || r.stats.sent !== n) {
      throw new Error(`e2e ${driver}: stored ${stored}, sent ${r.stats.sent}, expected ${n} (stats ${JSON.stringify(r.stats)})`);
    }
    const res = {
      mode,
      points: n,
      ms: round(r.ms),
      pointsPerSec: rate(n, r.ms),
      logLoopMs: round(r.loopMs),
      serverStartMs: round(startMs),
      cpu,
      cpuUsPerPoint: Object.fromEntries(Object.entries(cpu).filter(([k]) => k.endsWith("Ms") && k !== "wallMs").map(([k, v]) => [k.replace(/Ms$/, ""), round((v * 1000) / n, 2)])),
      stats: r.stats,
      ...(env ? { serverEnv: env } : {}),
      audit: await auditSummary(srv.url),
    };
    if (after) res.after = await after(srv);
    return res;
  } finally {
    await srv?.close();
    await db?.drop();
    rmDir(dataDir);
  }
}
