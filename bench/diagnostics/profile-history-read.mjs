// Diagnostic: profile the server (--cpu-prof on the child) while it serves full-resolution
// reads of a 100k-point key, and EXPLAIN the SQL.
//   node bench/diagnostics/profile-history-read.mjs [postgres|pglite]
import fs from "node:fs";
import { startChildServer } from "../lib/server.mjs";
import { freshDatabase, client } from "../lib/pg.mjs";
import { summariseProfile } from "../lib/profile.mjs";
import { init } from "@cairn/sdk";
const driver = process.argv[2] ?? "postgres";
const db = driver === "postgres" ? await freshDatabase("postgres://postgres@127.0.0.1:5432/test", "rd") : undefined;
const dir = fs.mkdtempSync("/tmp/rd-");
fs.rmSync("/tmp/prof-rd", { recursive: true, force: true });
const srv = await startChildServer({ dataDir: dir, databaseUrl: db?.url, cpuProfDir: "/tmp/prof-rd" });
const run = await init({ project: "p", url: srv.url, spoolDir: dir + "/spool", heartbeatIntervalMs: 0 });
for (let s = 0; s < 100000; s++) { run.log({ "val/loss": Math.random() }, { step: s }); if (s % 1000 === 999) await new Promise(r => setImmediate(r)); }
await run.finish();
const u = `${srv.url}/api/v1/runs/${run.id}/metrics/val%2Floss?maxPoints=100000`;
for (let i = 0; i < 3; i++) await (await fetch(u)).json();
const t = performance.now();
let bytes = 0;
for (let i = 0; i < 10; i++) { const res = await fetch(u); const txt = await res.text(); bytes = txt.length; JSON.parse(txt); }
console.log("fetch+parse ms/read", (performance.now() - t) / 10, "bytes", bytes);
if (db) {
  const sql = client(db.url);
  const [{ id }] = await sql`select id from metric_series where key = 'val/loss'`;
  const plan = await sql.unsafe(`explain (analyze, buffers) select array_agg(step::float8 order by step) as steps, array_agg(value order by step) as vals, array_agg(ts::float8 order by step) as ts from metric_points where series_id = $1 and step between 0 and 99999`, [id]);
  console.log(plan.map(r => r["QUERY PLAN"]).join("\n"));
  let t2 = performance.now();
  for (let i = 0; i < 5; i++) await sql.unsafe(`select array_agg(step::float8 order by step) as steps, array_agg(value order by step) as vals, array_agg(ts::float8 order by step) as ts from metric_points where series_id = $1 and step between 0 and 99999`, [id]);
  console.log("postgres.js query incl. array parse ms", (performance.now() - t2) / 5);
  t2 = performance.now();
  for (let i = 0; i < 5; i++) await sql.unsafe(`select array_agg(step::float8 order by step)::text as steps, array_agg(value order by step)::text as vals, array_agg(ts::float8 order by step)::text as ts from metric_points where series_id = $1 and step between 0 and 99999`, [id]);
  console.log("same as ::text (no driver array parse) ms", (performance.now() - t2) / 5);
  await sql.end();
}
await srv.close();
const f = fs.readdirSync("/tmp/prof-rd")[0];
const p = summariseProfile("/tmp/prof-rd/" + f, 25);
for (const x of p.byFunction) console.log(String(x.ms).padStart(6), String(x.pct).padStart(5) + "%", x.name);
await db?.drop(); fs.rmSync(dir, { recursive: true });
