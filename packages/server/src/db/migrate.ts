import path from "node:path";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import type { PgliteDatabase } from "drizzle-orm/pglite";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import type { PostgresJsDatabase } from "drizzle-orm/postgres-js";
import { findUp } from "../find-up.js";
import type { Database } from "./client.js";

/** Arbitrary constant: "cairn" in ASCII, so the lock is recognisable in pg_locks. */
export const MIGRATION_LOCK_KEY = 0x636169726e;

/** The committed migrations, shipped at the package root in `drizzle/`. */
export function migrationsFolder(): string {
  const folder = findUp("drizzle", path.join("meta", "_journal.json"));
  if (!folder) throw new Error("cannot find the drizzle migrations folder");
  return folder;
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
