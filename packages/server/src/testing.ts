import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import postgres from "postgres";
import { loadConfig } from "./config.js";
import { openPglite } from "./db/client.js";
import { migrateDatabase, migrationsFolder } from "./db/migrate.js";
import { startServer, type RunningServer } from "./server.js";

/**
 * Test harness: a real server on a free port over a real database, one per test file.
 * PGlite servers start from a migrated template directory (initdb costs ~2 s);
 * PostgreSQL servers get a fresh database of their own, dropped on close.
 */
export type TestDriver = "pglite" | "postgres";

const testDatabaseUrl = process.env.CAIRN_TEST_DATABASE_URL;
/** Every storage test runs on each of these; PostgreSQL only when CAIRN_TEST_DATABASE_URL is set. */
export const testDrivers: TestDriver[] = testDatabaseUrl ? ["pglite", "postgres"] : ["pglite"];

export interface TestServer {
  driver: TestDriver;
  url: string;
  /** The bootstrap admin key ("*" projects): send it as `Authorization: Bearer`. */
  apiKey: string;
  port: number;
  /** The running server, or undefined while stopped. */
  server(): RunningServer | undefined;
  /** HTTP and database down, data kept. */
  stop(): Promise<void>;
  /** Up again on the same port with the same data. */
  start(): Promise<void>;
  /** Stop and delete the data. */
  close(): Promise<void>;
  /** Raw SQL for assertions (the server must be running). */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
}

function migrationsHash(): string {
  const dir = migrationsFolder();
  const h = createHash("sha256");
  for (const f of fs.readdirSync(dir).sort()) if (f.endsWith(".sql")) h.update(fs.readFileSync(path.join(dir, f)));
  return h.digest("hex").slice(0, 16);
}

async function pgliteTemplate(): Promise<string> {
  const template = path.join(os.tmpdir(), `cairn-pglite-template-${migrationsHash()}`);
  if (fs.existsSync(path.join(template, "PG_VERSION"))) return template;
  const building = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-pglite-build-"));
  const db = await openPglite(building);
  await migrateDatabase(db);
  await db.close();
  try {
    fs.renameSync(building, template);
  } catch {
    fs.rmSync(building, { recursive: true, force: true }); // another worker won the race
  }
  return template;
}

async function createPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  if (!testDatabaseUrl) throw new Error("CAIRN_TEST_DATABASE_URL is not set");
  const name = `cairn_test_${randomBytes(6).toString("hex")}`;
  const admin = postgres(testDatabaseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(testDatabaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const a = postgres(testDatabaseUrl, { max: 1, onnotice: () => {} });
      await a.unsafe(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

export async function startTestServer(opts: { driver?: TestDriver; env?: Record<string, string> } = {}): Promise<TestServer> {
  const driver = opts.driver ?? "pglite";
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-test-"));
  const apiKey = `cairn_test_${randomBytes(24).toString("base64url")}`;
  let dropDatabase = async () => {};
  let databaseUrl: string | undefined;
  if (driver === "pglite") {
    fs.cpSync(await pgliteTemplate(), path.join(dataDir, "pgdata"), { recursive: true });
  } else {
    const created = await createPostgresDatabase();
    databaseUrl = created.url;
    dropDatabase = created.drop;
  }
  const env: Record<string, string> = {
    CAIRN_HOST: "127.0.0.1",
    CAIRN_PORT: "0",
    CAIRN_DATA_DIR: dataDir,
    CAIRN_LOG_LEVEL: process.env.CAIRN_TEST_LOG_LEVEL ?? "silent",
    CAIRN_DATABASE_POOL_SIZE: "8",
    CAIRN_BOOTSTRAP_TOKEN: apiKey,
    ...(databaseUrl ? { CAIRN_DATABASE_URL: databaseUrl } : {}),
    ...opts.env,
  };
  let running: RunningServer | undefined = await startServer(loadConfig(env));
  const port = running.port;
  let sqlClient: postgres.Sql | undefined;

  const harness: TestServer = {
    driver,
    url: running.url,
    apiKey,
    port,
    server: () => running,
    async stop() {
      await sqlClient?.end();
      sqlClient = undefined;
      await running?.close();
      running = undefined;
    },
    async start() {
      if (running) return;
      running = await startServer(loadConfig({ ...env, CAIRN_PORT: String(port) }));
    },
    async close() {
      await harness.stop();
      await dropDatabase();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
    async query<T>(text: string, params: unknown[] = []): Promise<T[]> {
      if (!running) throw new Error("the test server is stopped");
      if (driver === "pglite") {
        const db = running.ctx.db as unknown as { pglite: { query: (q: string, p: unknown[]) => Promise<{ rows: T[] }> } };
        return (await db.pglite.query(text, params)).rows;
      }
      sqlClient ??= postgres(databaseUrl!, { max: 1, onnotice: () => {} });
      return (await sqlClient.unsafe(text, params as never[])) as unknown as T[];
    },
  };
  return harness;
}
