import { createRoute } from "@hono/zod-openapi";
import { Key, LogMetrics, parseMetricBatch, LogMetricsResult, MAX_METRICS_BODY_BYTES, MetricHistoriesQuery, MetricHistory, MetricHistoryList, MetricHistoryQuery, MetricSummaryList } from "@cairn/core";
import { bodyLimit } from "hono/body-limit";
import { HttpError, PayloadTooLargeError, ValidationError } from "../http/errors.js";
import { createRouter, jsonBody, jsonResponse, problems, tooLarge } from "../http/openapi.js";
import { RunParam } from "../runs/runs.routes.js";
import { getMetricHistories } from "./histories.service.js";
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
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/metrics/histories",
      tags: ["metrics"],
      summary: "Many metric histories in one read (≤ 200 series of any runs), each downsampled as the single-key read",
      description:
        "Reads only: a POST because a page of charts does not fit in a URL (as MLflow's runs/search). " +
        "Each series names a run and a key, optionally `fromStep`/`toStep`; all share `maxPoints`. " +
        "The answer lists the histories in request order, each what `GET /runs/{runId}/metrics/{key}` answers. " +
        "A run the key may not read or a missing key is a 404 naming the series (`series[3].runId`, `series[3].key`).",
      request: { body: jsonBody(MetricHistoriesQuery) },
      responses: { 200: jsonResponse(MetricHistoryList, "The histories in request order"), ...problems },
    }),
    async (c) => {
      const json = await getMetricHistories({ ctx: c.get("ctx"), actor: c.get("actor"), query: c.req.valid("json") as Required<MetricHistoriesQuery> });
      return c.body(json, 200, { "content-type": "application/json" }) as never;
    },
  );
