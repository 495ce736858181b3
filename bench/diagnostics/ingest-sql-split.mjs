// Diagnostic: where PostgreSQL's time goes in the server's ingest transaction. Replays
// the server's statements (packages/server/src/metrics/ingest.service.ts) for 100 batches
// of 10k points (100 keys × 100 steps) on one connection and times each phase.
//   node bench/diagnostics/ingest-sql-split.mjs unnest|unnest-nodelay|copy|stage|none
// "stage" COPYs into a constraint-free temp table, then INSERT … SELECT from it.
// "copy" loads the points with COPY instead of INSERT … SELECT unnest; "none" skips them.
import fs from "node:fs";
import { freshDatabase, client, copyChunks } from "../lib/pg.mjs";
const db = await freshDatabase("postgres://postgres@127.0.0.1:5432/test", "exp");
import net from "node:net";
import postgres from "postgres";
const nd = process.argv[2] === "unnest-nodelay";
const sql = nd ? postgres(db.url, { max: 1, onnotice: () => {}, socket: () => new Promise((res) => { const u = new URL(db.url); const s = net.connect(Number(u.port), u.hostname); s.setNoDelay(true); s.once("connect", () => res(s)); }) }) : client(db.url, { copy: process.argv[2] === "copy" });
const mig = fs.readFileSync("packages/server/drizzle/0000_init.sql", "utf8").split("--> statement-breakpoint");
for (const s of mig) await sql.unsafe(s);
const [p] = await sql`insert into projects (id, name) values (gen_random_uuid(), 'p') returning id`;
const [r] = await sql`insert into runs (id, project_id, name) values (gen_random_uuid(), ${p.id}, 'r') returning id`;
await sql`insert into metric_series (run_id, key) select ${r.id}, 'metric_' || lpad(k::text, 2, '0') from generate_series(0, 99) k`;
const ids = (await sql`select id from metric_series order by id`).map((x) => x.id);
const arr = (v) => "{" + v.join(",") + "}";
const WIDTHS = [64, 1024, 16384, 262144];
const t = { points: 0, series: 0, rollups: 0, commit: 0, begin: 0 };
const now = () => performance.now();
const mode = (process.argv[2] ?? "unnest").replace("-nodelay", "");
for (let b = 0; b < 100; b++) {
  const S = [], St = [], V = [], T = [];
  for (let s = b * 100; s < b * 100 + 100; s++) for (let k = 0; k < 100; k++) { S.push(ids[k]); St.push(s); V.push(Math.random()); T.push(1732800000000 + s); }
  // rollup rows
  const R = { s: [], l: [], b: [], c: [], mn: [], mns: [], mnt: [], mx: [], mxs: [], mxt: [] };
  for (let k = 0; k < 100; k++) for (let li = 0; li < 4; li++) {
    const w = WIDTHS[li]; const first = Math.floor(b * 100 / w), last = Math.floor((b * 100 + 99) / w);
    for (let bk = first; bk <= last; bk++) { R.s.push(ids[k]); R.l.push(li + 1); R.b.push(bk); R.c.push(10); R.mn.push(0.1); R.mns.push(bk * w); R.mnt.push(1732800000000); R.mx.push(0.9); R.mxs.push(bk * w); R.mxt.push(1732800000000); }
  }
  const pre = [arr(S), arr(St), arr(V), arr(T)];
  let text = ""; for (let i = 0; i < S.length; i++) text += S[i] + "\t" + St[i] + "\t" + V[i] + "\t" + T[i] + "\n";
  let t0 = now();
  const begin = mode === "copy" || mode === "stage" || mode === "binary" ? async (fn) => { await sql.unsafe("begin"); await fn(sql); await sql.unsafe("commit"); } : (fn) => sql.begin(fn);
  await begin(async (tx) => {
    t.begin += now() - t0;
    t0 = now();
    if (mode === "unnest") {
      await tx.savepoint(async (sp) => sp.unsafe(`insert into metric_points (series_id, step, value, ts) select * from unnest($1::int4[], $2::int8[], $3::float8[], $4::int8[])`, pre));
    } else if (mode === "copy") {
      await copyChunks(tx, "metric_points", [text]);
    } else if (mode === "binary") {
      const n = S.length; const buf = Buffer.allocUnsafe(19 + n * 46 + 2); const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      buf.write("PGCOPY\n\xff\r\n\0", 0, "latin1"); dv.setUint32(11, 0); dv.setUint32(15, 0); let o = 19;
      for (let i = 0; i < n; i++) {
        dv.setInt16(o, 4); dv.setInt32(o + 2, 4); dv.setInt32(o + 6, S[i]); dv.setInt32(o + 10, 8);
        const st = St[i]; dv.setUint32(o + 14, Math.floor(st / 4294967296)); dv.setUint32(o + 18, st >>> 0);
        dv.setInt32(o + 22, 8); dv.setFloat64(o + 26, V[i]); dv.setInt32(o + 34, 8);
        const ts = T[i]; dv.setUint32(o + 38, Math.floor(ts / 4294967296)); dv.setUint32(o + 42, ts >>> 0); o += 46;
      }
      dv.setInt16(o, -1);
      const stream = await tx.unsafe("copy metric_points (series_id, step, value, ts) from stdin with (format binary)").writable();
      await new Promise((res, rej) => { stream.on("error", rej); stream.on("finish", res); stream.end(buf); });
    } else if (mode === "stage") {
      // COPY into a constraint-free temp table (it cannot fail on duplicates), then insert from it.
      await tx.unsafe("create temp table if not exists metric_points_in (series_id int4, step int8, value float8, ts int8) on commit delete rows");
      await copyChunks(tx, "metric_points_in", [text]);
      await tx.unsafe("savepoint sp");
      await tx.unsafe("insert into metric_points (series_id, step, value, ts) select * from metric_points_in");
      await tx.unsafe("release savepoint sp");
    }
    t.points += now() - t0; t0 = now();
    await tx.unsafe(`update metric_series m set count = m.count + u.n, min = least(m.min, u.mn), max = greatest(m.max, u.mx),
      last = case when m.last_step is null or u.ls >= m.last_step then u.lv else m.last end,
      last_ts = case when m.last_step is null or u.ls >= m.last_step then u.lt else m.last_ts end,
      last_step = greatest(m.last_step, u.ls)
      from unnest($1::int4[], $2::int8[], $3::float8[], $4::float8[], $5::int8[], $6::float8[], $7::int8[]) as u(id, n, mn, mx, ls, lv, lt) where m.id = u.id`,
      [arr(ids), arr(ids.map(() => 100)), arr(ids.map(() => 0.1)), arr(ids.map(() => 0.9)), arr(ids.map(() => b * 100 + 99)), arr(ids.map(() => 0.5)), arr(ids.map(() => 1732800000000))]);
    t.series += now() - t0; t0 = now();
    await tx.unsafe(`insert into metric_rollups as r (series_id, level, bucket, count, min, min_step, min_ts, max, max_step, max_ts)
      select * from unnest($1::int4[], $2::int2[], $3::int8[], $4::int4[], $5::float8[], $6::int8[], $7::int8[], $8::float8[], $9::int8[], $10::int8[])
      on conflict (series_id, level, bucket) do update set count = r.count + excluded.count,
        min = case when excluded.min < r.min then excluded.min else r.min end, max = case when excluded.max > r.max then excluded.max else r.max end`,
      [arr(R.s), arr(R.l), arr(R.b), arr(R.c), arr(R.mn), arr(R.mns), arr(R.mnt), arr(R.mx), arr(R.mxs), arr(R.mxt)]);
    t.rollups += now() - t0; t0 = now();
  });
  t.commit += now() - t0;
}
const total = Object.values(t).reduce((a, b) => a + b, 0);
// 1M points in total, so ms per phase = µs per point.
console.log(mode, Object.fromEntries(Object.entries(t).map(([k, v]) => [k, `${(v / 1000).toFixed(2)} µs/pt`])), `total ${(total / 1000).toFixed(2)} µs/pt → ${Math.round((1e6 / total) * 1000)} points/s`);
console.log("rollup rows by level:", await sql`select level, count(*)::int as rows from metric_rollups group by 1 order by 1`);
await sql.end(); await db.drop();
