import { createRoute } from "@hono/zod-openapi";
import { DeleteQuery, Project, ProjectDeletion, Run, RunDeletion } from "@cairn/core";
import { conflict, createRouter, jsonResponse, problems } from "../http/openapi.js";
import { ProjectParam } from "../projects/projects.routes.js";
import { RunParam } from "../runs/runs.routes.js";
import { purgeProject, purgeRun, restoreProject, restoreRun, softDeleteProject, softDeleteRun } from "./deletion.service.js";

/** Soft deletion, restore and purge of runs and projects. */
export const deletionRoutes = createRouter()
  .openapi(
    createRoute({
      method: "delete",
      path: "/runs/{runId}",
      tags: ["deletion"],
      summary: "Delete a run (to the trash; `purge=true` removes it now)",
      description:
        "Soft delete (writer): the run disappears from lists and lookups and every read or write on it is a 404, until restored or purged " +
        "after the retention period. `purge=true` (maintainer) removes the run, its metric points, series, artifact records and dataset links now; " +
        "blobs are left to the artifact GC and the audit log keeps every event.",
      request: { params: RunParam, query: DeleteQuery },
      responses: { 200: jsonResponse(RunDeletion, "What was done"), ...problems },
    }),
    async (c) => {
      const args = { ctx: c.get("ctx"), actor: c.get("actor"), runId: c.req.valid("param").runId };
      return c.json(c.req.valid("query").purge ? await purgeRun(args) : await softDeleteRun(args), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/runs/{runId}/restore",
      tags: ["deletion"],
      summary: "Restore a soft-deleted run (within the retention period)",
      request: { params: RunParam },
      responses: { 200: jsonResponse(Run, "The restored run"), ...problems, ...conflict },
    }),
    async (c) => c.json(await restoreRun({ ctx: c.get("ctx"), actor: c.get("actor"), runId: c.req.valid("param").runId }), 200),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/projects/{project}",
      tags: ["deletion"],
      summary: "Delete a project (to the trash; `purge=true` removes it now)",
      description:
        "Admin role. Soft delete hides the project and all its runs from every list and lookup until restored or purged after the retention period. " +
        "`purge=true` removes the project, its runs with all their data, and its datasets now.",
      request: { params: ProjectParam, query: DeleteQuery },
      responses: { 200: jsonResponse(ProjectDeletion, "What was done"), ...problems },
    }),
    async (c) => {
      const args = { ctx: c.get("ctx"), actor: c.get("actor"), ref: c.req.valid("param").project };
      return c.json(c.req.valid("query").purge ? await purgeProject(args) : await softDeleteProject(args), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/projects/{project}/restore",
      tags: ["deletion"],
      summary: "Restore a soft-deleted project (within the retention period)",
      request: { params: ProjectParam },
      responses: { 200: jsonResponse(Project, "The restored project"), ...problems, ...conflict },
    }),
    async (c) => c.json(await restoreProject({ ctx: c.get("ctx"), actor: c.get("actor"), ref: c.req.valid("param").project }), 200),
  );
