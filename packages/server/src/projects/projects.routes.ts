import { createRoute } from "@hono/zod-openapi";
import { CreateProject, Project, ProjectList, ProjectListQuery } from "@cairn/core";
import { z } from "zod";
import { conflict, createRouter, jsonBody, jsonResponse, problems } from "../http/openapi.js";
import { createProject, getProject, listProjects } from "./projects.service.js";

export const ProjectParam = z.object({ project: z.string().min(1).max(100).describe("Project name or id") });

export const projectsRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/projects",
      tags: ["projects"],
      summary: "Create a project",
      request: { body: jsonBody(CreateProject) },
      responses: { 201: jsonResponse(Project, "The new project"), ...problems, ...conflict },
    }),
    async (c) => c.json(await createProject({ ctx: c.get("ctx"), actor: c.get("actor"), input: c.req.valid("json") }), 201),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/projects",
      tags: ["projects"],
      summary: "List projects by name",
      description: "`deleted=only` lists the trash: soft-deleted projects with `deletedAt` and `purgeAt` (admin role).",
      request: { query: ProjectListQuery },
      responses: { 200: jsonResponse(ProjectList, "A page of projects"), ...problems },
    }),
    async (c) => c.json(await listProjects({ ctx: c.get("ctx"), actor: c.get("actor"), ...c.req.valid("query") }), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/projects/{project}",
      tags: ["projects"],
      summary: "Get a project by name or id",
      request: { params: ProjectParam },
      responses: { 200: jsonResponse(Project, "The project"), ...problems },
    }),
    async (c) => c.json(await getProject({ ctx: c.get("ctx"), actor: c.get("actor"), ref: c.req.valid("param").project }), 200),
  );
