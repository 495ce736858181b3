import path from "node:path";
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import type { Logger } from "pino";
import { createApp } from "./app.js";
import type { Config } from "./config.js";
import { openPglite, openPostgres, type Database } from "./db/client.js";
import { lockDataDir } from "./db/data-dir-lock.js";
import { startEmbeddedMaintenance } from "./db/maintenance.js";
import { MIGRATION_LOCK_KEY, migrateDatabase } from "./db/migrate.js";
import { bootstrapAdminKey } from "./auth/keys.service.js";
import { setAuditEnabled } from "./audit/audit.service.js";
import { createLogger } from "./logger.js";
import { startCrashSweeper } from "./runs/crash-sweeper.js";
import { startArtifactMaintenance } from "./artifacts/gc.service.js";
import { startPredictionMaintenance } from "./predictions/maintenance.js";
import { startMonitorScheduler } from "./monitors/scheduler.js";
import { createServerContext, type ServerContext } from "./server-context.js";

export interface RunningServer {
  url: string;
  /** Set when this start created the first admin key (shown once, never logged). */
  bootstrap?: { secret: string; file?: string };
  port: number;
  ctx: ServerContext;
  /** Stops accepting, lets in-flight requests finish (bounded), closes the database. */
  close(): Promise<void>;
}

async function openDatabase(config: Config, log: Logger): Promise<{ db: Database; release: () => void }> {
  if (config.databaseUrl) {
    log.info({ database: "postgres" }, "connecting to PostgreSQL");
    return { db: openPostgres(config.databaseUrl, config.poolSize), release: () => {} };
  }
  const release = lockDataDir(config.dataDir);
  try {
    log.info({ database: "pglite", dataDir: config.dataDir }, "opening the embedded database");
    return { db: await openPglite(path.join(config.dataDir, "pgdata")), release };
  } catch (e) {
    release();
    throw e;
  }
}

export async function startServer(config: Config, options: { logger?: Logger } = {}): Promise<RunningServer> {
  const log = options.logger ?? createLogger(config.logLevel);
  const { db, release } = await openDatabase(config, log);
  const ctx = createServerContext(config, db, log);
  setAuditEnabled(config.audit);
  let bootstrap: Awaited<ReturnType<typeof bootstrapAdminKey>>;
  try {
    await migrateDatabase(db);
    bootstrap = await db.withAdvisoryLock(MIGRATION_LOCK_KEY, () => bootstrapAdminKey(ctx));
  } catch (e) {
    ctx.blobStore.close();
    await db.close().catch(() => {});
    release();
    throw e;
  }
  ctx.state.migrated = true;
  const stopSweeper = startCrashSweeper(ctx);
  const stopMaintenance = startEmbeddedMaintenance(db, log);
  const stopArtifactMaintenance = startArtifactMaintenance(ctx);
  const stopPredictionMaintenance = startPredictionMaintenance(ctx);
  const stopScheduler = startMonitorScheduler(ctx);
  const app = createApp(ctx);

  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s));
    s.once("error", reject);
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      ctx.state.shuttingDown = true;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          log.warn("shutdown timeout: closing remaining connections");
          (server as import("node:http").Server).closeAllConnections?.();
        }, config.shutdownTimeoutMs);
        server.close(() => {
          clearTimeout(timer);
          resolve();
        });
        (server as import("node:http").Server).closeIdleConnections?.();
      });
      stopSweeper();
      stopMaintenance();
      stopArtifactMaintenance();
      stopPredictionMaintenance();
      await stopScheduler();
      ctx.blobStore.close();
      await db.close();
      release();
      log.info("server stopped");
    })());
  log.info({ url, database: db.driver, auth: config.auth }, "cairn server listening");
  if (bootstrap) log.info({ tokenFile: bootstrap.file ?? null }, "created the first admin key (shown once in the banner)");
  return { url, port, ctx, close, ...(bootstrap ? { bootstrap } : {}) };
}
