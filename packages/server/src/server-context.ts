import type { Logger } from "pino";
import type { Config } from "./config.js";
import type { Database } from "./db/client.js";
import { SeriesIdCache } from "./metrics/series-cache.js";

/** What every service needs, built once per server. Services take `{ ctx, ... }`. */
export interface ServerContext {
  config: Config;
  db: Database;
  log: Logger;
  /** (run, key) → series id; ids never change, so caching skips a round trip per batch. */
  seriesIds: SeriesIdCache;
  /** Set once migrations are applied; /readyz reports it. */
  state: { migrated: boolean; shuttingDown: boolean };
}

export function createServerContext(config: Config, db: Database, log: Logger): ServerContext {
  return { config, db, log, seriesIds: new SeriesIdCache(100_000), state: { migrated: false, shuttingDown: false } };
}
