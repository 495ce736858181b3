import { createRoute } from "@hono/zod-openapi";
import { GcRequest, GcResult } from "@cairn/core";
import { requireRole } from "../auth/actor.js";
import { ForbiddenError } from "../http/errors.js";
import { createRouter, jsonBody, jsonResponse, problems } from "../http/openapi.js";
import { collectGarbage } from "./gc.service.js";

export const gcRoutes = createRouter().openapi(
  createRoute({
    method: "post",
    path: "/admin/gc",
    tags: ["artifacts"],
    summary: "Collect unreferenced blobs (admin; dry run by default)",
    description:
      "Lists (dryRun, the default) or removes blobs no artifact references that no upload touched within the grace period, " +
      "temporary uploads and unrecorded objects older than a day. `purgeExpired` first purges runs and projects deleted longer ago than the retention period.",
    request: { body: jsonBody(GcRequest) },
    responses: { 200: jsonResponse(GcResult, "What was (or would be) removed"), ...problems },
  }),
  async (c) => {
    const actor = c.get("actor");
    const ctx = c.get("ctx");
    requireRole(actor, "admin");
    // Blobs are shared across projects: only an admin over every project may collect them.
    if (actor.projects !== "*") throw new ForbiddenError("garbage collection needs an admin key for all projects");
    const body = c.req.valid("json");
    const graceMs = body.graceHours !== undefined ? body.graceHours * 3_600_000 : ctx.config.gcGraceMs;
    return c.json(await collectGarbage(ctx, actor, { dryRun: body.dryRun, graceMs, purgeExpired: body.purgeExpired }), 200);
  },
);
