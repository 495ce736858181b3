import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../http/context.js";
import { ForbiddenError, UnauthorizedError } from "../http/errors.js";
import { clientAddress } from "../http/limits/index.js";
import type { ServerContext } from "../server-context.js";
import type { Actor } from "./actor.js";
import { findActiveKey, touchKey } from "./keys.service.js";
import { clearedSessionCookie, isSameOrigin, readSessionCookie } from "./session-cookie.js";
import { findSessionKey } from "./sessions.service.js";

const BEARER = /^Bearer\s+(\S{20,300})$/i;

/**
 * The only /api routes that take no credentials: `METHOD path`, exact. Logging in
 * (the key is in the body; the route checks it itself).
 */
const OPEN_ROUTES = new Set(["POST /api/v1/session"]);

/** Methods a browser may send cross-site without changing anything (CSRF-safe by contract). */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** A 401 that also tells the browser to drop its dead session cookie. */
class SessionExpiredError extends UnauthorizedError {
  constructor(clearCookie: string) {
    super("the session has expired, was logged out or its key was revoked: log in again at /login");
    (this as { headers?: Record<string, string> }).headers = { ...this.headers, "set-cookie": clearCookie };
  }
}


/**
 * Resolves the caller of every /api/v1 request to an Actor, or answers 401. With
 * CAIRN_AUTH=off (loopback only) every caller is a local admin.
 *
 * Credentials: `Authorization: Bearer <key>`, or, when there is no Authorization header,
 * the UI's `cairn_session` cookie. A cookie is an ambient credential, so a state-changing
 * request (not GET/HEAD/OPTIONS) made with it must also prove it comes from our own
 * origin (`Origin`, else `Referer`): SameSite=Strict is the first line against CSRF, this
 * check the second. Bearer requests are exempt: a browser never adds that header by itself.
 */
export function authenticate(ctx: ServerContext): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const base = { requestId: c.get("requestId"), ip: clientAddress(c), userAgent: c.req.header("user-agent")?.slice(0, 300) };
    if (!ctx.config.auth) {
      c.set("actor", { keyId: null, name: "local (auth off)", role: "admin", projects: "*", via: "open", ...base } satisfies Actor);
      return next();
    }
    if (OPEN_ROUTES.has(`${c.req.method} ${c.req.path}`)) return next();
    const header = c.req.header("authorization");
    if (header === undefined) {
      const sessionId = readSessionCookie(c);
      if (sessionId !== undefined) {
        const key = sessionId === null ? undefined : await findSessionKey(ctx, sessionId);
        if (!key) throw new SessionExpiredError(clearedSessionCookie(c));
        // The actor first, so a refused cross-site request is audited against the session's key.
        c.set("actor", { keyId: key.id, name: key.name, role: key.role as Actor["role"], projects: key.projects ?? "*", via: "session", ...base });
        if (!SAFE_METHODS.has(c.req.method) && !isSameOrigin(c)) throw new ForbiddenError("cross-site request refused");
        await touchKey(ctx, key.id);
        return next();
      }
    }
    const match = header ? BEARER.exec(header) : null;
    if (!match) throw new UnauthorizedError(header ? "malformed Authorization header: expected `Bearer <key>`" : undefined);
    const key = await findActiveKey(ctx, match[1]!);
    if (!key) throw new UnauthorizedError("unknown, revoked or expired API key");
    c.set("actor", { keyId: key.id, name: key.name, role: key.role as Actor["role"], projects: key.projects ?? "*", via: "key", ...base });
    await touchKey(ctx, key.id);
    return next();
  };
}
