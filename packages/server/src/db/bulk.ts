import net from "node:net";
import type { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";

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

/** Rejects with a connection-class error (mapped to 503) when `p` has not settled in time. */
function bounded<T>(p: Promise<T>, ms: number, what: string, onTimeout: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        onTimeout();
        reject(Object.assign(new Error(`${what} did not complete in ${ms} ms: the database connection is presumed lost`), { code: "CONNECTION_CLOSED" }));
      }, ms);
    }),
  ]).finally(() => clearTimeout(timer));
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
  const client = postgres(url, {
    max: connections,
    onnotice: () => {},
    connection: { application_name: "cairn-ingest" },
    // Runtime options of postgres.js that its 3.4.9 typings lack.
    ...({
      max_pipeline: 0,
      // Handed over before it connects: postgres.js then sees a refused or dropped
      // connection through the socket's own error and close events and frees the pool slot.
      // (A socket factory that rejects leaks the slot in 3.4.9 — createSocket reports the
      // error but never runs closed() — and after `max` refusals every reserve() hangs,
      // so the server never recovered from a database restart.)
      socket: () => net.connect(Number(target.port || 5432), target.hostname || "127.0.0.1").setNoDelay(true),
    } as object),
  });
  return {
    async transaction(fn) {
      const conn = await client.reserve();
      let healthy = true;
      const lost = () => {
        healthy = false;
      };
      const statement = <T>(p: Promise<T>, what: string) => bounded(p, STATEMENT_TIMEOUT_MS, what, lost);
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
        // A connection stuck in a COPY or a lost statement is abandoned rather than handed
        // to the next request (postgres.js resets it when its socket closes).
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
