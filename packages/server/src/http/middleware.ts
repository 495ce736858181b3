import { randomUUID } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { ServerContext } from "../server-context.js";
import type { AppEnv } from "./context.js";
import { HttpError, UnavailableError } from "./errors.js";

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

/** Request id (the caller's, when sane) on every log line and in `x-request-id`; one access log line per request. */
export function requestContext(ctx: ServerContext): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && REQUEST_ID_RE.test(incoming) ? incoming : randomUUID();
    const log = ctx.log.child({ requestId });
    c.set("requestId", requestId);
    c.set("log", log);
    c.set("ctx", ctx);
    const started = performance.now();
    await next();
    c.res.headers.set("x-request-id", requestId);
    const status = c.res.status;
    const fields = { method: c.req.method, path: c.req.path, status, ms: Math.round((performance.now() - started) * 10) / 10 };
    if (status >= 500) log.error(fields, "request failed");
    else log.info(fields, "request");
  };
}

/** While draining for shutdown, refuse new work so in-flight requests can finish. */
export function refuseWhileShuttingDown(ctx: ServerContext): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (ctx.state.shuttingDown) {
      c.header("connection", "close");
      throw new UnavailableError("server is shutting down", 1);
    }
    await next();
  };
}

/** JSON endpoints take only JSON, so a form post or a wrong client gets a clear 415. */
export const requireJson: MiddlewareHandler<AppEnv> = async (c, next) => {
  const m = c.req.method;
  if (m === "POST" || m === "PUT" || m === "PATCH") {
    const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    const hasBody = c.req.header("content-length") !== "0" && (c.req.header("content-length") !== undefined || c.req.header("transfer-encoding") !== undefined);
    if (hasBody && type !== "application/json" && !/^application\/[\w.-]+\+json$/.test(type)) {
      throw new HttpError(415, "unsupported_media_type", "send JSON with content-type application/json", [
        { path: "(header) content-type", message: `must be application/json, got ${JSON.stringify(type || "(none)")}` },
      ]);
    }
  }
  await next();
};
