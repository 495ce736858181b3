import os from "node:os"; import fs from "node:fs"; import path from "node:path";
import { startChildServer, api } from "/work/main/bench/lib/server.mjs";
import { freshDatabase } from "/work/main/bench/lib/pg.mjs";
import { init } from "@cairn/sdk";
const driver = process.argv[2];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cb-"));
let db;
if (driver === "postgres") db = await freshDatabase("postgres://postgres@127.0.0.1:5432/test", "smoke");
let t = performance.now();
const srv = await startChildServer({ dataDir: tmp, databaseUrl: db?.url });
console.log("start", performance.now() - t);
const run = await init({ project: "smoke", name: "r", url: srv.url, spoolDir: path.join(tmp, "spool") });
const steps = Number(process.argv[3] ?? 1000);
t = performance.now();
for (let s = 0; s < steps; s++) {
  const m = {}; for (let k = 0; k < 100; k++) m["metric_" + String(k).padStart(2, "0")] = Math.random();
  run.log(m, { step: s });
  if (s % 10 === 9) await new Promise(r => setImmediate(r));
}
const tl = performance.now() - t;
await run.finish();
const dt = performance.now() - t;
console.log({ tl, dt, rate: steps * 100 / dt * 1000, stats: run.stats() });
const ms = await api(srv.url, "GET", `/api/v1/runs/${run.id}/metrics`);
console.log(ms.metrics.length, ms.metrics.reduce((a, m) => a + m.count, 0));
await srv.close(); await db?.drop();
