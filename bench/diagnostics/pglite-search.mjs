// Diagnostic: the run-search query and the summaries query on PGlite (10k runs × 20
// metrics), before and after ANALYZE (PGlite runs no autovacuum), plus a one-row-per-run
// JSON variant of loadSummaries (packages/server/src/runs/run-rows.ts).
//   node bench/diagnostics/pglite-search.mjs
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { uuidv7 } from "@cairn/core";
const pg = await PGlite.create({ dataDir: fs.mkdtempSync(path.join(os.tmpdir(), "pgl-")) });
for (const s of fs.readFileSync("packages/server/drizzle/0000_init.sql", "utf8").split("--> statement-breakpoint")) await pg.exec(s);
const { rows: [p] } = await pg.query(`insert into projects (id, name) values (gen_random_uuid(), 'p') returning id`);
const ids = Array.from({ length: 10000 }, (_, i) => uuidv7(Date.now() - 1e7 + i * 1000));
await pg.query(`insert into runs (id, project_id, name, status, params) select u.id, $1::uuid, 'r' || i, 'finished', jsonb_build_object('optimizer', (array['adam','sgd','rmsprop','adamw'])[1 + (i % 4)], 'lr', 0.001, 'batch_size', (array[32,64,128,256])[1 + ((i/4) % 4)]) from unnest($2::uuid[]) with ordinality u(id, i)`, [p.id, `{${ids.join(",")}}`]);
await pg.query(`insert into metric_series (run_id, key, count, last, min, max, last_step, last_ts) select r.id, 'metric_' || lpad(k::text, 2, '0'), 100, (hashtext(r.id::text || k::text) & 1048575) / 1048576.0, 0, 1, 99, 0 from runs r cross join generate_series(0, 19) k`);
const Q = {
  current: `select r.id, r.params, (select ms.last from metric_series ms where ms.run_id = r.id and ms.key = 'metric_00')::text as sort_key from runs r
    where r.project_id = $1::uuid and (case when jsonb_typeof(r.params -> 'optimizer') = 'string' then r.params ->> 'optimizer' end) = 'adam'
    order by (select ms.last from metric_series ms where ms.run_id = r.id and ms.key = 'metric_00') desc nulls last, r.id desc limit 51`,
  join: `select r.id, r.params, ms.last::text as sort_key from runs r left join metric_series ms on ms.run_id = r.id and ms.key = 'metric_00'
    where r.project_id = $1::uuid and (case when jsonb_typeof(r.params -> 'optimizer') = 'string' then r.params ->> 'optimizer' end) = 'adam'
    order by ms.last desc nulls last, r.id desc limit 51`,
};
const time = async (q, args) => { for (let i = 0; i < 2; i++) await pg.query(q, args); const t = performance.now(); for (let i = 0; i < 7; i++) await pg.query(q, args); return ((performance.now() - t) / 7).toFixed(1); };
for (const analyzed of [false, true]) {
  if (analyzed) await pg.exec("analyze");
  for (const [name, q] of Object.entries(Q)) {
    const { rows } = await pg.query("explain (analyze) " + q, [p.id]);
    console.log(analyzed ? "analyzed  " : "unanalyzed", name.padEnd(8), await time(q, [p.id]), "ms |", rows.map((r) => r["QUERY PLAN"]).filter((l) => /Execution|Scan|Join|Sort /.test(l)).map((l) => l.trim().slice(0, 110)).join(" / "));
  }
  const some = ids.slice(0, 50);
  console.log("  loadSummaries(50 runs × 20)", await time(`select run_id::text as run_id, key, count::float8 as count, last, min, max, last_step::float8 as last_step, last_ts::float8 as last_ts from metric_series where run_id = any($1::uuid[]) and count > 0 order by key`, [`{${some.join(",")}}`]), "ms");
}
const some2 = ids.slice(100, 150);
console.log("  summaries as json per run", await time(`select run_id::text as run_id, json_object_agg(key, json_build_array(count, last, min, max, last_step, last_ts) order by key)::text as m from metric_series where run_id = any($1::uuid[]) and count > 0 group by run_id`, [`{${some2.join(",")}}`]), "ms");
await pg.close();
const pg2 = await PGlite.create({ dataDir: fs.mkdtempSync(path.join(os.tmpdir(), "pgl2-")) });
console.log("autovacuum:", (await pg2.query("show autovacuum")).rows, (await pg2.query("select count(*) from pg_stat_activity where backend_type like 'autovacuum%'")).rows);
await pg2.close();
