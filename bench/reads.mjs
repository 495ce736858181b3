// Figures 3 and 4: metric history reads and run search, on one "reads" database per
// driver: a run with a 1M-point key (through the SDK and the server, so rollups are
// maintained exactly as in production) and 10k runs × 20 metrics seeded with SQL.
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { Cairn, init } from "@cairn/sdk";
import { uuidv7 } from "@cairn/core";
import { client, freshDatabase } from "./lib/pg.mjs";
import { valueTable } from "./lib/data.mjs";
import { api, startChildServer } from "./lib/server.mjs";
import { now, round, summary, timeMany, yieldNow } from "./lib/stats.mjs";
import { rmDir, tmpDir } from "./ingest.mjs";

export const SEARCH_FILTER = 'params.optimizer = "adam"';
export const SEARCH_ORDER = "metrics.metric_00 desc";
const OPTIMIZERS = ["adam", "sgd", "rmsprop", "adamw"];

const RUNS_SQL = `
insert into runs (id, project_id, name, status, params, created_at, started_at, ended_at, heartbeat_at)
select u.id, $1::uuid, 'run-' || (u.i - 1), 'finished',
  jsonb_build_object(
    'optimizer', (array['${OPTIMIZERS.join("','")}'])[1 + (u.i % 4)],
    'lr', round((0.0001 * (1 + u.i % 100))::numeric, 6),
    'batch_size', (array[32, 64, 128, 256])[1 + ((u.i / 4) % 4)],
    'seed', u.i),
  to_timestamp(($3::float8 + u.i * 1000) / 1000), to_timestamp(($3::float8 + u.i * 1000) / 1000),
  to_timestamp(($3::float8 + u.i * 1000) / 1000) + interval '1 hour', to_timestamp(($3::float8 + u.i * 1000) / 1000) + interval '1 hour'
from unnest($2::uuid[]) with ordinality as u(id, i)`;

const SERIES_SQL = `
insert into metric_series (run_id, key, count, last, min, max, last_step, last_ts)
select r.id, 'metric_' || lpad(k::text, 2, '0'), 100, h.v, h.v * 0.5, h.v * 1.5 + 0.1, 99,
  (extract(epoch from r.ended_at) * 1000)::int8
from runs r
cross join generate_series(0, $2::int - 1) k
cross join lateral (select (hashtext(r.id::text || k::text) & 1048575) / 1048576.0::float8 as v) h
where r.project_id = $1::uuid`;

/** Seeds `runs` finished runs with `metrics` metric summaries each into the project, then ANALYZE. */
export async function seedSearchSql(exec, projectId, runs, metrics) {
  const t0 = Date.now() - runs * 1000 - 3_600_000;
  const ids = Array.from({ length: runs }, (_, i) => uuidv7(t0 + (i + 1) * 1000));
  await exec(RUNS_SQL, [projectId, `{${ids.join(",")}}`, t0]);
  await exec(SERIES_SQL, [projectId, metrics]);
  await exec("analyze runs", []);
  await exec("analyze metric_series", []);
}

/** The SQL the server runs for the search (kept in step with runs/run-search.service.ts) for EXPLAIN ANALYZE. */
const SEARCH_EXPLAIN_SQL = `explain (analyze, buffers, format text)
select r.id::text as id, r.name, r.params, (select ms.last from metric_series ms where ms.run_id = r.id and ms.key = 'metric_00')::text as sort_key
from runs r
where r.project_id = $1::uuid and (case when jsonb_typeof(r.params -> 'optimizer') = 'string' then r.params ->> 'optimizer' end) = 'adam'
order by (select ms.last from metric_series ms where ms.run_id = r.id and ms.key = 'metric_00') desc nulls last, r.id desc
limit 51`;

async function logHistory({ url, spoolDir, bigPoints, fullPoints }) {
  const run = await init({ project: "bench-history", name: "history", url, spoolDir, heartbeatIntervalMs: 0, flushDeadlineMs: 600_000, maxBufferedPoints: 10_000_000 });
  const values = valueTable(1 << 16);
  // Create both series with one point each first: concurrent first batches of a new
  // key can lose points on the current server (see integrity.mjs), and the read figures
  // should not depend on that.
  run.log({ loss: values[0], "val/loss": values[0] }, { step: 0 });
  await run.flush();
  const t = now();
  for (let s = 1; s < bigPoints; s++) {
    run.log({ loss: values[s & 0xffff] }, { step: s });
    if (s % 1000 === 999) await yieldNow();
  }
  for (let s = 1; s < fullPoints; s++) {
    run.log({ "val/loss": values[s & 0xffff] }, { step: s });
    if (s % 1000 === 999) await yieldNow();
  }
  await run.finish();
  const ms = now() - t;
  const st = run.stats();
  if (st.sent !== bigPoints + fullPoints) throw new Error(`history seed: ${JSON.stringify(st)}`);
  return { runId: run.id, points: bigPoints + fullPoints, ms: round(ms), pointsPerSec: Math.round(((bigPoints + fullPoints) / ms) * 1000) };
}

export async function readsBenchmark({ driver, baseUrl, bigPoints, fullPoints, searchRuns, searchMetrics, reads, cpuProfDir, withServer }) {
  const dataDir = tmpDir(`reads-${driver}`);
  const db = driver === "postgres" ? await freshDatabase(baseUrl, "reads") : undefined;
  let srv;
  const result = { driver };
  try {
    srv = await startChildServer({ dataDir, databaseUrl: db?.url });
    const project = await api(srv.url, "POST", "/api/v1/projects", { name: "bench-search" });

    // --- seed 10k runs × 20 metric summaries (SQL; PGlite only while no server holds the data dir)
    let t = now();
    if (driver === "postgres") {
      const sql = client(db.url);
      try {
        await seedSearchSql((q, p) => sql.unsafe(q, p), project.id, searchRuns, searchMetrics);
      } finally {
        await sql.end({ timeout: 5 });
      }
    } else {
      await srv.close();
      const pg = await PGlite.create({ dataDir: path.join(dataDir, "pgdata") });
      try {
        await seedSearchSql((q, p) => pg.query(q, p), project.id, searchRuns, searchMetrics);
      } finally {
        await pg.close();
      }
      srv = await startChildServer({ dataDir, databaseUrl: undefined, cpuProfDir });
    }
    result.searchSeed = { runs: searchRuns, metricsPerRun: searchMetrics, ms: round(now() - t) };

    // --- seed the history run through the SDK
    result.historySeed = await logHistory({ url: srv.url, spoolDir: path.join(dataDir, "spool"), bigPoints, fullPoints });
    const runId = result.historySeed.runId;
    const cairn = new Cairn({ url: srv.url });

    const fetchJson = async (p) => {
      const res = await fetch(srv.url + p, { headers: { authorization: `Bearer ${process.env.CAIRN_API_KEY}` } });
      const body = await res.json();
      if (res.status !== 200) throw new Error(`GET ${p} → ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
      return body;
    };

    // --- 3a. downsampled: the 1M-point key → 1,000 points
    const down = `/api/v1/runs/${runId}/metrics/loss?maxPoints=1000`;
    const probe = await fetchJson(down);
    if (!probe.downsampled || probe.total !== bigPoints || probe.steps.length > 1000) {
      if (db) {
        const sql = client(db.url);
        const diag = {
          points: await sql`select series_id, count(*)::int as n, min(step)::int8::text as lo, max(step)::int8::text as hi from metric_points group by 1`,
          series: await sql`select id, key, count::int8::text as count, last_step::text from metric_series where run_id = ${runId}::uuid`,
          rollups: await sql`select series_id, level, sum(count)::int as n, count(*)::int as buckets from metric_rollups group by 1, 2 order by 1, 2`,
        };
        await sql.end();
        console.error(JSON.stringify(diag));
      }
      throw new Error(`downsampled read: downsampled=${probe.downsampled} total=${probe.total} points=${probe.steps.length}`);
    }
    result.historyDownsampled = {
      points: bigPoints, returned: probe.steps.length,
      fetch: summary(await timeMany(() => fetchJson(down), { n: reads })),
      sdk: summary(await timeMany(() => cairn.metrics.history(runId, "loss", { maxPoints: 1000 }), { n: reads })),
    };

    // --- 3b. full resolution: 100k points
    const full = `/api/v1/runs/${runId}/metrics/${encodeURIComponent("val/loss")}?maxPoints=100000`;
    const fp = await fetchJson(full);
    if (fp.downsampled || fp.steps.length !== fullPoints) throw new Error(`full read: downsampled=${fp.downsampled} points=${fp.steps.length}`);
    result.historyFull = {
      points: fullPoints,
      fetch: summary(await timeMany(() => fetchJson(full), { n: Math.max(5, reads >> 1) })),
      sdk: summary(await timeMany(() => cairn.metrics.history(runId, "val/loss", { maxPoints: 100_000 }), { n: Math.max(5, reads >> 1) })),
    };

    // --- 3c. zoom: the middle half of the 1M-point key → 1,000 points
    const zoom = `/api/v1/runs/${runId}/metrics/loss?maxPoints=1000&fromStep=${Math.floor(bigPoints / 4) + 7}&toStep=${Math.floor((3 * bigPoints) / 4) - 7}`;
    result.historyZoom = { fetch: summary(await timeMany(() => fetchJson(zoom), { n: reads })) };

    // --- 4. run search
    const q = `/api/v1/projects/bench-search/runs?filter=${encodeURIComponent(SEARCH_FILTER)}&orderBy=${encodeURIComponent(SEARCH_ORDER)}&limit=50`;
    const page = await fetchJson(q);
    const expected = Math.min(50, Math.ceil(searchRuns / 4));
    if (page.runs.length !== expected || page.runs.some((r) => r.params.optimizer !== "adam")) throw new Error(`search returned ${page.runs.length} runs`);
    for (let i = 1; i < page.runs.length; i++) {
      if (page.runs[i].metrics.metric_00.last > page.runs[i - 1].metrics.metric_00.last) throw new Error("search: not sorted by metric_00 desc");
    }
    const q2 = `${q}&cursor=${encodeURIComponent(page.nextCursor)}`;
    const qMetric = `/api/v1/projects/bench-search/runs?filter=${encodeURIComponent('metrics.metric_01 > 0.5 and params.batch_size >= 128')}&orderBy=${encodeURIComponent("metrics.metric_02 asc")}&limit=50`;
    const qDefault = `/api/v1/projects/bench-search/runs?limit=50`;
    result.search = {
      runs: searchRuns, metricsPerRun: searchMetrics, filter: SEARCH_FILTER, orderBy: SEARCH_ORDER, matching: Math.ceil(searchRuns / 4),
      fetch: summary(await timeMany(() => fetchJson(q), { n: reads * 2 })),
      sdk: summary(await timeMany(() => cairn.runs.search({ project: "bench-search", filter: SEARCH_FILTER, orderBy: SEARCH_ORDER, limit: 50 }), { n: reads * 2 })),
      secondPage: summary(await timeMany(() => fetchJson(q2), { n: reads })),
      metricFilter: summary(await timeMany(() => fetchJson(qMetric), { n: reads })),
      noFilter: summary(await timeMany(() => fetchJson(qDefault), { n: reads })),
    };
    if (driver === "postgres") {
      const sql = client(db.url);
      try {
        const plan = await sql.unsafe(SEARCH_EXPLAIN_SQL, [project.id]);
        result.search.explain = plan.map((r) => r["QUERY PLAN"]);
      } finally {
        await sql.end({ timeout: 5 });
      }
    }
    if (withServer) result.extra = await withServer(srv);
    return result;
  } finally {
    await srv?.close();
    await db?.drop();
    rmDir(dataDir);
  }
}
