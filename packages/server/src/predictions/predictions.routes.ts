import { createRoute } from "@hono/zod-openapi";
import { decodePredictionColumns, fieldErrors, isColumnarBody, LogLabels, LogLabelsResult, LogPredictions, LogPredictionsColumnar, LogPredictionsResult, parsePredictionBatch, PredictionRecord, UuidV7 } from "@cairn/core";
import { z } from "zod";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HttpError, PayloadTooLargeError, ValidationError } from "../http/errors.js";
import { createRouter, jsonBody, jsonResponse, problems, tooLarge } from "../http/openapi.js";
import { ProjectParam } from "../projects/projects.routes.js";
import { batchOfColumns, batchOfRows, type IngestBatch } from "./batch.js";
import { ingestPredictions } from "./ingest.service.js";
import { ingestLabels } from "./labels.service.js";
import { getPrediction } from "./read.service.js";

/** 10,000 predictions of a few dozen features each; labels share the limit. */
export const MAX_PREDICTIONS_BODY_BYTES = 16 * 1024 * 1024;

/** Prediction and label batches have their own body limit and parser (app.ts skips the default ones). */
export const isPredictionsBatch = (c: Context) => c.req.method === "POST" && /\/projects\/[^/]+\/(predictions|labels)$/.test(c.req.path);

const batchBodyLimit = bodyLimit({
  maxSize: MAX_PREDICTIONS_BODY_BYTES,
  onError: () => {
    throw new PayloadTooLargeError(MAX_PREDICTIONS_BODY_BYTES);
  },
});

async function jsonOf(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw new HttpError(400, "invalid_json", "the request body is not valid JSON", [{ path: "(body)", message: "malformed JSON" }]);
  }
}

const invalid = (what: string, errors: Array<{ path: string; message: string }>) =>
  new ValidationError(`invalid ${what}: ${errors.slice(0, 3).map((e) => `${e.path}: ${e.message}`).join("; ")}${errors.length > 3 ? "; …" : ""}`, errors.slice(0, 100));

/** Prediction and label ingestion (issue 6). */
export const predictionsRoutes = createRouter();

predictionsRoutes.openAPIRegistry.registerPath({
  method: "post",
  path: "/projects/{project}/predictions",
  tags: ["monitoring"],
  summary: "Log a batch of production predictions (≤ 10,000; idempotent on the prediction id)",
  description:
    "Each prediction names its model and version; one unknown (model, version) fails the batch with a 404 and nothing is stored. " +
    "Features must be a flat object of scalars (400 naming the index otherwise). A prediction whose id is already stored is skipped " +
    "and counted in `duplicates`, so a retried batch never doubles anything. Ids (UUIDv7) and timestamps must lie within the retention period and at most a day ahead. " +
    "The batch may also come in columns (`LogPredictionsColumnar`, what the SDK sends): the numbers of all rows as one base64 block of float64s, " +
    "errors named as in the row form (`predictions[17].features.x`) or by the structural field (`columns.numbers`).",
  request: { params: ProjectParam, body: jsonBody(z.union([LogPredictions, LogPredictionsColumnar])) },
  responses: { 200: jsonResponse(LogPredictionsResult, "Stored"), ...problems, ...tooLarge },
});

// The hot path: hand-written checks of both contracts (for the row form, zod names the fields when it fails).
predictionsRoutes.post("/projects/:project/predictions", batchBodyLimit, async (c) => {
  const body = await jsonOf(c);
  let batch: IngestBatch;
  if (isColumnarBody(body)) {
    // The columns are stored and aggregated as decoded: no object per row.
    const decoded = decodePredictionColumns(body);
    if (!decoded.ok) throw invalid("predictions", decoded.errors);
    batch = batchOfColumns(decoded.batch);
  } else {
    const parsed = parsePredictionBatch(body);
    if (!parsed.ok) throw invalid("predictions", parsed.errors);
    batch = batchOfRows(parsed.predictions);
  }
  return c.json(await ingestPredictions({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: c.req.param("project"), batch }), 200);
});

predictionsRoutes.openAPIRegistry.registerPath({
  method: "post",
  path: "/projects/{project}/labels",
  tags: ["monitoring"],
  summary: "Log ground truth for predictions by id (≤ 10,000)",
  description:
    "A label whose prediction is stored is matched at once and counts in that prediction's window; otherwise it is kept pending " +
    "(`pending` in the answer) and matched when the prediction arrives, or reported as orphaned after CAIRN_LABEL_PENDING_HOURS. " +
    "A matched label is final: sending a different one later changes nothing; a pending one is replaced.",
  request: { params: ProjectParam, body: jsonBody(LogLabels) },
  responses: { 200: jsonResponse(LogLabelsResult, "Stored"), ...problems, ...tooLarge },
});

predictionsRoutes.post("/projects/:project/labels", batchBodyLimit, async (c) => {
  const parsed = LogLabels.safeParse(await jsonOf(c));
  if (!parsed.success) throw invalid("labels", fieldErrors(parsed.error));
  return c.json(await ingestLabels({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: c.req.param("project"), labels: parsed.data.labels }), 200);
});

predictionsRoutes.openapi(
  createRoute({
    method: "get",
    path: "/projects/{project}/predictions/{id}",
    tags: ["monitoring"],
    summary: "One stored prediction with its label",
    request: { params: ProjectParam.extend({ id: UuidV7 }) },
    responses: { 200: jsonResponse(PredictionRecord, "The prediction"), ...problems },
  }),
  async (c) => {
    const { project, id } = c.req.valid("param");
    return c.json(await getPrediction({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: project, id }), 200);
  },
);
