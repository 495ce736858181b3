// PostgreSQL helpers: fresh scratch databases, TCP_NODELAY sockets for COPY, COPY streaming.
import net from "node:net";
import postgres from "postgres";

export const DEFAULT_PG_URL = process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** The URL of database `name` on the same server as `base`. */
export function dbUrl(base, name) {
  const u = new URL(base);
  u.pathname = "/" + name;
  return u.toString();
}

/**
 * A connected socket with Nagle off. postgres.js 3.4.9 does not set TCP_NODELAY, which
 * made COPY per 1k rows 15× slower on this machine (see /work/shared/STACK.md).
 */
function noDelaySocket(url) {
  const u = new URL(url);
  return () =>
    new Promise((resolve, reject) => {
      const s = net.connect(Number(u.port || 5432), u.hostname);
      s.setNoDelay(true);
      s.once("connect", () => resolve(s));
      s.once("error", reject);
    });
}

/** A postgres.js client. `copy: true` → one connection, no pipelining, TCP_NODELAY (safe for COPY). */
export function client(url, { copy = false, max = 1 } = {}) {
  return postgres(url, {
    max: copy ? 1 : max,
    onnotice: () => {},
    ...(copy ? { max_pipeline: 0, socket: noDelaySocket(url) } : {}),
    connection: { application_name: "cairn-bench" },
  });
}

let seq = 0;
/** Creates `bench_<tag>_<pid>_<n>` and returns { name, url, drop() }. */
export async function freshDatabase(baseUrl, tag) {
  const name = `bench_${tag}_${process.pid}_${++seq}`.toLowerCase();
  const admin = client(baseUrl);
  try {
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  return {
    name,
    url: dbUrl(baseUrl, name),
    async drop() {
      const a = client(baseUrl);
      try {
        await a.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await a.end({ timeout: 5 });
      }
    },
  };
}

/** Drops leftovers of earlier interrupted bench runs (databases named bench_*_<dead pid>_*). */
export async function dropStaleDatabases(baseUrl) {
  const admin = client(baseUrl);
  try {
    const dbs = await admin`select datname from pg_database where datname ~ '^bench_[a-z0-9]+_[0-9]+_[0-9]+$'`;
    for (const { datname } of dbs) {
      const pid = Number(datname.split("_").at(-2));
      let alive = false;
      try {
        process.kill(pid, 0);
        alive = true;
      } catch {}
      if (!alive) await admin.unsafe(`drop database if exists ${datname} with (force)`);
    }
  } finally {
    await admin.end({ timeout: 5 });
  }
}

/** The same shape and indexes as the server's metric_points table. */
export const POINTS_DDL = `create table points (
  series_id integer not null,
  step bigint not null,
  value double precision not null,
  ts bigint not null,
  primary key (series_id, step))`;

/** Streams chunks (strings of COPY text rows) into one COPY … FROM STDIN; resolves after the server's CommandComplete. */
export async function copyChunks(sql, table, chunks) {
  const stream = await sql.unsafe(`copy ${table} (series_id, step, value, ts) from stdin`).writable();
  await new Promise((resolve, reject) => {
    stream.on("error", reject);
    stream.on("finish", resolve);
    let i = 0;
    const pump = () => {
      while (i < chunks.length) {
        if (!stream.write(chunks[i++])) return void stream.once("drain", pump);
      }
      stream.end();
    };
    pump();
  });
}

export async function serverInfo(baseUrl) {
  const sql = client(baseUrl);
  try {
    const [{ version }] = await sql`select version()`;
    const settings = await sql`select name, setting, unit from pg_settings
      where name in ('shared_buffers','synchronous_commit','fsync','wal_level','max_wal_size','work_mem','full_page_writes')`;
    return {
      version,
      settings: Object.fromEntries(settings.map((s) => [s.name, s.unit ? `${s.setting} (${s.unit})` : s.setting])),
    };
  } finally {
    await sql.end({ timeout: 5 });
  }
}
