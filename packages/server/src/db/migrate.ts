import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import type { PgliteDatabase } from "drizzle-orm/pglite";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import type { Database } from "./client.js";

/** Arbitrary constant: "cairn" in ASCII, so the lock is recognisable in pg_locks. */
export const MIGRATION_LOCK_KEY = 0x636169726e;

/**
 * tsup moves code into dist/chunk-*.js, so `import.meta.url` may sit in dist/ or in
 * src/db/: walk up to the package root, where `drizzle/` ships.
 */
export function migrationsFolder(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, "drizzle");
    if (fs.existsSync(path.join(candidate, "meta", "_journal.json"))) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error("cannot find the drizzle migrations folder");
}

/** Applies committed migrations; several servers starting at once take turns on a lock. */
export async function migrateDatabase(db: Database): Promise<void> {
  const migrationsFolderPath = migrationsFolder();
  await db.withAdvisoryLock(MIGRATION_LOCK_KEY, async () => {
    if (db.driver === "pglite") {
      await migratePglite(db.orm as unknown as PgliteDatabase<Record<string, never>>, { migrationsFolder: migrationsFolderPath });
    } else {
      await migratePostgres(db.orm as unknown as PostgresJsDatabase<Record<string, never>>, { migrationsFolder: migrationsFolderPath });
    }
  });
}
