import path from "node:path";
import { z } from "zod";

/**
 * The server's whole configuration, parsed once at start-up from the environment.
 * Nothing else reads process.env, so every knob is listed here.
 */
export const ConfigSchema = z.object({
  CAIRN_HOST: z.string().min(1).default("127.0.0.1"),
  CAIRN_PORT: z.coerce.number().int().min(0).max(65535).default(8642),
  CAIRN_DATA_DIR: z.string().min(1).default("./.cairn"),
  CAIRN_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
    .optional(),
  CAIRN_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** A running run whose last heartbeat is older than this is marked crashed. */
  CAIRN_RUN_HEARTBEAT_TIMEOUT_SECONDS: z.coerce.number().positive().default(300),
  /** How often the crash sweeper looks for stale runs. */
  CAIRN_RUN_SWEEP_INTERVAL_SECONDS: z.coerce.number().positive().default(30),
  /** Connections in the PostgreSQL pool (ignored for the embedded database). */
  CAIRN_DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(10),
  /** Directory of the built web UI; defaults to packages/web/dist beside the server. */
  CAIRN_WEB_DIR: z.string().optional(),
  /** Seconds to let in-flight requests finish on SIGTERM before closing anyway. */
  CAIRN_SHUTDOWN_TIMEOUT_SECONDS: z.coerce.number().positive().default(10),
});

export type Config = {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string | undefined;
  logLevel: z.infer<typeof ConfigSchema>["CAIRN_LOG_LEVEL"];
  heartbeatTimeoutMs: number;
  sweepIntervalMs: number;
  poolSize: number;
  webDir: string | undefined;
  shutdownTimeoutMs: number;
};

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parses the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings mean "unset" (docker-compose passes `VAR=` through as "").
  const cleaned: Record<string, string> = {};
  for (const key of Object.keys(ConfigSchema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== "") cleaned[key] = v;
  }
  const parsed = ConfigSchema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${String(i.path[0])}: ${i.message} (got ${JSON.stringify(cleaned[String(i.path[0])])})`);
    throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  const c = parsed.data;
  return {
    host: c.CAIRN_HOST,
    port: c.CAIRN_PORT,
    dataDir: path.resolve(c.CAIRN_DATA_DIR),
    databaseUrl: c.CAIRN_DATABASE_URL,
    logLevel: c.CAIRN_LOG_LEVEL,
    heartbeatTimeoutMs: c.CAIRN_RUN_HEARTBEAT_TIMEOUT_SECONDS * 1000,
    sweepIntervalMs: c.CAIRN_RUN_SWEEP_INTERVAL_SECONDS * 1000,
    poolSize: c.CAIRN_DATABASE_POOL_SIZE,
    webDir: c.CAIRN_WEB_DIR,
    shutdownTimeoutMs: c.CAIRN_SHUTDOWN_TIMEOUT_SECONDS * 1000,
  };
}
