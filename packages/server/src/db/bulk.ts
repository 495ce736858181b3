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
      socket: () =>
        new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect(Number(target.port || 5432), target.hostname || "127.0.0.1");
          s.setNoDelay(true);
          s.once("connect", () => resolve(s));
          s.once("error", reject);
        }),
    } as object),
  });
  return {
    async transaction(fn) {
      const conn = await client.reserve();
      let healthy = true;
      try {
        await conn.unsafe("begin");
        const tx: BulkTx = {
          query: async (text, params = []) => (await conn.unsafe(text, params as never[])) as never,
          async copyBinary(table, columns, data) {
            const stream = await conn.unsafe(`copy ${table} (${columns}) from stdin with (format binary)`).writable();
            let timer: NodeJS.Timeout | undefined;
            try {
              await Promise.race([
                new Promise<void>((resolve, reject) => {
                  stream.once("error", reject);
                  stream.once("finish", resolve);
                  stream.end(data);
                }),
                new Promise<never>((_, reject) => {
                  timer = setTimeout(() => {
                    healthy = false;
                    reject(new Error("COPY did not complete in time"));
                  }, COPY_TIMEOUT_MS);
                }),
              ]);
            } finally {
              clearTimeout(timer);
            }
          },
        };
        const result = await fn(tx);
        await conn.unsafe("commit");
        return result;
      } catch (e) {
        if (healthy) await conn.unsafe("rollback").catch(() => {});
        throw e;
      } finally {
        // A connection stuck in a COPY is abandoned rather than handed to the next request.
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
