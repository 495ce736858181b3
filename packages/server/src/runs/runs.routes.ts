import { createRoute } from "@hono/zod-openapi";
import { CreateRun, GetRunQuery, Heartbeat, LogParams, ParamsResponse, Run, RunList, RunSearchQuery, UpdateRun } from "@cairn/core";
import { z } from "zod";
import { conflict, createRouter, jsonBody, jsonResponse, problems } from "../http/openapi.js";
import { ProjectParam } from "../projects/projects.routes.js";
import { getParams, logParams } from "./params.service.js";
import { searchRuns } from "./run-search.service.js";
import { createRun, getRun, recordHeartbeat, updateRun } from "./runs.service.js";

/** Run ids are UUIDs in any case on the way in; one canonical (lower) case inside. */
export const RunParam = z.object({ runId: z.string().min(1).max(100).transform((s) => s.toLowerCase()).describe("Run id (UUID)") });

export const runsRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/projects/{project}/runs",
      tags: ["runs"],
      summary: "Create a run (idempotent with a client-supplied UUIDv7 id)",
      request: { params: ProjectParam, body: jsonBody(CreateRun) },
      responses: {
        201: jsonResponse(Run, "The new run"),
        200: jsonResponse(Run, "The run already existed with this id"),
        ...problems,
        ...conflict,
      },
    }),
    async (c) => {
      const { run, created } = await createRun({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: c.req.valid("param").project, input: c.req.valid("json") });
      return created ? c.json(run, 201) : c.json(run, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/projects/{project}/runs",
      tags: ["runs"],
      summary: "Search runs",
      description:
        'Filter with the run filter language, e.g. `metrics.accuracy > 0.9 and params.optimizer = "adam"`; ' +
        "order with e.g. `metrics.loss asc`. A syntax error is a 400 with `code: invalid_filter` and the column in `errors[0].position`.",
      request: { params: ProjectParam, query: RunSearchQuery },
      responses: { 200: jsonResponse(RunList, "A page of runs"), ...problems },
    }),
    async (c) => c.json(await searchRuns({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: c.req.valid("param").project, query: c.req.valid("query") }), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/runs/{runId}",
      tags: ["runs"],
      summary: "Get a run with its params, tags and metric summaries",
      description: "A soft-deleted run is a 404 unless `includeDeleted=true`.",
      request: { params: RunParam, query: GetRunQuery },
      responses: { 200: jsonResponse(Run, "The run"), ...problems },
    }),
    async (c) => c.json(await getRun({ ctx: c.get("ctx"), actor: c.get("actor"), runId: c.req.valid("param").runId, includeDeleted: c.req.valid("query").includeDeleted }), 200),
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/runs/{runId}",
      tags: ["runs"],
      summary: "Update status, name, notes, tags or end time",
      request: { params: RunParam, body: jsonBody(UpdateRun) },
      responses: { 200: jsonResponse(Run, "The updated run"), ...problems, ...conflict },
    }),
    async (c) => c.json(await updateRun({ ctx: c.get("ctx"), actor: c.get("actor"), runId: c.req.valid("param").runId, input: c.req.valid("json") }), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/runs/{runId}/heartbeat",
      tags: ["runs"],
      summary: "Tell the server the run is alive (the SDK sends one every 30 s)",
      request: { params: RunParam },
      responses: { 200: jsonResponse(Heartbeat, "Recorded"), ...problems },
    }),
    async (c) => c.json(await recordHeartbeat({ ctx: c.get("ctx"), actor: c.get("actor"), runId: c.req.valid("param").runId }), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/runs/{runId}/params",
      tags: ["runs"],
      summary: "Log params (immutable: the same value again is a no-op, a different one a 409)",
      request: { params: RunParam, body: jsonBody(LogParams) },
      responses: { 200: jsonResponse(ParamsResponse, "All params of the run"), ...problems, ...conflict },
    }),
    async (c) => c.json({ params: await logParams({ ctx: c.get("ctx"), actor: c.get("actor"), runId: c.req.valid("param").runId, params: c.req.valid("json").params }) }, 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/runs/{runId}/params",
      tags: ["runs"],
      summary: "Get a run's params",
      request: { params: RunParam },
      responses: { 200: jsonResponse(ParamsResponse, "All params of the run"), ...problems },
    }),
    async (c) => c.json({ params: await getParams({ ctx: c.get("ctx"), actor: c.get("actor"), runId: c.req.valid("param").runId }) }, 200),
  );
