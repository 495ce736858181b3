#!/usr/bin/env node
// Monitoring query speed (issue 6): the 30-day report of a model over 10,000,000 predictions
// (10 numerical + 2 categorical features, 20% labelled) answers in ≤ 300 ms on PostgreSQL,
// hourly (720 windows) and daily (30 windows), read over HTTP from a server in a child process.
//
// The data: the predictions are generated hour by hour and turned into the hourly window
// aggregates by core's `aggregatePredictions` (the function the ingestion runs on every batch)
// against the model version's real training reference, with their labels' aggregates merged in,
// and stored as compaction leaves them (one prediction_windows row per hour; the last two hours
// as uncompacted parts). The predictions table itself is not filled: the report never reads it.
//
// With --via=http every prediction and label goes through POST …/predictions and …/labels
// instead (slower to set up: ~10 minutes for 10M on 2 busy cores), and the server compacts them.
//
//   node bench/monitoring.mjs [--predictions=N] [--days=N] [--reps=N] [--via=aggregates|http] [--pg-url=URL] [--json]
//   (needs packages/core and packages/server built; run.mjs runs it)
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { client, DEFAULT_PG_URL, freshDatabase } from "./lib/pg.mjs";
import { api, BENCH_API_KEY, startChildServer } from "./lib/server.mjs";
import { median, round } from "./lib/stats.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");

export const MONITORING_TARGETS = { reportMs: 300 };
const HOUR = 3_600_000;
const NUMERICAL = 10;
const CATEGORIES = ["a", "b", "c", "d", "e", "f"];
const CHANNELS = ["web", "app", "pos"];

function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** One record: 10 numerical features of mixed shapes, 2 categorical; `shift` moves f0 and f1 (drift in the last days). */
function record(rand, shift = 0) {
  const normal = () => Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
  const features = {};
  for (let c = 0; c < NUMERICAL; c++) {
    const u = rand();
    const v = c % 3 === 0 ? normal() * 10 + 50 : c % 3 === 1 ? -Math.log(1 - u) * 3 : Math.round(u * 1e5) / 100;
    features[`f${c}`] = c < 2 ? v + shift : v;
  }
  features.segment = CATEGORIES[Math.floor(rand() ** 1.5 * CATEGORIES.length)];
  features.channel = CHANNELS[Math.floor(rand() * CHANNELS.length)];
  return features;
}

const truthOf = (f) => (f.f0 + f.f2 / 10 > 60 ? "1" : "0");

async function setUpModel(url, core) {
  const project = `monitoring-${Date.now().toString(36)}`;
  await api(url, "POST", "/api/v1/projects", { name: project });
  const rand = rng(1);
  const profiler = new core.DatasetProfiler();
  const records = Array.from({ length: 50_000 }, () => {
    const f = record(rand);
    return { ...f, label: truthOf(f) };
  });
  profiler.addRecords(records);
  const { schema, profile } = profiler.finish();
  const digest = `sha256:${"ab".repeat(32)}`;
  const dv = await api(url, "POST", `/api/v1/projects/${project}/datasets/train/versions`, { digest, rowCount: records.length, schema, profile });
  const run = await api(url, "POST", `/api/v1/projects/${project}/runs`, { name: "train" });
  await api(url, "POST", `/api/v1/runs/${run.id}/inputs`, { datasetVersionId: dv.id, role: "train" });
  const put = await fetch(`${url}/api/v1/runs/${run.id}/artifacts/model.bin`, { method: "PUT", headers: { authorization: `Bearer ${BENCH_API_KEY}`, "content-type": "application/octet-stream" }, body: "weights" });
  await put.text();
  const version = await api(url, "POST", `/api/v1/projects/${project}/models/fraud/versions`, { runId: run.id, artifactPath: "model.bin", labelColumn: "label" });
  return { project, version, reference: core.compileReference({ profile, signature: version.signature }) };
}

/** Every hour's aggregate (predictions + their labels), written as compaction leaves them. */
async function storeAggregates(sql, core, { versionId, reference, predictions, hours, end }) {
  const perHour = Math.floor(predictions / hours);
  let stored = 0;
  let aggregateMs = 0;
  const pending = [];
  const flush = async () => {
    if (!pending.length) return;
    const windows = pending.filter((p) => !p.part);
    const parts = pending.filter((p) => p.part);
    if (windows.length)
      await sql`insert into prediction_windows ${sql(windows.map((w) => ({ model_version_id: versionId, window_start: w.start, aggregate: w.aggregate, through_part: 0 })))}`;
    if (parts.length) await sql`insert into prediction_window_parts ${sql(parts.map((w) => ({ model_version_id: versionId, window_start: w.start, aggregate: w.aggregate })))}`;
    pending.length = 0;
  };
  for (let h = 0; h < hours; h++) {
    const start = end - (hours - h) * HOUR;
    const n = h === hours - 1 ? predictions - stored : perHour;
    const rand = rng(1000 + h);
    // The last two days drift on f0 and f1.
    const shift = h >= hours - 48 ? 15 : 0;
    const rows = new Array(n);
    const labels = [];
    for (let i = 0; i < n; i++) {
      const features = record(rand, shift);
      const output = rand() < 0.85 ? truthOf(features) : truthOf(features) === "1" ? "0" : "1";
      rows[i] = { features, output, score: rand(), latencyMs: 3 + -Math.log(1 - rand()) * 8 };
      if (i % 5 === 0) labels.push({ label: truthOf(features), output });
    }
    const t = performance.now();
    const agg = core.mergeWindowAggregates(core.aggregatePredictions(rows, reference), core.aggregateLabels(labels));
    aggregateMs += performance.now() - t;
    stored += n;
    pending.push({ start: new Date(start), aggregate: agg, part: h >= hours - 2 });
    if (pending.length >= 24) await flush();
  }
  await flush();
  return { stored, aggregateMs };
}

/** A UUIDv7 with this millisecond time and a counter: the ingestion places a prediction by its id's time. */
function idAt(ms, n) {
  const hex = ms.toString(16).padStart(12, "0");
  const r = n.toString(16).padStart(15, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${r.slice(0, 3)}-8${r.slice(3, 6)}-${r.slice(6, 15)}000`;
}

/**
 * The honest path: every prediction and label POSTed through the ingestion routes in batches of
 * 10,000 (time-ordered, as a serving process sends them), then compaction run to the end.
 */
async function ingestOverHttp(url, sql, { project, predictions, hours, end, log }) {
  const perHour = Math.floor(predictions / hours);
  let sent = 0;
  let n = 0;
  const post = async (route, body) => api(url, "POST", `/api/v1/projects/${project}/${route}`, body);
  const t = performance.now();
  for (let h = 0; h < hours; h++) {
    const start = end - (hours - h) * HOUR;
    const count = h === hours - 1 ? predictions - sent : perHour;
    const rand = rng(1000 + h);
    const shift = h >= hours - 48 ? 15 : 0;
    for (let i = 0; i < count; i += 10_000) {
      const batch = [];
      const labels = [];
      for (let k = i; k < Math.min(count, i + 10_000); k++) {
        const features = record(rand, shift);
        const output = rand() < 0.85 ? truthOf(features) : truthOf(features) === "1" ? "0" : "1";
        const id = idAt(start + Math.floor((k / count) * (HOUR - 1)), n++);
        batch.push({ id, model: "fraud", version: 1, features, output, score: rand(), latencyMs: 3 + -Math.log(1 - rand()) * 8 });
        if (k % 5 === 0) labels.push({ predictionId: id, label: truthOf(features) });
      }
      await post("predictions", { predictions: batch });
      await post("labels", { labels });
      sent += batch.length;
    }
    if (h % 72 === 71) log(`  ${sent.toLocaleString("en-US")} predictions sent (${Math.round(sent / ((performance.now() - t) / 1000)).toLocaleString("en-US")}/s)`);
  }
  const ingestMs = performance.now() - t;
  // The server compacts on its maintenance timer (every second here): wait until it is done.
  for (;;) {
    const [{ parts }] = await sql`select count(*)::int as parts from prediction_window_parts`;
    if (parts === 0) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return { stored: sent, ingestMs, compactMs: performance.now() - t - ingestMs };
}

async function timeReport(url, query, reps) {
  const p = `/api/v1/projects/${query.project}/models/fraud/monitoring?from=${query.from}&to=${query.to}&window=${query.window}`;
  const once = async () => {
    const t = performance.now();
    const body = await api(url, "GET", p);
    return { ms: performance.now() - t, body };
  };
  const cold = await once();
  const samples = [];
  for (let i = 0; i < reps; i++) samples.push((await once()).ms);
  const windows = cold.body.windows;
  return {
    window: query.window,
    windows: windows.length,
    predictions: windows.reduce((s, w) => s + w.count, 0),
    driftedWindows: windows.filter((w) => w.drift.drifted).length,
    coldMs: round(cold.ms, 1),
    medianMs: round(median(samples), 1),
    pass: median(samples) <= MONITORING_TARGETS.reportMs,
  };
}

/**
 * The first report after a server start (what an operator sees after a deploy): the server
 * is restarted on the same database and its very first request is this report, timed from
 * the moment the server answers /readyz; then the same request again.
 */
async function firstAfterStart({ server, db, dataDir, cpuProfDir, path: p }) {
  await server.close();
  const next = await startChildServer({ dataDir, databaseUrl: db.url, ...(cpuProfDir ? { cpuProfDir } : {}) });
  const time = async () => {
    const t = performance.now();
    await api(next.url, "GET", p);
    return round(performance.now() - t, 1);
  };
  const firstMs = await time();
  const secondMs = await time();
  return { server: next, figures: { firstMs, secondMs } };
}

export async function monitoringBenchmark({ predictions = 10_000_000, days = 30, reps = 7, pgUrl = DEFAULT_PG_URL, cpuProfDir, keep = false, via = "aggregates", log = () => {} } = {}) {
  const core = await import(pathToFileURL(path.join(root, "packages/core/dist/index.js")).href);
  const db = await freshDatabase(pgUrl, "monitoring");
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-bench-monitoring-"));
  let server = await startChildServer({ dataDir, databaseUrl: db.url, ...(cpuProfDir ? { cpuProfDir } : {}), env: { CAIRN_PREDICTION_MAINTENANCE_SECONDS: "1" } });
  const sql = client(db.url, { max: 2 });
  try {
    const { project, version, reference } = await setUpModel(server.url, core);
    const end = Math.floor(Date.now() / HOUR) * HOUR;
    const hours = days * 24;
    const t = performance.now();
    let stored;
    if (via === "http") {
      const r = await ingestOverHttp(server.url, sql, { project, predictions, hours, end, log });
      stored = r.stored;
      log(`sent ${stored.toLocaleString("en-US")} predictions and their labels over HTTP in ${round(r.ingestMs / 1000, 1)} s, compacted in ${round(r.compactMs / 1000, 1)} s more`);
    } else {
      const r = await storeAggregates(sql, core, { versionId: version.id, reference, predictions, hours, end });
      stored = r.stored;
      log(`stored ${stored.toLocaleString("en-US")} predictions as ${hours} hourly aggregates in ${round((performance.now() - t) / 1000, 1)} s (aggregation ${round(r.aggregateMs / 1000, 1)} s)`);
    }
    const [size] = await sql`select avg(pg_column_size(aggregate))::int as stored, avg(pg_column_size(aggregate - 'profile'))::int as without_profile from prediction_windows`;
    // Warm the server's code paths (JIT, lazily loaded modules) on an earlier, empty range of the same model,
    // so the first timed request measures reading uncached windows, not a process start.
    await api(server.url, "GET", `/api/v1/projects/${project}/models/fraud/monitoring?from=${new Date(end - (hours + 48) * HOUR).toISOString()}&to=${new Date(end - hours * HOUR).toISOString()}`);
    const from = new Date(end - hours * HOUR).toISOString();
    const to = new Date(end).toISOString();
    const hourly = await timeReport(server.url, { project, from, to, window: "1h" }, reps);
    const daily = await timeReport(server.url, { project, from, to, window: "1d" }, reps);
    const afterStart = await firstAfterStart({ server, db, dataDir, cpuProfDir, path: `/api/v1/projects/${project}/models/fraud/monitoring?from=${from}&to=${to}&window=1h` });
    server = afterStart.server;
    return {
      data:
        via === "http"
          ? "predictions and labels POSTed through the ingestion routes in batches of 10,000, then compacted by the server"
          : "generated predictions aggregated by core.aggregatePredictions and stored as compacted hourly windows (the predictions table is not read by the report)",
      predictions: stored,
      days,
      features: { numerical: NUMERICAL, categorical: 2 },
      aggregateBytes: { stored: size.stored, withoutProfile: size.without_profile },
      hourly,
      daily,
      firstAfterStart: afterStart.figures,
      targets: MONITORING_TARGETS,
      pass: hourly.pass && daily.pass,
    };
  } finally {
    await sql.end({ timeout: 5 });
    await server.close();
    if (keep) log(`kept ${db.url}`);
    else await db.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const opt = (name, dflt) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt;
  const json = process.argv.includes("--json");
  const r = await monitoringBenchmark({
    predictions: Number(opt("predictions", 10_000_000)),
    days: Number(opt("days", 30)),
    reps: Number(opt("reps", 7)),
    pgUrl: opt("pg-url", DEFAULT_PG_URL),
    cpuProfDir: opt("cpu-prof-dir", undefined),
    keep: process.argv.includes("--keep"),
    via: opt("via", "aggregates"),
    log: json ? () => {} : (m) => console.error(m),
  });
  if (json) console.log(JSON.stringify(r));
  else {
    for (const k of ["hourly", "daily"]) {
      const x = r[k];
      console.log(`${r.days}-day report, ${x.window} windows (${x.windows}), ${x.predictions.toLocaleString("en-US")} predictions: median ${x.medianMs} ms (first request of the view: ${x.coldMs} ms) ${x.pass ? "PASS" : "MISS"} (target ≤ ${r.targets.reportMs} ms)`);
    }
    console.log(`first report (hourly) after a server start: ${r.firstAfterStart.firstMs} ms, then ${r.firstAfterStart.secondMs} ms`);
    console.log(`stored aggregate per hour: ${r.aggregateBytes.stored} bytes (${r.aggregateBytes.withoutProfile} without the profile); ${r.data}`);
  }
}
