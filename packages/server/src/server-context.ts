import type { Logger } from "pino";
import type { Config } from "./config.js";
import type { Database } from "./db/client.js";
import { type MetricJob, writeRunBatches } from "./metrics/ingest.service.js";
import { KeyedBatcher } from "./metrics/run-batcher.js";
import { SeriesIdCache } from "./metrics/series-cache.js";
import { KeyCache } from "./auth/key-cache.js";
import type { apiKeys } from "./db/schema/index.js";
import { type BlobStore, createBlobStore } from "./artifacts/store/index.js";
import { OpsMetrics } from "./ops/ops-metrics.js";

/** What every service needs, built once per server. Services take `{ ctx, ... }`. */
export interface ServerContext {
  config: Config;
  db: Database;
  log: Logger;
  /** (run, key) → series id; ids never change, so caching skips a round trip per batch. */
  seriesIds: SeriesIdCache;
  /** Authenticated keys by secret hash (short TTL). */
  keyCache: KeyCache<typeof apiKeys.$inferSelect>;
  /** live run id → owning project (a run never changes project); re-checked for deletion after RUN_OWNER_TTL_MS. */
  runOwners: Map<string, { id: string; name: string; checkedAt: number }>;
  /** Merges concurrent metric batches of one run into one transaction. */
  metricWriter: KeyedBatcher<MetricJob, number>;
  /** Artifact bytes by sha256: the filesystem or S3, per config.artifactStore. */
  blobStore: BlobStore;
  /** Set once migrations are applied; /readyz reports it. */
  state: { migrated: boolean; shuttingDown: boolean };
  /** Prometheus counters and histograms of this server (/metrics); ingestion sites increment them. */
  ops: OpsMetrics;
}

export function createServerContext(config: Config, db: Database, log: Logger): ServerContext {
  const ctx: ServerContext = {
    config,
    db,
    log,
    seriesIds: new SeriesIdCache(100_000),
    keyCache: new KeyCache(),
    runOwners: new Map(),
    // At most 8 requests (80,000 points) per transaction keeps each commit's latency bounded.
    metricWriter: new KeyedBatcher((batches) => writeRunBatches(ctx, batches), 8),
    blobStore: createBlobStore(config.artifactStore),
    state: { migrated: false, shuttingDown: false },
    ops: new OpsMetrics(),
  };
  ctx.ops.databasePoolMax.set({ driver: db.driver }, db.driver === "postgres" ? config.poolSize : 1);
  return ctx;
}
