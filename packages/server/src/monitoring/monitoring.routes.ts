import { createRoute } from "@hono/zod-openapi";
import { FeatureDistribution, FeatureDistributionQuery, MonitoringQuery, MonitoringReport } from "@cairn/core";
import { createRouter, jsonResponse, problems } from "../http/openapi.js";
import { ModelParam } from "../models/model-params.js";
import { getFeatureDistribution } from "./distribution.service.js";
import { getMonitoringReport } from "./monitoring.service.js";

/** The monitoring report per model (issue 6). */
export const monitoringRoutes = createRouter()
  .openapi(
    createRoute({
      method: "get",
      path: "/projects/{project}/models/{name}/monitoring",
      tags: ["monitoring"],
      summary: "Production windows of a model: volume, latency, outputs, schema violations, labels and accuracy, drift against the training profile",
      description:
        "One entry per window in [from, to) (UTC hours, or days merging 24 hourly aggregates), windows without predictions included with count 0. " +
        "Drift is measured against the training profile of `version` (its dataset with role `train`); without `version` every version's predictions are merged and drift " +
        "is measured against the newest version's training profile, counting only versions trained on that same dataset version. Read from the stored window aggregates, never the predictions.",
      request: { params: ModelParam, query: MonitoringQuery },
      responses: { 200: jsonResponse(MonitoringReport, "The report"), ...problems },
    }),
    async (c) => {
      const { project, name } = c.req.valid("param");
      return c.json(await getMonitoringReport({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: project, name, query: c.req.valid("query") }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/projects/{project}/models/{name}/monitoring/distribution",
      tags: ["monitoring"],
      summary: "One feature's profile in one window beside the training profile's (the drift heatmap's detail)",
      description: "`start` is any instant inside the window. A feature the window or the training profile does not hold is null on that side.",
      request: { params: ModelParam, query: FeatureDistributionQuery },
      responses: { 200: jsonResponse(FeatureDistribution, "The two profile columns"), ...problems },
    }),
    async (c) => {
      const { project, name } = c.req.valid("param");
      return c.json(await getFeatureDistribution({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: project, name, query: c.req.valid("query") }), 200);
    },
  );
