import net from "node:net";
import type { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import { POOL_RESILIENCE } from "./errors.js";

/**
 * The ingestion path's own access to the database: raw statements and binary COPY in
 * one transaction, on either driver. Drizzle stays the way in for everything else;
 * this exists because COPY is the fastest way into PostgreSQL (binary COPY of metric
 * points measured 640k rows/s here against ~380k for text COPY and ~300k for unnest).
 */
export interface BulkTx {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Loads a complete binary COPY stream (header, rows, trailer) into `table (columns)`. */
  copyBinary(table: string, columns: string, data: Uint8Array): Promise<void>;
}

export interface BulkWriter {
  transaction<T>(fn: (tx: BulkTx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const COPY_TIMEOUT_MS = 60_000;
/**
 * A statement on a reserved connection whose socket died between two statements never
 * settles in postgres.js 3.4.9 (the connection is reset, but the query waits for it
 * forever). Ingestion statements take milliseconds, so a statement still pending after
 * this long is treated as a lost connection: the request fails with a 503 and the run's
 * ingestion queue moves on instead of hanging until the server restarts.
 */
const STATEMENT_TIMEOUT_MS = 30_000;

/**
 * After one of the pool's sockets closed, a statement still pending this much later is
 * presumed to be on that socket. A PostgreSQL restart closes every socket at once, and the
 * 30 s bound alone held each run's ingestion queue for 30 s after the database was back:
 * the reliability suite (database-faults) saw no metric write succeed between restarts.
 */
const AFTER_CLOSE_MS = 2_000;

/** How long after a socket of the pool closed its statements get the short bound. */
const RECENT_CLOSE_MS = 60_000;
/** The short bound: generous for an ingestion statement, short against a dead connection. */
const SUSPECT_STATEMENT_MS = 4_000;

/** Tells the statements in flight that a socket of the pool closed. */
class SocketCloses {
  private readonly listeners = new Set<() => void>();
  /** Sockets closed so far, and when the last one closed. */
  count = 0;
  lastAt = 0;
  on(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  closed(): void {
    this.count++;
    this.lastAt = Date.now();
    for (const fn of [...this.listeners]) fn();
  }
}

/**
 * Rejects with a connection-class error (mapped to 503) when `p` has not settled in `ms`,
 * or within AFTER_CLOSE_MS of a socket of the pool closing (a healthy statement is done by then).
 */
function bounded<T>(p: Promise<T>, ms: number, what: string, onTimeout: () => void, closes?: SocketCloses): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let off = () => {};
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      const fail = (after: number) => {
        onTimeout();
        reject(Object.assign(new Error(`${what} did not complete in ${after} ms: the database connection is presumed lost`), { code: "CONNECTION_CLOSED" }));
      };
      timer = setTimeout(() => fail(ms), ms);
      const started = Date.now();
      if (closes) {
        off = closes.on(() => {
          off();
          clearTimeout(timer);
          timer = setTimeout(() => fail(Date.now() - started), AFTER_CLOSE_MS);
        });
      }
    }),
  ]).finally(() => {
    clearTimeout(timer);
    off();
  });
}

/**
 * postgres.js needs three things for COPY (see shared/STACK.md): TCP_NODELAY (it does
 * not set it, and COPY crawled without it), no pipelining (a query pipelined onto a
 * connection mid-COPY gets the connection dropped), and transactions run by hand on a
 * reserved connection. A COPY that fails after its last byte never settles in 3.4.9
 * (porsager/postgres#1173), so callers only COPY rows that cannot fail, and a timeout
 * turns a hang into an error instead of a stuck request.
 */
export function postgresBulkWriter(url: string, connections: number): BulkWriter {
  const target = new URL(url);
  const closes = new SocketCloses();
  const open = () =>
    postgres(url, {
      max: connections,
      onnotice: () => {},
      connection: { application_name: "cairn-ingest" },
      ...POOL_RESILIENCE,
      // Runtime options of postgres.js that its 3.4.9 typings lack.
      ...({
        max_pipeline: 0,
        // Handed over before it connects: postgres.js then sees a refused or dropped
        // connection through the socket's own error and close events and frees the pool slot.
        // (A socket factory that rejects leaks the slot in 3.4.9 — createSocket reports the
        // error but never runs closed() — and after `max` refusals every reserve() hangs,
        // so the server never recovered from a database restart.)
        socket: () => {
          const socket = net.connect(Number(target.port || 5432), target.hostname || "127.0.0.1").setNoDelay(true);
          // Seen through emit: postgres.js removes every listener of a socket it closes,
          // sometimes before the close event, so a listener of ours could miss it.
          const emit = socket.emit.bind(socket);
          socket.emit = ((event: string | symbol, ...args: unknown[]) => {
            if (event === "close") closes.closed();
            return emit(event, ...args);
          }) as typeof socket.emit;
          return socket;
        },
      } as object),
    });
  let client = open();
  /**
   * A connection presumed lost is not handed back (it may be mid-COPY), and in postgres.js
   * 3.4.9 it is not reliably reset either: after a PostgreSQL restart the abandoned
   * connections kept their pool slots and every later reserve() waited forever (the
   * reliability suite's database-faults scenario: no metric write succeeded after the second
   * restart). So the whole pool is replaced: transactions still on the old one fail (503, the
   * client retries) and the old pool's sockets are destroyed.
   */
  const recycle = (old: postgres.Sql) => {
    if (client !== old) return;
    client = open();
    void old.end({ timeout: 0 }).catch(() => {});
  };
  return {
    async transaction(fn) {
      const pool = client;
      let healthy = true;
      const lost = () => {
        healthy = false;
        recycle(pool);
      };
      const conn = await bounded(pool.reserve(), STATEMENT_TIMEOUT_MS, "reserving a connection", lost, closes);
      // A socket that closed while this transaction held its connection between two
      // statements fires no event during the next one, which then never settles: once any
      // socket of the pool has closed since the transaction began, its statements get the
      // short bound from the start.
      // Likewise for a while after any close: postgres.js can hand out a connection whose
      // socket already died, and its first statement then waits for ever (after a restart
      // metric writes stalled for the full 30 s bound while everything else had recovered).
      const epoch = closes.count;
      const suspect = () => closes.count !== epoch || Date.now() - closes.lastAt < RECENT_CLOSE_MS;
      const statement = <T>(p: Promise<T>, what: string) => bounded(p, suspect() ? SUSPECT_STATEMENT_MS : STATEMENT_TIMEOUT_MS, what, lost, closes);
      try {
        await statement(conn.unsafe("begin"), "begin");
        const tx: BulkTx = {
          query: async (text, params = []) => (await statement(conn.unsafe(text, params as never[]), "statement")) as never,
          async copyBinary(table, columns, data) {
            const stream = await statement(conn.unsafe(`copy ${table} (${columns}) from stdin with (format binary)`).writable(), "copy start");
            await bounded(
              new Promise<void>((resolve, reject) => {
                stream.once("error", reject);
                stream.once("finish", resolve);
                stream.end(data);
              }),
              COPY_TIMEOUT_MS,
              "copy",
              lost,
              closes,
            );
          },
        };
        const result = await fn(tx);
        await statement(conn.unsafe("commit"), "commit");
        return result;
      } catch (e) {
        if (healthy) await statement(conn.unsafe("rollback"), "rollback").catch(() => {});
        throw e;
      } finally {
        if (healthy) conn.release();
      }
    },
    async close() {
      await client.end({ timeout: 5 });
    },
  };
}

/** PGlite reads COPY input from its virtual `/dev/blob` (COPY FROM STDIN hangs it). */
export function pgliteBulkWriter(pglite: PGlite): BulkWriter {
  return {
    transaction: (fn) =>
      pglite.transaction((t) =>
        fn({
          query: async (text, params = []) => (await t.query(text, params)).rows as never,
          async copyBinary(table, columns, data) {
            await t.query(`copy ${table} (${columns}) from '/dev/blob' with (format binary)`, [], { blob: new Blob([data]) });
          },
        }),
      ),
    close: async () => {},
  };
}
