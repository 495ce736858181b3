import { createRoute } from "@hono/zod-openapi";
import { CheckListQuery, CheckResult, CheckResultList, ComputeCheck, CreateCheckResult } from "@cairn/core";
import { conflict, createRouter, jsonBody, jsonResponse, problems } from "../http/openapi.js";
import { createCheck, listChecks } from "./checks.service.js";
import { computeCheck } from "./compute-checks.service.js";
import { VersionParam } from "./model-params.js";

export const checksRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/projects/{project}/models/{name}/versions/{version}/checks",
      tags: ["models"],
      summary: "Record a check result against a version (figures stored as sent)",
      description: "A client `id` seen before returns the stored result with 200. Each `datasets[i].datasetVersionId` must be a dataset version of this project.",
      request: { params: VersionParam, body: jsonBody(CreateCheckResult) },
      responses: { 201: jsonResponse(CheckResult, "Stored"), 200: jsonResponse(CheckResult, "This id was stored before"), ...problems, ...conflict },
    }),
    async (c) => {
      const { project, name, version } = c.req.valid("param");
      const { check, created } = await createCheck({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: project, name, ref: version, input: c.req.valid("json") });
      return created ? c.json(check, 201) : c.json(check, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/projects/{project}/models/{name}/versions/{version}/checks",
      tags: ["models"],
      summary: "A version's check results, newest first (optionally of one kind)",
      request: { params: VersionParam, query: CheckListQuery },
      responses: { 200: jsonResponse(CheckResultList, "A page of check results"), ...problems },
    }),
    async (c) => {
      const { project, name, version } = c.req.valid("param");
      return c.json(await listChecks({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: project, name, ref: version, ...c.req.valid("query") }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/projects/{project}/models/{name}/versions/{version}/checks/compute",
      tags: ["models"],
      summary: "Compute a check from stored data (skew against the training profile, signature compatibility with an alias) and record it",
      description:
        "`skew`: serving data against the profile of this version's `train` dataset, over the signature's inputs (or `columns`): either a dataset version's profile " +
        "(`datasetVersionId`; a missing profile is a 400) or the features of the predictions logged for this version in `window` (widened to whole UTC hours, at most 31 days; " +
        "the profile is merged from the stored hourly aggregates). A window with fewer than `minRows` predictions (default 30), none included, is stored as `not_enough_data`; " +
        "the result is named `window` and its figures carry `window: {from, to, rows, requested}`. " +
        "`schema`: this version's signature against that of the version `compatibleWith` points at; an alias with no version passes (first deployment). " +
        "Stored as a check result with source `server`.",
      request: { params: VersionParam, body: jsonBody(ComputeCheck) },
      responses: { 201: jsonResponse(CheckResult, "The computed result, stored"), ...problems },
    }),
    async (c) => {
      const { project, name, version } = c.req.valid("param");
      return c.json(await computeCheck({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: project, name, ref: version, input: c.req.valid("json") }), 201);
    },
  );
