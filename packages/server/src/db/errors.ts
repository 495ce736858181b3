/** The `code`s of an error and its causes (drizzle wraps driver errors), outermost first. */
function* errorCodes(err: unknown): Generator<string> {
  let e: unknown = err;
  for (let i = 0; i < 4 && e && typeof e === "object"; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") yield code;
    e = (e as { cause?: unknown }).cause;
  }
}

/** SQLSTATE of a database error, through drizzle's wrapper and either driver's shape. */
export function pgErrorCode(err: unknown): string | undefined {
  for (const code of errorCodes(err)) if (/^[0-9A-Z]{5}$/.test(code)) return code;
  return undefined;
}

export const UNIQUE_VIOLATION = "23505";
export const DEADLOCK_DETECTED = "40P01";
export const SERIALIZATION_FAILURE = "40001";
export const FOREIGN_KEY_VIOLATION = "23503";

/** Runs a transaction again (up to 5 tries) when PostgreSQL chose it as a deadlock victim: bulk ingestion of overlapping rows can meet another batch's locks. */
export async function withDeadlockRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (pgErrorCode(e) === DEADLOCK_DETECTED && attempt < 5) continue;
      throw e;
    }
  }
}

/**
 * postgres.js options for every pool: how a pool behaves while the database is away.
 *
 * `backoff: () => 0`: postgres.js waits `backoff(retries)` seconds before a closed connection
 * connects again, and each attempt settles only the one query it was started for; with its
 * default (3^retries/100 s, up to 20 s, the retry count shared by the pool) ten
 * connections failed about one queued query a second between them while the server kept
 * queueing hundreds, so during a PostgreSQL restart requests (and /readyz) hung instead
 * of answering 503, found by the reliability suite's database-faults scenario. Without the
 * wait a refused connection fails its query at once; the pool only reconnects while
 * queries are queued, so an idle pool does not spin.
 * `connect_timeout`: a database host that does not answer at all fails a query in 5 s, not 30.
 */
export const POOL_RESILIENCE = { backoff: () => 0, connect_timeout: 5 };

/** Socket-level and postgres.js connection codes: the database is away, not the request wrong. */
const CONNECTION_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENOTFOUND", "CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED", "CONNECT_TIMEOUT"]);
/** SQLSTATE classes 08 (connection exception) and 57P (shutdown, cannot connect now), plus too many connections. */
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[1-3]|53300)$/;

/**
 * Whether an error means the database cannot be reached right now (stopped, restarting,
 * connection cut): the request may succeed if retried, so it is a 503, never a 500.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (const code of errorCodes(err)) if (CONNECTION_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code)) return true;
  return false;
}
