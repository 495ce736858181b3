import type { MiddlewareHandler } from "hono";
import { cors as honoCors } from "hono/cors";

export type CorsOptions = {
  /** Exact origins (`https://host[:port]`) allowed to call the API from a browser. Empty: CORS off. */
  origins: string[];
};

const ALLOW_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];
const ALLOW_HEADERS = ["Authorization", "Content-Type", "X-Request-Id"];
// Not CORS-safelisted, yet what a browser client needs: the request id to quote, and the
// rate-limit headers to back off by.
const EXPOSE_HEADERS = ["X-Request-Id", "Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "Location"];

/**
 * Closed by default: with no origins configured, no CORS header is ever sent and browsers keep
 * other sites out. Otherwise an exact-match allow-list (no wildcards, no suffix matching: those
 * are how "evil-example.com" gets in). No credentials: API clients send a bearer key, and the
 * UI's session cookie is same-origin only.
 */
export function cors({ origins }: CorsOptions): MiddlewareHandler {
  if (origins.length === 0) {
    return async function corsClosed(_c, next) {
      await next();
    };
  }
  for (const o of origins) assertOrigin(o);
  const allowed = new Set(origins);
  return honoCors({
    origin: (origin) => (allowed.has(origin) ? origin : null),
    allowMethods: ALLOW_METHODS,
    allowHeaders: ALLOW_HEADERS,
    exposeHeaders: EXPOSE_HEADERS,
    maxAge: 600,
    credentials: false,
  });
}

/** A typo here would silently never match, so a malformed origin fails at start-up instead. */
function assertOrigin(origin: string): void {
  let normalized: string | undefined;
  try {
    normalized = new URL(origin).origin;
  } catch {
    // reported below
  }
  if (normalized !== origin || !/^https?:\/\//.test(origin)) {
    throw new Error(
      `CORS origin ${JSON.stringify(origin)} must be exactly scheme://host[:port] (no path, no trailing slash, lower-case host)` +
        (normalized && normalized !== "null" ? `, e.g. ${JSON.stringify(normalized)}` : ""),
    );
  }
}
