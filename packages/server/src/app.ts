import { OpenAPIHono } from "@hono/zod-openapi";
import { docsRoutes } from "./docs/docs.routes.js";
import { API_PREFIX, buildOpenApiDocument } from "./docs/openapi-document.js";
import { healthRoutes } from "./health/health.routes.js";
import type { AppEnv } from "./http/context.js";
import { HttpError } from "./http/errors.js";
import { refuseWhileShuttingDown, requestContext, requireJson } from "./http/middleware.js";
import { createRouter } from "./http/openapi.js";
import { problemResponse, toHttpError } from "./http/problem.js";
import { metricsRoutes } from "./metrics/metrics.routes.js";
import { projectsRoutes } from "./projects/projects.routes.js";
import { runsRoutes } from "./runs/runs.routes.js";
import type { ServerContext } from "./server-context.js";
import { findWebDir, webRoutes } from "./web/web.routes.js";

/** Every /api/v1 route; also what the OpenAPI document is generated from. */
export function createApiRouter() {
  const api = createRouter();
  api.use("*", requireJson);
  api.route("/", projectsRoutes);
  api.route("/", runsRoutes);
  api.route("/", metricsRoutes);
  return api;
}

export function createApp(ctx: ServerContext) {
  const app = new OpenAPIHono<AppEnv>();
  const api = createApiRouter();
  let document: unknown;
  const getDocument = () => (document ??= buildOpenApiDocument(api));

  app.use("*", requestContext(ctx));
  app.use("/api/*", refuseWhileShuttingDown(ctx));
  app.route("/", healthRoutes);
  app.route(API_PREFIX, api);
  app.route("/", docsRoutes(getDocument));
  app.all("/api/*", () => {
    throw new HttpError(404, "not_found", "no such API route");
  });
  app.route("/", webRoutes(findWebDir(ctx.config.webDir)));

  app.notFound((c) => problemResponse(c, new HttpError(404, "not_found", `no route for ${c.req.method} ${c.req.path}`)));
  app.onError((err, c) => {
    const httpError = toHttpError(err);
    if (httpError.status >= 500) c.get("log")?.error({ err }, "unhandled error");
    return problemResponse(c, httpError);
  });
  return app;
}
