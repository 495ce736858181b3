import net from "node:net";
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
  /** `off` serves every request as an admin: for local use only, refused unless listening on loopback. */
  CAIRN_AUTH: z.enum(["on", "off"]).default("on"),
  /** `off` skips the audit log; accepted only with CAIRN_AUTH=off (local use and benchmarks). */
  CAIRN_AUDIT: z.enum(["on", "off"]).default("on"),
  /** The first admin key on an empty database (automation, docker-compose); generated when unset. */
  CAIRN_BOOTSTRAP_TOKEN: z.string().min(20, "must be at least 20 characters").max(200).optional(),
  /** Whether /openapi.json and /docs are served without a key. */
  CAIRN_PUBLIC_DOCS: z.enum(["true", "false"]).default("true"),
  /** Sustained requests per second per API key; 0 turns rate limiting off. */
  CAIRN_RATE_LIMIT_PER_SECOND: z.coerce.number().min(0).default(100),
  /** Burst size of the per-key token bucket. */
  CAIRN_RATE_LIMIT_BURST: z.coerce.number().int().min(1).default(200),
  /** Loopback clients are not rate limited (set false behind a same-host reverse proxy). */
  CAIRN_RATE_LIMIT_EXEMPT_LOOPBACK: z.enum(["true", "false"]).default("true"),
  /** Comma-separated exact origins allowed by CORS; empty keeps CORS closed. */
  CAIRN_CORS_ORIGINS: z.string().default(""),
  /** Requests taking longer are answered 503 (the handler is told to stop). */
  CAIRN_REQUEST_TIMEOUT_SECONDS: z.coerce.number().positive().default(30),
  /** Bytes of a JSON request body, except metric batches (4 MiB, their own limit). */
  CAIRN_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024),
  /** JSON nesting depth of request bodies. */
  CAIRN_JSON_MAX_DEPTH: z.coerce.number().int().min(2).max(1000).default(32),
  /** Seconds to let in-flight requests finish on SIGTERM before closing anyway. */
  CAIRN_SHUTDOWN_TIMEOUT_SECONDS: z.coerce.number().positive().default(10),
  /** Lifetime of a UI session cookie (never beyond its key's expiry); at most 400 days, the browsers' cap. */
  CAIRN_SESSION_TTL_HOURS: z.coerce.number().positive().max(9600).default(12),
  /** Where artifact blobs go: unset = CAIRN_DATA_DIR/blobs; an absolute path or file:// URL; or s3://bucket/prefix. */
  CAIRN_ARTIFACT_STORE: z
    .string()
    .regex(/^(s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?|file:\/\/\/.+|\/.+)$/, "must be s3://bucket[/prefix], file:///path or an absolute path")
    .optional(),
  /** S3 endpoint for S3-compatible stores (MinIO, R2, s3rver); the AWS SDK's standard variable. */
  AWS_ENDPOINT_URL_S3: z.string().url().optional(),
  AWS_ENDPOINT_URL: z.string().url().optional(),
  AWS_REGION: z.string().min(1).default("us-east-1"),
  /** Path-style bucket addressing (MinIO and most self-hosted stores need it); default true when an endpoint is set. */
  AWS_S3_FORCE_PATH_STYLE: z.enum(["true", "false"]).optional(),
  /** Largest artifact accepted in one upload. */
  CAIRN_MAX_ARTIFACT_BYTES: z.coerce.number().int().min(1).default(100 * 1024 ** 3),
  /** Soft-deleted runs and projects are purged after this many days. */
  CAIRN_DELETED_RETENTION_DAYS: z.coerce.number().min(0).default(30),
  /** Unreferenced blobs are kept this long before garbage collection may remove them. */
  CAIRN_GC_GRACE_HOURS: z.coerce.number().min(0).default(24),
  /** How often the server purges expired deletions and collects garbage; 0 = never (run `cairn gc`). */
  CAIRN_MAINTENANCE_INTERVAL_MINUTES: z.coerce.number().min(0).default(60),
  /** Prediction partitions (one per day) entirely older than this are dropped, with their labels; older predictions are refused. */
  CAIRN_PREDICTION_RETENTION_DAYS: z.coerce.number().positive().default(90),
  /** A label whose prediction has not arrived after this long is reported as orphaned. */
  CAIRN_LABEL_PENDING_HOURS: z.coerce.number().positive().default(168),
  /** How often the server compacts prediction windows, matches late labels, prepares partitions and applies retention; 0 = never (partitions are then made on demand only). */
  CAIRN_PREDICTION_MAINTENANCE_SECONDS: z.coerce.number().min(0).default(60),
  /** How often the monitor scheduler evaluates due monitors and sends due webhooks; 0 = never. */
  CAIRN_SCHEDULER_INTERVAL_SECONDS: z.coerce.number().min(0).default(60),
  /** Comma-separated hosts or CIDRs a webhook may reach although private, loopback or link-local. */
  CAIRN_WEBHOOK_ALLOWLIST: z
    .string()
    .refine((v) => v.split(",").map((e) => e.trim()).filter(Boolean).every(isAllowlistEntry), "must be comma-separated host names, IP addresses or CIDRs (10.0.0.0/8)")
    .default(""),
  /** One webhook attempt (connect + answer) is abandoned after this long. */
  CAIRN_WEBHOOK_TIMEOUT_SECONDS: z.coerce.number().positive().default(10),
  /** A delivery is given up (`failed`) after this many attempts. */
  CAIRN_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  /** First retry delay; each further retry doubles it (capped at one hour). */
  CAIRN_WEBHOOK_RETRY_BASE_SECONDS: z.coerce.number().positive().default(30),
  /** Serve /metrics without a key (only where the port is not reachable from outside). */
  CAIRN_METRICS_PUBLIC: z.enum(["true", "false"]).default("false"),
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
  auth: boolean;
  audit: boolean;
  bootstrapToken: string | undefined;
  publicDocs: boolean;
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  rateLimitExemptLoopback: boolean;
  corsOrigins: string[];
  requestTimeoutMs: number;
  maxBodyBytes: number;
  jsonMaxDepth: number;
  sessionTtlMs: number;
  artifactStore: ArtifactStoreConfig;
  maxArtifactBytes: number;
  deletedRetentionMs: number;
  gcGraceMs: number;
  maintenanceIntervalMs: number;
  predictionRetentionMs: number;
  labelPendingMs: number;
  predictionMaintenanceMs: number;
  schedulerIntervalMs: number;
  webhookAllowlist: string[];
  webhookTimeoutMs: number;
  webhookMaxAttempts: number;
  webhookRetryBaseMs: number;
  metricsPublic: boolean;
};

export type ArtifactStoreConfig =
  | { kind: "fs"; root: string }
  | { kind: "s3"; bucket: string; prefix: string; endpoint: string | undefined; region: string; forcePathStyle: boolean };

function artifactStoreConfig(c: z.infer<typeof ConfigSchema>, dataDir: string): ArtifactStoreConfig {
  const url = c.CAIRN_ARTIFACT_STORE;
  if (url === undefined) return { kind: "fs", root: path.join(dataDir, "blobs") };
  if (!url.startsWith("s3://")) return { kind: "fs", root: path.resolve(url.startsWith("file://") ? new URL(url).pathname : url) };
  const rest = url.slice("s3://".length);
  const slash = rest.indexOf("/");
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const prefix = slash < 0 ? "" : rest.slice(slash + 1).replace(/^\/+|\/+$/g, "");
  const endpoint = c.AWS_ENDPOINT_URL_S3 ?? c.AWS_ENDPOINT_URL;
  const forcePathStyle = c.AWS_S3_FORCE_PATH_STYLE === undefined ? endpoint !== undefined : c.AWS_S3_FORCE_PATH_STYLE === "true";
  return { kind: "s3", bucket, prefix, endpoint, region: c.AWS_REGION, forcePathStyle };
}

/** A webhook allowlist entry: a host name, an IP address, or an address with a prefix length in range. */
function isAllowlistEntry(entry: string): boolean {
  const [ip, bits, ...rest] = entry.replace(/^\[(.*)\]$/, "$1").split("/");
  if (rest.length > 0 || ip === undefined) return false;
  const family = net.isIPv4(ip) ? 32 : net.isIPv6(ip) ? 128 : 0;
  if (family === 0) return bits === undefined && /^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/.test(ip);
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= family);
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

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
  if (c.CAIRN_AUDIT === "off" && c.CAIRN_AUTH !== "off") {
    throw new ConfigError("invalid configuration:\n  CAIRN_AUDIT: \"off\" is only allowed together with CAIRN_AUTH=off (local use)");
  }
  if (c.CAIRN_AUTH === "off" && !isLoopback(c.CAIRN_HOST)) {
    throw new ConfigError(`invalid configuration:\n  CAIRN_AUTH: "off" is only allowed when CAIRN_HOST is a loopback address (got ${JSON.stringify(c.CAIRN_HOST)})`);
  }
  const dataDir = path.resolve(c.CAIRN_DATA_DIR);
  return {
    host: c.CAIRN_HOST,
    port: c.CAIRN_PORT,
    dataDir,
    databaseUrl: c.CAIRN_DATABASE_URL,
    logLevel: c.CAIRN_LOG_LEVEL,
    heartbeatTimeoutMs: c.CAIRN_RUN_HEARTBEAT_TIMEOUT_SECONDS * 1000,
    sweepIntervalMs: c.CAIRN_RUN_SWEEP_INTERVAL_SECONDS * 1000,
    poolSize: c.CAIRN_DATABASE_POOL_SIZE,
    webDir: c.CAIRN_WEB_DIR,
    shutdownTimeoutMs: c.CAIRN_SHUTDOWN_TIMEOUT_SECONDS * 1000,
    auth: c.CAIRN_AUTH === "on",
    audit: c.CAIRN_AUDIT === "on",
    bootstrapToken: c.CAIRN_BOOTSTRAP_TOKEN,
    publicDocs: c.CAIRN_PUBLIC_DOCS === "true",
    rateLimitPerSecond: c.CAIRN_RATE_LIMIT_PER_SECOND,
    rateLimitBurst: c.CAIRN_RATE_LIMIT_BURST,
    rateLimitExemptLoopback: c.CAIRN_RATE_LIMIT_EXEMPT_LOOPBACK === "true",
    corsOrigins: c.CAIRN_CORS_ORIGINS.split(",").map((s) => s.trim()).filter(Boolean),
    requestTimeoutMs: c.CAIRN_REQUEST_TIMEOUT_SECONDS * 1000,
    maxBodyBytes: c.CAIRN_MAX_BODY_BYTES,
    jsonMaxDepth: c.CAIRN_JSON_MAX_DEPTH,
    sessionTtlMs: c.CAIRN_SESSION_TTL_HOURS * 3_600_000,
    artifactStore: artifactStoreConfig(c, dataDir),
    maxArtifactBytes: c.CAIRN_MAX_ARTIFACT_BYTES,
    deletedRetentionMs: c.CAIRN_DELETED_RETENTION_DAYS * 86_400_000,
    gcGraceMs: c.CAIRN_GC_GRACE_HOURS * 3_600_000,
    maintenanceIntervalMs: c.CAIRN_MAINTENANCE_INTERVAL_MINUTES * 60_000,
    predictionRetentionMs: c.CAIRN_PREDICTION_RETENTION_DAYS * 86_400_000,
    labelPendingMs: c.CAIRN_LABEL_PENDING_HOURS * 3_600_000,
    predictionMaintenanceMs: c.CAIRN_PREDICTION_MAINTENANCE_SECONDS * 1000,
    schedulerIntervalMs: c.CAIRN_SCHEDULER_INTERVAL_SECONDS * 1000,
    webhookAllowlist: c.CAIRN_WEBHOOK_ALLOWLIST.split(",").map((s) => s.trim()).filter(Boolean),
    webhookTimeoutMs: c.CAIRN_WEBHOOK_TIMEOUT_SECONDS * 1000,
    webhookMaxAttempts: c.CAIRN_WEBHOOK_MAX_ATTEMPTS,
    webhookRetryBaseMs: c.CAIRN_WEBHOOK_RETRY_BASE_SECONDS * 1000,
    metricsPublic: c.CAIRN_METRICS_PUBLIC === "true",
  };
}
