// Diagnostic: the full-resolution history query (packages/server/src/metrics/history.service.ts
// readRaw) against alternatives, on 100k points of one series. "current" has an ORDER BY in
// each array_agg, i.e. three sorts that spill to disk at the default work_mem.
//   node bench/diagnostics/history-sql.mjs
import { freshDatabase, client, POINTS_DDL } from "../lib/pg.mjs";
const db = await freshDatabase("postgres://postgres@127.0.0.1:5432/test", "q");
const sql = client(db.url);
await sql.unsafe(POINTS_DDL);
await sql.unsafe(`insert into points select s, g, random(), 1732800000000 + g from generate_series(1, 3) s, generate_series(0, 99999) g`);
const Q = {
  current: `select array_agg(step::float8 order by step) as steps, array_agg(value order by step) as vals, array_agg(ts::float8 order by step) as ts from points where series_id = 2 and step between 0 and 99999`,
  subquery: `select array_agg(step::float8) as steps, array_agg(value) as vals, array_agg(ts::float8) as ts from (select step, value, ts from points where series_id = 2 and step between 0 and 99999 order by step) t`,
  subqueryText: `select array_agg(step::float8)::text as steps, array_agg(value)::text as vals, array_agg(ts::float8)::text as ts from (select step, value, ts from points where series_id = 2 and step between 0 and 99999 order by step) t`,
  jsonText: `select json_build_object('steps', json_agg(step), 'values', json_agg(value), 'timestamps', json_agg(ts))::text as body from (select step, value, ts from points where series_id = 2 and step between 0 and 99999 order by step) t`,
};
for (const analyzed of [false, true]) {
  if (analyzed) await sql`analyze points`;
  for (const [name, q] of Object.entries(Q)) {
    const plan = await sql.unsafe("explain (analyze, buffers) " + q);
    const exec = plan.map((r) => r["QUERY PLAN"]).find((l) => l.startsWith("Execution Time"));
    const temp = plan.map((r) => r["QUERY PLAN"]).filter((l) => l.includes("temp")).length > 0;
    for (let i = 0; i < 2; i++) await sql.unsafe(q);
    const t = performance.now();
    let out;
    for (let i = 0; i < 5; i++) out = await sql.unsafe(q);
    let ms = (performance.now() - t) / 5;
    let t2 = performance.now();
    if (name === "jsonText") JSON.parse(out[0].body);
    else if (name === "subqueryText") { for (const k of ["steps", "vals", "ts"]) out[0][k].slice(1, -1).split(",").map(Number); }
    const conv = performance.now() - t2;
    console.log(analyzed ? "analyzed  " : "unanalyzed", name.padEnd(13), exec, temp ? "(temp spill)" : "", "| client total", ms.toFixed(1), "ms (+", conv.toFixed(1), "ms to numbers)");
  }
}
await sql.end(); await db.drop();
