import { createRoute } from "@hono/zod-openapi";
import {
  CreateDatasetVersion,
  Dataset,
  DatasetList,
  DatasetVersion,
  DatasetVersionList,
  DatasetVersionListQuery,
  DatasetVersionRef,
  ListQuery,
  RunDataset,
  RunDatasetLink,
  RunDatasetList,
} from "@cairn/core";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import { PayloadTooLargeError } from "../http/errors.js";
import { createRouter, jsonBody, jsonResponse, problems, tooLarge } from "../http/openapi.js";
import { ProjectParam } from "../projects/projects.routes.js";
import { RunParam } from "../runs/runs.routes.js";
import { getDataset, listDatasets } from "./datasets.service.js";
import { createDatasetVersion, getDatasetVersion, getDatasetVersionById, listDatasetVersions } from "./dataset-versions.service.js";
import { type Direction, linkRunDataset, listRunDatasets } from "./run-datasets.service.js";

/**
 * A profile takes ~11 KiB a column, so a wide dataset (a few hundred columns) outgrows the
 * default JSON body limit: creating a version has its own (app.ts applies it instead of the default).
 */
export const MAX_DATASET_VERSION_BYTES = 32 * 1024 * 1024;
export const isDatasetVersionCreate = (c: Context) => c.req.method === "POST" && /\/projects\/[^/]+\/datasets\/.+\/versions$/.test(c.req.path);
/** Applied in app.ts in place of the default, before the JSON depth scan reads the body. */
export const datasetVersionBodyLimit = bodyLimit({
  maxSize: MAX_DATASET_VERSION_BYTES,
  onError: () => {
    throw new PayloadTooLargeError(MAX_DATASET_VERSION_BYTES);
  },
});

// The name is checked in the service (a 400 naming `path.name`); names may contain `/`, sent as %2F.
const DatasetParam = ProjectParam.extend({ name: z.string().min(1).max(1000).describe("Dataset name (URL-encoded)") });
const VersionParam = DatasetParam.extend({ version: DatasetVersionRef.describe("Version number, `latest`, or digest `sha256:<hex>`") });
const IdParam = z.object({ id: z.string().min(1).max(100).describe("Dataset version id (UUID)") });

const linkRoute = (direction: Direction) =>
  createRoute({
    method: "post",
    path: `/runs/{runId}/${direction}s`,
    tags: ["datasets"],
    summary: direction === "input" ? "Record a dataset version the run read (idempotent)" : "Record a dataset version the run produced (idempotent)",
    request: { params: RunParam, body: jsonBody(RunDatasetLink) },
    responses: { 201: jsonResponse(RunDataset, "Linked"), 200: jsonResponse(RunDataset, "Already linked"), ...problems },
  });

export const datasetsRoutes = createRouter()
  .openapi(
    createRoute({
      method: "post",
      path: "/projects/{project}/datasets/{name}/versions",
      tags: ["datasets"],
      summary: "Create a dataset version (idempotent by digest; creates the dataset on first use)",
      description:
        "The same digest again returns the stored version with 200. A profile that does not match the schema is a 400 naming the column. " +
        "Bodies up to 32 MiB (wide profiles).",
      request: { params: DatasetParam, body: jsonBody(CreateDatasetVersion) },
      responses: { 201: jsonResponse(DatasetVersion, "The new version"), 200: jsonResponse(DatasetVersion, "The version with this digest already existed"), ...problems, ...tooLarge },
    }),
    async (c) => {
      const { project, name } = c.req.valid("param");
      const { version, created } = await createDatasetVersion({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: project, name, input: c.req.valid("json") });
      return created ? c.json(version, 201) : c.json(version, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/projects/{project}/datasets",
      tags: ["datasets"],
      summary: "List datasets by name, each with its latest version number",
      request: { params: ProjectParam, query: ListQuery },
      responses: { 200: jsonResponse(DatasetList, "A page of datasets"), ...problems },
    }),
    async (c) => c.json(await listDatasets({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: c.req.valid("param").project, ...c.req.valid("query") }), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/projects/{project}/datasets/{name}",
      tags: ["datasets"],
      summary: "Get a dataset",
      request: { params: DatasetParam },
      responses: { 200: jsonResponse(Dataset, "The dataset"), ...problems },
    }),
    async (c) => {
      const { project, name } = c.req.valid("param");
      return c.json(await getDataset({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: project, name }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/projects/{project}/datasets/{name}/versions",
      tags: ["datasets"],
      summary: "List a dataset's versions, newest first (profiles with `include=profile`)",
      request: { params: DatasetParam, query: DatasetVersionListQuery },
      responses: { 200: jsonResponse(DatasetVersionList, "A page of versions"), ...problems },
    }),
    async (c) => {
      const { project, name } = c.req.valid("param");
      return c.json(await listDatasetVersions({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: project, name, ...c.req.valid("query") }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/projects/{project}/datasets/{name}/versions/{version}",
      tags: ["datasets"],
      summary: "Get a dataset version by number, `latest`, or digest",
      request: { params: VersionParam },
      responses: { 200: jsonResponse(DatasetVersion, "The version with its schema and profile"), ...problems },
    }),
    async (c) => {
      const { project, name, version } = c.req.valid("param");
      return c.json(await getDatasetVersion({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: project, name, ref: version }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/dataset-versions/{id}",
      tags: ["datasets"],
      summary: "Get a dataset version by id",
      request: { params: IdParam },
      responses: { 200: jsonResponse(DatasetVersion, "The version with its schema and profile"), ...problems },
    }),
    async (c) => c.json(await getDatasetVersionById({ ctx: c.get("ctx"), actor: c.get("actor"), id: c.req.valid("param").id }), 200),
  )
  .openapi(linkRoute("input"), async (c) => {
    const { link, created } = await linkRunDataset({ ctx: c.get("ctx"), actor: c.get("actor"), runId: c.req.valid("param").runId, direction: "input", input: c.req.valid("json") });
    return created ? c.json(link, 201) : c.json(link, 200);
  })
  .openapi(linkRoute("output"), async (c) => {
    const { link, created } = await linkRunDataset({ ctx: c.get("ctx"), actor: c.get("actor"), runId: c.req.valid("param").runId, direction: "output", input: c.req.valid("json") });
    return created ? c.json(link, 201) : c.json(link, 200);
  })
  .openapi(
    createRoute({
      method: "get",
      path: "/runs/{runId}/datasets",
      tags: ["datasets"],
      summary: "A run's input and output dataset versions with their roles",
      request: { params: RunParam },
      responses: { 200: jsonResponse(RunDatasetList, "Inputs first, then outputs"), ...problems },
    }),
    async (c) => c.json(await listRunDatasets({ ctx: c.get("ctx"), actor: c.get("actor"), runId: c.req.valid("param").runId }), 200),
  );
