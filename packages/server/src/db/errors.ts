/** SQLSTATE of a database error, through drizzle's wrapper and either driver's shape. */
export function pgErrorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e && typeof e === "object"; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
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
