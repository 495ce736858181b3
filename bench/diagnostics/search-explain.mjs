// Diagnostic: EXPLAIN ANALYZE of the run-search SQL on PostgreSQL (10k runs × 20 metrics,
// seeded as in bench/reads.mjs): first page, second page (keyset cursor, as built by
// packages/server/src/runs/run-search.service.ts), and the second page with the sort
// value computed once by a LEFT JOIN instead of a scalar subquery repeated in WHERE and ORDER BY.
//   node bench/diagnostics/search-explain.mjs
import fs from "node:fs";
import { client, DEFAULT_PG_URL, freshDatabase } from "../lib/pg.mjs";
import { seedSearchSql } from "../reads.mjs";

const db = await freshDatabase(DEFAULT_PG_URL, "explain");
const sql = client(db.url);
try {
  for (const s of fs.readFileSync(new URL("../../packages/server/drizzle/0000_init.sql", import.meta.url), "utf8").split("--> statement-breakpoint")) await sql.unsafe(s);
  const [p] = await sql`insert into projects (id, name) values (gen_random_uuid(), 'bench-search') returning id`;
  await seedSearchSql((q, a) => sql.unsafe(q, a), p.id, 10_000, 20);
  const sub = `(select ms.last from metric_series ms where ms.run_id = r.id and ms.key = 'metric_00')`;
  const filter = `r.project_id = $1::uuid and (case when jsonb_typeof(r.params -> 'optimizer') = 'string' then r.params ->> 'optimizer' end) = 'adam'`;
  const page1 = `select r.id, ${sub}::text as sort_key from runs r where ${filter} order by ${sub} desc nulls last, r.id desc limit 51`;
  const [last] = (await sql.unsafe(page1, [p.id])).slice(49, 50);
  const v = last.sort_key;
  const id = last.id;
  const page2 = `select r.id, ${sub}::text as sort_key from runs r where ${filter}
    and ((${sub} < '${v}'::float8) or (${sub} = '${v}'::float8 and r.id < '${id}'::uuid) or ${sub} is null)
    order by ${sub} desc nulls last, r.id desc limit 51`;
  const page2join = `select r.id, ms.last::text as sort_key from runs r left join metric_series ms on ms.run_id = r.id and ms.key = 'metric_00'
    where ${filter} and ((ms.last < '${v}'::float8) or (ms.last = '${v}'::float8 and r.id < '${id}'::uuid) or ms.last is null)
    order by ms.last desc nulls last, r.id desc limit 51`;
  for (const [name, q] of Object.entries({ page1, page2, page2join })) {
    for (let i = 0; i < 3; i++) await sql.unsafe(q, [p.id]);
    const plan = (await sql.unsafe(`explain (analyze, buffers) ${q}`, [p.id])).map((r) => r["QUERY PLAN"]);
    const loops = plan.filter((l) => /loops=\d+/.test(l) && /Index Scan/.test(l)).map((l) => l.trim().replace(/\s+\(cost.*actual/, " (actual"));
    console.log(`${name}: ${plan.find((l) => l.startsWith("Execution Time"))}; ${plan.find((l) => /Buffers: shared hit/.test(l))?.trim()}`);
    for (const l of loops) console.log(`   ${l}`);
  }
} finally {
  await sql.end({ timeout: 5 });
  await db.drop();
}
