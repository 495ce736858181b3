import { createRoute } from "@hono/zod-openapi";
import { Key, LogMetrics, parseMetricBatch, LogMetricsResult, MAX_METRICS_BODY_BYTES, MetricHistory, MetricHistoryQuery, MetricSummaryList } from "@cairn/core";
import { bodyLimit } from "hono/body-limit";
import { HttpError, PayloadTooLargeError, ValidationError } from "../http/errors.js";
import { createRouter, jsonBody, jsonResponse, problems, tooLarge } from "../http/openapi.js";
import { RunParam } from "../runs/runs.routes.js";
import { getMetricHistory, listMetrics } from "./history.service.js";
import { ingestMetrics } from "./ingest.service.js";

const metricsBodyLimit = bodyLimit({
  maxSize: MAX_METRICS_BODY_BYTES,
  onError: () => {
    throw new PayloadTooLargeError(MAX_METRICS_BODY_BYTES);
  },
});

export const metricsRoutes = createRouter();
metricsRoutes.openAPIRegistry.registerPath({
  method: "post",
  path: "/runs/{runId}/metrics",
  tags: ["metrics"],
  summary: "Log a batch of metric points (≤ 10,000; idempotent on run, key, step)",
  description:
    "Send `points` (one object per point) or `series` (columns per key: the SDK's compact form). " +
    "The whole batch is validated before anything is written and written in one transaction. " +
    "A point whose (key, step) is already stored is skipped and counted in `duplicates`, so a retried batch never doubles.",
  request: { params: RunParam, body: jsonBody(LogMetrics) },
  responses: { 200: jsonResponse(LogMetricsResult, "Stored"), ...problems, ...tooLarge },
});

// The hot path: validated by the hand-written parser in core (same contract as the
// LogMetrics schema above, which documents it) rather than zod, at ~20x the speed.
metricsRoutes.post("/runs/:runId/metrics", metricsBodyLimit, async (c) => {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new HttpError(400, "invalid_json", "the request body is not valid JSON", [{ path: "(body)", message: "malformed JSON" }]);
  }
  const parsed = parseMetricBatch(body);
  if (!parsed.ok) throw new ValidationError(`invalid metrics batch: ${parsed.errors.slice(0, 3).map((e) => `${e.path}: ${e.message}`).join("; ")}`, parsed.errors);
  return c.json(await ingestMetrics({ ctx: c.get("ctx"), actor: c.get("actor"), runId: c.req.param("runId").toLowerCase(), batch: parsed.columns }), 200);
});

metricsRoutes
  .openapi(
    createRoute({
      method: "get",
      path: "/runs/{runId}/metrics",
      tags: ["metrics"],
      summary: "List a run's metric keys with their summaries",
      request: { params: RunParam },
      responses: { 200: jsonResponse(MetricSummaryList, "Summaries"), ...problems },
    }),
    async (c) => c.json(await listMetrics({ ctx: c.get("ctx"), actor: c.get("actor"), runId: c.req.valid("param").runId }), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/runs/{runId}/metrics/{key}",
      tags: ["metrics"],
      summary: "A metric's history, downsampled by min/max to at most maxPoints",
      description: "URL-encode the key (`val%2Floss`). `fromStep`/`toStep` select a range (zoom).",
      request: { params: RunParam.extend({ key: Key }), query: MetricHistoryQuery },
      responses: { 200: jsonResponse(MetricHistory, "The history in columns"), ...problems },
    }),
    async (c) => {
      const { runId, key } = c.req.valid("param");
      const json = await getMetricHistory({ ctx: c.get("ctx"), actor: c.get("actor"), runId, key, query: c.req.valid("query") });
      return c.body(json, 200, { "content-type": "application/json" }) as never;
    },
  );
