// Diagnostic: a run page's worth of history reads (50 keys × 100,000 steps, 1,000 points each)
// served as 50 single-key reads (one after another, and all at once as a browser would send
// them) against one batch read (POST /api/v1/metrics/histories), on a server child (PGlite by
// default). Prints medians and the ratio to the single-key baseline measured in the same run,
// and checks that the batch answers exactly what the single-key reads answer.
//   node bench/diagnostics/history-batch.mjs [--keys=50] [--steps=100000] [--reps=7] [--pg-url=postgres://…] [--cpu-prof]
import fs from "node:fs";
import { rmDir, tmpDir } from "../ingest.mjs";
import { freshDatabase } from "../lib/pg.mjs";
import { api, BENCH_API_KEY, startChildServer } from "../lib/server.mjs";
import { median, round } from "../lib/stats.mjs";

const opt = (name, dflt) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? dflt;
const keys = Array.from({ length: Number(opt("keys", 50)) }, (_, k) => `metric_${String(k).padStart(2, "0")}`);
const steps = Number(opt("steps", 100_000));
const reps = Number(opt("reps", 7));
const pgUrl = opt("pg-url", undefined);
const db = pgUrl ? await freshDatabase(pgUrl, "hb") : undefined;
const dataDir = tmpDir("history-batch");
const profDir = process.argv.includes("--cpu-prof") ? "/tmp/history-batch-prof" : undefined;
const srv = await startChildServer({ dataDir, databaseUrl: db?.url, cpuProfDir: profDir, timeoutMs: 180_000 });
const auth = { authorization: `Bearer ${BENCH_API_KEY}` };
try {
  const project = `hb-${Date.now().toString(36)}`;
  await api(srv.url, "POST", "/api/v1/projects", { name: project });
  const run = await api(srv.url, "POST", `/api/v1/projects/${project}/runs`, { name: "r" });
  const perBatch = Math.max(1, Math.floor(10_000 / keys.length));
  for (let from = 0; from < steps; from += perBatch) {
    const s = Array.from({ length: Math.min(perBatch, steps - from) }, (_, i) => from + i);
    await api(srv.url, "POST", `/api/v1/runs/${run.id}/metrics`, { series: keys.map((key, k) => ({ key, steps: s, values: s.map((x) => Math.exp(-x / (20_000 + 1000 * k)) + 0.05 * Math.sin(x / (50 + k))) })) });
  }
  const one = async (key) => {
    const res = await fetch(`${srv.url}/api/v1/runs/${run.id}/metrics/${key}?maxPoints=1000`, { headers: auth });
    const text = await res.text();
    if (res.status !== 200) throw new Error(text);
    return text;
  };
  const batch = async () => {
    const res = await fetch(`${srv.url}/api/v1/metrics/histories`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ maxPoints: 1000, series: keys.map((key) => ({ runId: run.id, key })) }) });
    const text = await res.text();
    if (res.status !== 200) throw new Error(text);
    return text;
  };
  const timed = async (f) => {
    const t = performance.now();
    const r = await f();
    return [performance.now() - t, r];
  };
  const sequential = [];
  const parallel = [];
  const batched = [];
  let bytes = 0;
  for (let i = 0; i < reps; i++) {
    // Interleaved, so load from other work falls on all three alike.
    sequential.push((await timed(async () => { for (const k of keys) await one(k); }))[0]);
    parallel.push((await timed(() => Promise.all(keys.map(one))))[0]);
    const [ms, text] = await timed(batch);
    batched.push(ms);
    bytes = text.length;
  }
  const singles = await Promise.all(keys.map(async (k) => JSON.parse(await one(k))));
  const same = JSON.stringify(JSON.parse(await batch()).histories) === JSON.stringify(singles);
  const m = { sequential: median(sequential), parallel: median(parallel), batch: median(batched) };
  console.log(JSON.stringify({ driver: db ? "postgres" : "pglite", keys: keys.length, steps, reps, medianMs: { sequential: round(m.sequential), parallel: round(m.parallel), batch: round(m.batch) }, batchBytes: bytes, sameAnswers: same, load: fs.readFileSync("/proc/loadavg", "utf8").trim() }, null, 1));
  console.log(`${keys.length} keys × ${steps.toLocaleString("en-US")} steps → 1,000 points each: one batch ${round(m.batch)} ms vs ${keys.length} single reads ${round(m.sequential)} ms in turn (${round(m.sequential / m.batch)}×) / ${round(m.parallel)} ms at once (${round(m.parallel / m.batch)}×); same answers: ${same}`);
  if (!same) process.exitCode = 1;
} finally {
  await srv.close();
  rmDir(dataDir);
  await db?.drop?.();
}
