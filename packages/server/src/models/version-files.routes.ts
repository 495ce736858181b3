import { createRoute } from "@hono/zod-openapi";
import { decodeArtifactPath, ModelVersionFileList, ModelVersionRef, Problem } from "@cairn/core";
import type { Context } from "hono";
import { z } from "zod";
import { contentHeaders, matchesEtag, parseRange } from "../artifacts/content-headers.js";
import { toWebStream } from "../artifacts/web-stream.js";
import type { AppEnv } from "../http/context.js";
import { ValidationError } from "../http/errors.js";
import { createRouter, jsonResponse, problems } from "../http/openapi.js";
import { VersionParam } from "./model-params.js";
import { getVersionFile, listVersionFiles } from "./version-files.service.js";

const binary = (description: string) => ({ description, content: { "application/octet-stream": { schema: z.string().meta({ format: "binary" }) } } });
const problem = (description: string) => ({ description, content: { "application/problem+json": { schema: Problem } } });

/** The file path from the raw URL, decoded once and normalised as artifact paths are (a 400 naming `path` otherwise). */
function target(c: Context<AppEnv>): { project: string; name: string; ref: string; path: string } {
  const ref = c.req.param("version") ?? "";
  if (!ModelVersionRef.safeParse(ref).success) throw new ValidationError("invalid version", [{ path: "path.version", message: "must be a version number or `latest`" }]);
  const m = /\/versions\/[^/]+\/files\/(.+)$/.exec(new URL(c.req.url).pathname);
  const decoded = decodeArtifactPath(m?.[1] ?? "");
  if (!decoded.ok) throw new ValidationError(`invalid file path: ${decoded.message}`, [{ path: "path", message: decoded.message }]);
  return { project: c.req.param("project") ?? "", name: c.req.param("name") ?? "", ref, path: decoded.path };
}

export const versionFilesRoutes = createRouter().openapi(
  createRoute({
    method: "get",
    path: "/projects/{project}/models/{name}/versions/{version}/files",
    tags: ["models"],
    summary: "A version's frozen files and their digest (what models.load downloads)",
    request: { params: VersionParam },
    responses: { 200: jsonResponse(ModelVersionFileList, "The files, by path"), ...problems },
  }),
  async (c) => {
    const { project, name, version } = c.req.valid("param");
    return c.json(await listVersionFiles({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: project, name, ref: version }), 200);
  },
);

versionFilesRoutes.openAPIRegistry.registerPath({
  method: "get",
  path: "/projects/{project}/models/{name}/versions/{version}/files/{path}",
  tags: ["models"],
  summary: "Download one of a version's files (streamed; HEAD, ranges and ETag supported)",
  description:
    "The bytes frozen at registration, still there after the run's artifact changed or the run was purged. `ETag` is the quoted sha256 " +
    "(`If-None-Match` → 304); one `Range: bytes=` range → 206; outside the file → 416.",
  request: { params: VersionParam.extend({ path: z.string().describe("The file's path in the version, each segment percent-encoded; `/` separates folders") }) },
  responses: { 200: binary("The file"), 206: binary("The requested range"), 304: { description: "Not modified (the ETag matched)" }, 416: problem("Range not satisfiable"), ...problems },
});
versionFilesRoutes.get("/projects/:project/models/:name/versions/:version/files/:path{.+}", async (c) => {
  const { project, name, ref, path } = target(c);
  const ctx = c.get("ctx");
  const file = await getVersionFile({ ctx, actor: c.get("actor"), projectRef: project, name, ref, path });
  const headers = contentHeaders(file, false);
  if (matchesEtag(c.req.header("if-none-match"), file.sha256)) return new Response(null, { status: 304, headers: { etag: headers.etag!, "cache-control": headers["cache-control"]! } });
  const range = parseRange(c.req.header("range"), file.size);
  if (range) headers["content-range"] = `bytes ${range.start}-${range.end}/${file.size}`;
  headers["content-length"] = String(range ? range.end - range.start + 1 : file.size);
  const status = range ? 206 : 200;
  // Hono answers HEAD through this GET handler: open nothing for it.
  if (c.req.method === "HEAD" || file.size === 0) return new Response(null, { status, headers });
  return new Response(toWebStream(await ctx.blobStore.read(file.sha256, range)), { status, headers });
});
