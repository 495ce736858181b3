import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../http/context.js";
import { toHttpError } from "../http/problem.js";
import type { OpsMetrics } from "./ops-metrics.js";

/**
 * Counts and times every request by the route pattern it matched (`/api/v1/runs/:runId`),
 * never the raw URL, so ids and hostile paths cannot blow up the series count.
 */
export function httpMetrics(ops: OpsMetrics): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      // After next(), routePath is the pattern of the last handler that ran: the route itself.
      const route = c.req.routePath || "unmatched";
      const method = c.req.method;
      const status = c.res.status;
      ops.httpRequests.inc({ method, route, status: String(status) });
      ops.httpDuration.observe({ method, route }, (performance.now() - started) / 1000);
      if (status >= 400 && status < 500) {
        const code = c.error ? toHttpError(c.error).code : status === 404 ? "not_found" : `http_${status}`;
        ops.rejections.inc({ status: String(status), code });
      }
    }
  };
}
