import type { MiddlewareHandler } from "hono";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { AppEnv } from "../http/context.js";
import { UnauthorizedError } from "../http/errors.js";
import type { ServerContext } from "../server-context.js";
import type { Actor } from "./actor.js";
import { findActiveKey, touchKey } from "./keys.service.js";

const BEARER = /^Bearer\s+(\S{20,300})$/i;

function clientAddress(c: Parameters<MiddlewareHandler<AppEnv>>[0]): string | undefined {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined;
  }
}

/**
 * Resolves the caller of every /api/v1 request to an Actor, or answers 401. With
 * CAIRN_AUTH=off (loopback only) every caller is a local admin.
 */
export function authenticate(ctx: ServerContext): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const base = { requestId: c.get("requestId"), ip: clientAddress(c), userAgent: c.req.header("user-agent")?.slice(0, 300) };
    if (!ctx.config.auth) {
      c.set("actor", { keyId: null, name: "local (auth off)", role: "admin", projects: "*", via: "open", ...base } satisfies Actor);
      return next();
    }
    const header = c.req.header("authorization");
    const match = header ? BEARER.exec(header) : null;
    if (!match) throw new UnauthorizedError(header ? "malformed Authorization header: expected `Bearer <key>`" : undefined);
    const key = await findActiveKey(ctx, match[1]!);
    if (!key) throw new UnauthorizedError("unknown, revoked or expired API key");
    c.set("actor", { keyId: key.id, name: key.name, role: key.role as Actor["role"], projects: key.projects ?? "*", via: "key", ...base });
    await touchKey(ctx, key.id);
    return next();
  };
}
