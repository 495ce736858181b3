import { Hono } from "hono";
import { authenticate } from "../auth/authenticate.js";
import type { AppEnv } from "../http/context.js";
import { ForbiddenError } from "../http/errors.js";
import type { ServerContext } from "../server-context.js";

/**
 * /metrics in the Prometheus text format. It describes the whole server, not one project,
 * so it takes a key covering every project (a reader is enough: mint one for Prometheus),
 * or no key at all with CAIRN_METRICS_PUBLIC=true.
 */
export function opsRoutes(ctx: ServerContext) {
  const app = new Hono<AppEnv>();
  if (!ctx.config.metricsPublic) {
    app.use("/metrics", authenticate(ctx));
    app.use("/metrics", async (c, next) => {
      if (c.get("actor").projects !== "*") throw new ForbiddenError("/metrics needs a key covering every project (projects: \"*\"); a reader is enough");
      await next();
    });
  }
  app.get("/metrics", async (c) => {
    const body = await ctx.ops.registry.metrics();
    return c.body(body, 200, { "content-type": ctx.ops.registry.contentType });
  });
  return app;
}
