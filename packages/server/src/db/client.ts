import { PGlite } from "@electric-sql/pglite";
import type { SQL } from "drizzle-orm";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from "drizzle-orm/pg-core";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { type BulkWriter, pgliteBulkWriter, postgresBulkWriter } from "./bulk.js";
import { POOL_RESILIENCE } from "./errors.js";
import * as schema from "./schema/index.js";

export type Schema = typeof schema;
/** The drizzle database, whichever driver is underneath. */
export type Orm = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema>;
/** Anything that can run a statement: the database or an open transaction. */
export type Executor = Orm | Tx;
export type Driver = "postgres" | "pglite";

export interface Database {
  driver: Driver;
  orm: Orm;
  /** Raw statements and binary COPY for the ingestion hot path. */
  bulk: BulkWriter;
  /** Runs `fn` while holding a session-level advisory lock (excludes other server processes). */
  withAdvisoryLock<T>(key: number, fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * The two drivers return different shapes from `execute`: postgres.js an array,
 * PGlite `{ rows }`. Every raw query goes through this helper so services never see
 * the difference.
 */
export async function rows<T>(db: Executor, query: SQL): Promise<T[]> {
  const res: unknown = await db.execute(query);
  return (Array.isArray(res) ? res : (res as { rows: T[] }).rows) as T[];
}

export function openPostgres(url: string, poolSize: number): Database {
  // max_pipeline 0 would serialise; the default is fine for INSERT…SELECT unnest.
  const client = postgres(url, {
    max: poolSize,
    onnotice: () => {},
    connection: { application_name: "cairn" },
    ...POOL_RESILIENCE,
  });
  const orm = drizzlePostgres(client, { schema }) as unknown as Orm;
  const bulk = postgresBulkWriter(url, Math.max(2, Math.min(8, Math.floor(poolSize / 2))));
  return {
    driver: "postgres",
    orm,
    bulk,
    async withAdvisoryLock(key, fn) {
      // A session lock must be taken and released on one connection; the migrator
      // itself runs on the rest of the pool (a pool of one would deadlock here).
      const conn = await client.reserve();
      try {
        await conn`select pg_advisory_lock(${key})`;
        try {
          return await fn();
        } finally {
          await conn`select pg_advisory_unlock(${key})`;
        }
      } finally {
        conn.release();
      }
    },
    async close() {
      await bulk.close();
      await client.end({ timeout: 5 });
    },
  };
}

export async function openPglite(dataDir: string): Promise<Database & { pglite: PGlite }> {
  const pglite = await PGlite.create({ dataDir });
  const orm = drizzlePglite(pglite, { schema }) as unknown as Orm;
  return {
    driver: "pglite",
    orm,
    pglite,
    bulk: pgliteBulkWriter(pglite),
    // PGlite is one in-process PostgreSQL per data dir, guarded by our own lock file,
    // so there is no other session to exclude.
    withAdvisoryLock: (_key, fn) => fn(),
    async close() {
      await pglite.close();
    },
  };
}
