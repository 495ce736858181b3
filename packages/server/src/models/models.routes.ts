import { createRoute } from "@hono/zod-openapi";
import { CreateModel, CreateModelVersion, ListQuery, ModelList, ModelVersion, ModelVersionList, ModelVersionListQuery, RegisteredModel, UpdateModel, UpdateModelVersion } from "@cairn/core";
import { conflict, createRouter, jsonBody, jsonResponse, problems } from "../http/openapi.js";
import { ProjectParam } from "../projects/projects.routes.js";
import { checksRoutes } from "./checks.routes.js";
import { ModelParam, VersionParam } from "./model-params.js";
import { getModelVersion, listModelVersions, updateModelVersion } from "./model-versions.service.js";
import { createModel, getModel, listModels, updateModel } from "./models.service.js";
import { registerModelVersion } from "./register-version.service.js";
import { versionFilesRoutes } from "./version-files.routes.js";

/** Registered models, versions and check results (issue 5). */
export const modelsRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/projects/{project}/models",
      tags: ["models"],
      summary: "Create a registered model (or get the existing one)",
      description: "An existing name returns the model unchanged with 200 (its description and tags are left as they are).",
      request: { params: ProjectParam, body: jsonBody(CreateModel) },
      responses: { 201: jsonResponse(RegisteredModel, "Created"), 200: jsonResponse(RegisteredModel, "Already existed"), ...problems },
    }),
    async (c) => {
      const { model, created } = await createModel({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: c.req.valid("param").project, input: c.req.valid("json") });
      return created ? c.json(model, 201) : c.json(model, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/projects/{project}/models",
      tags: ["models"],
      summary: "List registered models by name, each with its latest version and aliases",
      request: { params: ProjectParam, query: ListQuery },
      responses: { 200: jsonResponse(ModelList, "A page of models"), ...problems },
    }),
    async (c) => c.json(await listModels({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: c.req.valid("param").project, ...c.req.valid("query") }), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/projects/{project}/models/{name}",
      tags: ["models"],
      summary: "Get a registered model",
      request: { params: ModelParam },
      responses: { 200: jsonResponse(RegisteredModel, "The model"), ...problems },
    }),
    async (c) => {
      const { project, name } = c.req.valid("param");
      return c.json(await getModel({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: project, name }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/projects/{project}/models/{name}",
      tags: ["models"],
      summary: "Change a model's description or tags (a null tag value removes the tag)",
      request: { params: ModelParam, body: jsonBody(UpdateModel) },
      responses: { 200: jsonResponse(RegisteredModel, "The model"), ...problems },
    }),
    async (c) => {
      const { project, name } = c.req.valid("param");
      return c.json(await updateModel({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: project, name, input: c.req.valid("json") }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/projects/{project}/models/{name}/versions",
      tags: ["models"],
      summary: "Register a run's file or folder as the model's next version (creates the model on first use)",
      description:
        "`artifactPath` is a file of the run (stored under its base name) or a folder (every file below it, stored relative to it). " +
        "The files are frozen into the version: overwriting or deleting the run's artifacts, or purging the run, does not change it. " +
        "`datasets` default to the run's inputs with their roles, `metrics` to the latest value of each run metric, and the signature's " +
        "inputs to the schema of the `train` dataset minus `labelColumn` (the output). A client `id` seen before returns that version with 200.",
      request: { params: ModelParam, body: jsonBody(CreateModelVersion) },
      responses: { 201: jsonResponse(ModelVersion, "The new version"), 200: jsonResponse(ModelVersion, "This id was registered before"), ...problems, ...conflict },
    }),
    async (c) => {
      const { project, name } = c.req.valid("param");
      const { version, created } = await registerModelVersion({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: project, name, input: c.req.valid("json") });
      return created ? c.json(version, 201) : c.json(version, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/projects/{project}/models/{name}/versions",
      tags: ["models"],
      summary: "List a model's versions, newest first",
      request: { params: ModelParam, query: ModelVersionListQuery },
      responses: { 200: jsonResponse(ModelVersionList, "A page of versions"), ...problems },
    }),
    async (c) => {
      const { project, name } = c.req.valid("param");
      return c.json(await listModelVersions({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: project, name, ...c.req.valid("query") }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/projects/{project}/models/{name}/versions/{version}",
      tags: ["models"],
      summary: "Get a version by number, or `latest` (the newest not archived)",
      request: { params: VersionParam },
      responses: { 200: jsonResponse(ModelVersion, "The version"), ...problems },
    }),
    async (c) => {
      const { project, name, version } = c.req.valid("param");
      return c.json(await getModelVersion({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: project, name, ref: version }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/projects/{project}/models/{name}/versions/{version}",
      tags: ["models"],
      summary: "Change a version's description, tags or archived flag (nothing else of a version changes)",
      request: { params: VersionParam, body: jsonBody(UpdateModelVersion) },
      responses: { 200: jsonResponse(ModelVersion, "The version"), ...problems },
    }),
    async (c) => {
      const { project, name, version } = c.req.valid("param");
      return c.json(await updateModelVersion({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: project, name, ref: version, input: c.req.valid("json") }), 200);
    },
  );

modelsRoutes.route("/", checksRoutes);
modelsRoutes.route("/", versionFilesRoutes);
