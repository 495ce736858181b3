import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { artifactsRoutes } from "./artifacts/artifacts.routes.js";
import { auditRoutes } from "./audit/audit.routes.js";
import { datasetsRoutes, datasetVersionBodyLimit, isDatasetVersionCreate } from "./datasets/datasets.routes.js";
import { deletionRoutes } from "./deletion/deletion.routes.js";
import { gateRoutes } from "./gate/gate.routes.js";
import { lineageRoutes } from "./lineage/lineage.routes.js";
import { modelsRoutes } from "./models/models.routes.js";
import { monitoringRoutes } from "./monitoring/monitoring.routes.js";
import { monitorsRoutes } from "./monitors/monitors.routes.js";
import { isPredictionsBatch, predictionsRoutes } from "./predictions/predictions.routes.js";
import { watchRoutes } from "./watch/watch.routes.js";
import { authenticate } from "./auth/authenticate.js";
import { keysRoutes } from "./auth/keys.routes.js";
import { loginRoutes } from "./auth/login.routes.js";
import { sessionsRoutes } from "./auth/sessions.routes.js";
import { docsRoutes } from "./docs/docs.routes.js";
import { API_PREFIX, buildOpenApiDocument } from "./docs/openapi-document.js";
import { healthRoutes } from "./health/health.routes.js";
import { httpMetrics } from "./ops/http-metrics.js";
import { opsRoutes } from "./ops/ops.routes.js";
import type { AppEnv } from "./http/context.js";
import { recordDenial } from "./auth/denials.js";
import { ForbiddenError, HiddenNotFoundError, HttpError, PayloadTooLargeError, UnauthorizedError } from "./http/errors.js";
import { cors, isLoopbackClient, jsonDepthLimit, rateLimit, requestTimeout, secureHeaders } from "./http/limits/index.js";
import { refuseWhileShuttingDown, requestContext, requireJson } from "./http/middleware.js";
import { createRouter } from "./http/openapi.js";
import { problemResponse, toHttpError } from "./http/problem.js";
import { metricsRoutes } from "./metrics/metrics.routes.js";
import { projectsRoutes } from "./projects/projects.routes.js";
import { runsRoutes } from "./runs/runs.routes.js";
import type { ServerContext } from "./server-context.js";
import { findWebDir, webRoutes } from "./web/web.routes.js";

const isMetricsBatch = (c: Context) => c.req.method === "POST" && /\/runs\/[^/]+\/metrics$/.test(c.req.path);
/** Artifact bytes are streamed, not JSON: no JSON checks, no body limit, no request timeout (see artifacts.routes.ts). */
export const isArtifactContent = (c: Context) => /\/runs\/[^/]+\/artifacts\/./.test(c.req.path);

/** Alias watch streams stay open for minutes (see watch.routes.ts): no request timeout. */
const isAliasEvents = (c: Context) => c.req.method === "GET" && /\/aliases\/[^/]+\/events$/.test(c.req.path);

/** Every /api/v1 route; also what the OpenAPI document is generated from. */
export function createApiRouter(limits: { maxBodyBytes: number; jsonMaxDepth: number } = { maxBodyBytes: 1024 * 1024, jsonMaxDepth: 32 }) {
  const api = createRouter();
  api.use("*", (c, next) => (isArtifactContent(c) ? next() : requireJson(c, next)));
  // The body limit comes before the depth scan, which reads the whole body; metric
  // batches have their own 4 MiB limit and a hand-written parser.
  const defaultBodyLimit = bodyLimit({
    maxSize: limits.maxBodyBytes,
    onError: () => {
      throw new PayloadTooLargeError(limits.maxBodyBytes);
    },
  });
  api.use("*", (c, next) => {
    // Prediction and label batches have their own limit (predictions.routes.ts).
    if (isMetricsBatch(c) || isArtifactContent(c) || isPredictionsBatch(c)) return next();
    return isDatasetVersionCreate(c) ? datasetVersionBodyLimit(c, next) : defaultBodyLimit(c, next);
  });
  const depthLimit = jsonDepthLimit({ maxDepth: limits.jsonMaxDepth, exempt: (c) => isMetricsBatch(c) || isPredictionsBatch(c) });
  // Artifact bytes bypass it entirely: touching c.req.raw.body makes @hono/node-server start
  // reading the socket into a web stream, which the upload streams from the socket itself.
  api.use("*", (c, next) => (isArtifactContent(c) ? next() : depthLimit(c, next)));
  api.route("/", projectsRoutes);
  api.route("/", runsRoutes);
  api.route("/", metricsRoutes);
  api.route("/", keysRoutes);
  api.route("/", sessionsRoutes);
  api.route("/", auditRoutes);
  api.route("/", artifactsRoutes);
  api.route("/", datasetsRoutes);
  api.route("/", lineageRoutes);
  api.route("/", deletionRoutes);
  api.route("/", modelsRoutes);
  api.route("/", gateRoutes);
  api.route("/", predictionsRoutes);
  api.route("/", monitoringRoutes);
  api.route("/", monitorsRoutes);
  api.route("/", watchRoutes);
  return api;
}

export function createApp(ctx: ServerContext) {
  const app = new OpenAPIHono<AppEnv>();
  const api = createApiRouter(ctx.config);
  let document: unknown;
  const getDocument = () => (document ??= buildOpenApiDocument(api));

  app.use("*", requestContext(ctx));
  app.use("*", httpMetrics(ctx.ops));
  // Outside everything that can fail, so problems carry these headers too.
  app.use("*", secureHeaders({ ui: true }));
  app.use("*", cors({ origins: ctx.config.corsOrigins })); // preflights carry no key: answered before auth
  app.use("/api/*", refuseWhileShuttingDown(ctx));
  app.use("/api/*", requestTimeout({ ms: ctx.config.requestTimeoutMs, exempt: (c) => c.req.path.endsWith("/audit/export") || isArtifactContent(c) || isAliasEvents(c) }));
  app.use("/api/*", authenticate(ctx));
  if (ctx.config.rateLimitPerSecond > 0) {
    app.use(
      "/api/*",
      rateLimit<AppEnv>({
        capacity: ctx.config.rateLimitBurst,
        refillPerSecond: ctx.config.rateLimitPerSecond,
        keyOf: (c) => c.get("actor")?.keyId ?? undefined,
        ...(ctx.config.rateLimitExemptLoopback ? { exempt: isLoopbackClient } : {}),
      }),
    );
  }
  if (!ctx.config.publicDocs) {
    app.use("/openapi.json", authenticate(ctx));
    app.use("/docs/*", authenticate(ctx));
  }
  app.route("/", healthRoutes);
  app.route("/", opsRoutes(ctx));
  app.route(API_PREFIX, api);
  app.route("/", docsRoutes(getDocument));
  app.all("/api/*", () => {
    throw new HttpError(404, "not_found", "no such API route");
  });
  app.route("/", loginRoutes);
  app.route("/", webRoutes(findWebDir(ctx.config.webDir)));

  app.notFound((c) => problemResponse(c, new HttpError(404, "not_found", `no route for ${c.req.method} ${c.req.path}`)));
  app.onError(async (err, c) => {
    const httpError = toHttpError(err);
    if (httpError.status >= 500) c.get("log")?.error({ err }, "unhandled error");
    if (err instanceof UnauthorizedError || err instanceof ForbiddenError || err instanceof HiddenNotFoundError) {
      await recordDenial(ctx, c, httpError).catch((e: unknown) => c.get("log")?.warn({ err: e }, "could not audit a denied request"));
    }
    return problemResponse(c, httpError);
  });
  return app;
}
