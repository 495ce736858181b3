import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import type { ReadableStream as NodeWebStream } from "node:stream/web";
import { createRoute } from "@hono/zod-openapi";
import { Artifact, ArtifactList, ArtifactListQuery, decodeArtifactPath, HEAD_SHA256_HEADER, LinkArtifacts, LinkArtifactsResult, Problem } from "@cairn/core";
import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../http/context.js";
import { ValidationError } from "../http/errors.js";
import { conflict, createRouter, jsonBody, jsonResponse, problems, tooLarge } from "../http/openapi.js";
import { RunParam } from "../runs/runs.routes.js";
import { deleteArtifact, getArtifact, linkArtifacts, mediaTypeFor, toArtifact } from "./artifacts.service.js";
import { contentHeaders, expectedDigest, matchesEtag, parseRange } from "./content-headers.js";
import { fileBody } from "./file-body.js";
import { gcRoutes } from "./gc.routes.js";
import { headProbeDigest } from "./head-probe.service.js";
import { listArtifacts } from "./list.service.js";
import { socketBody } from "./socket-body.js";
import type { UploadBody } from "./store/index.js";
import { putArtifact } from "./upload.service.js";
import { toWebStream } from "./web-stream.js";

/**
 * The run id and the stored path from the raw URL. The router has already decoded the
 * path once for matching; the raw form is used so the one documented rule applies: the
 * tail after `/artifacts/` is percent-decoded exactly once, then normalised (core's
 * `decodeArtifactPath`). Anything refused is a 400 naming `path`.
 */
function target(c: Context<AppEnv>): { runId: string; path: string } {
  const pathname = new URL(c.req.url).pathname;
  const m = /\/runs\/([^/]+)\/artifacts\/(.+)$/.exec(pathname);
  const runId = decodeURIComponent(m?.[1] ?? "").toLowerCase();
  const decoded = decodeArtifactPath(m?.[2] ?? "");
  if (!decoded.ok) throw new ValidationError(`invalid artifact path: ${decoded.message}`, [{ path: "path", message: decoded.message }]);
  return { runId, path: decoded.path };
}

const MEDIA_TYPE = /^[\x20-\x7e]{1,255}$/;

/** The request body as a Node stream: the socket itself on @hono/node-server (no copy into web streams). */
function bodyStream(c: Context<AppEnv>): Readable {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  // Untouched only: once anything has read c.req.raw.body, node-server is already draining the socket into that web stream.
  if (incoming && untouched(incoming)) return incoming;
  const web = c.req.raw.body;
  return web ? Readable.fromWeb(web as unknown as NodeWebStream) : Readable.from([]);
}

const untouched = (incoming: IncomingMessage) => typeof incoming.pipe === "function" && incoming.readableFlowing === null && !incoming.readableDidRead;

/** The upload body: a large one is read off the socket into a reused buffer when the store drains it (socket-body.ts). */
function uploadBody(c: Context<AppEnv>): UploadBody {
  const env = c.env as { incoming?: IncomingMessage; outgoing?: ServerResponse } | undefined;
  const direct = env?.incoming && untouched(env.incoming) ? env.incoming : undefined;
  return socketBody(direct, env?.outgoing, () => bodyStream(c));
}

const ContentParams = RunParam.extend({ path: z.string().describe("The artifact path, each segment percent-encoded; `/` separates folders") });
const binary = (description: string) => ({ description, content: { "application/octet-stream": { schema: z.string().meta({ format: "binary" }) } } });
const problem = (description: string) => ({ description, content: { "application/problem+json": { schema: Problem } } });

export const artifactsRoutes = createRouter();

artifactsRoutes.openAPIRegistry.registerPath({
  method: "put",
  path: "/runs/{runId}/artifacts/{path}",
  tags: ["artifacts"],
  summary: "Upload a file (raw bytes, streamed)",
  description:
    "The body is the file. `Content-Type` is stored as its media type (guessed from the extension when absent or `application/octet-stream`). " +
    "Send `x-cairn-sha256: <hex>` and/or `Repr-Digest: sha-256=:<base64>:` to have the content verified (400 `digest_mismatch`, nothing stored). " +
    "Same path and content again: 200. A new path: 201. Different content at an existing path: 409 `artifact_exists` unless `overwrite=true`. " +
    "`x-cairn-head-sha256: <hex>` (sha256 of the first min(1 MiB, Content-Length) bytes, sent instead of the full digest) asks the server to check, before reading the body, " +
    "whether the run's project stores content of the same size and head: if so, 409 `content_may_exist` with `Connection: close`, nothing read or stored; hash the file and ask by sha256 first.",
  request: {
    params: ContentParams,
    query: z.object({ overwrite: z.enum(["true", "false"]).optional() }),
    headers: z.object({ "x-cairn-sha256": z.string().optional(), "repr-digest": z.string().optional(), [HEAD_SHA256_HEADER]: z.string().optional() }),
    body: { required: true, content: { "*/*": { schema: z.string().meta({ format: "binary" }) } } },
  },
  responses: { 200: jsonResponse(Artifact, "Already stored (same content)"), 201: jsonResponse(Artifact, "Stored"), ...problems, ...conflict, ...tooLarge },
});
artifactsRoutes.put("/runs/:runId/artifacts/:path{.+}", async (c) => {
  const { runId, path } = target(c);
  const given = c.req.header("content-type");
  if (given !== undefined && !MEDIA_TYPE.test(given)) throw new ValidationError("invalid Content-Type", [{ path: "header.content-type", message: "must be printable ASCII, at most 255 characters" }]);
  const length = c.req.header("content-length");
  const headSha256 = headProbeDigest(c.req.header(HEAD_SHA256_HEADER));
  const out = await putArtifact({
    ctx: c.get("ctx"),
    actor: c.get("actor"),
    input: {
      runId,
      path,
      body: uploadBody(c),
      mediaType: mediaTypeFor(path, given),
      contentLength: length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined,
      expectedSha256: expectedDigest(c.req.header("repr-digest"), c.req.header("x-cairn-sha256")),
      headSha256,
      overwrite: c.req.query("overwrite") === "true",
    },
  });
  return c.json(out.artifact, out.status);
});

artifactsRoutes.openAPIRegistry.registerPath({
  method: "get",
  path: "/runs/{runId}/artifacts/{path}",
  tags: ["artifacts"],
  summary: "Download a file (streamed; HEAD, ranges and ETag supported)",
  description:
    "`ETag` is the quoted sha256 (`If-None-Match` → 304). One `Range: bytes=` range → 206 with `Content-Range`; outside the file → 416. " +
    "Served as an attachment; `inline=true` shows images and text in the browser, always with `nosniff` and a sandboxing CSP.",
  request: { params: ContentParams, query: z.object({ inline: z.enum(["true", "false"]).optional() }) },
  responses: {
    200: binary("The file"),
    206: binary("The requested range"),
    304: { description: "Not modified (the ETag matched)" },
    416: problem("Range not satisfiable"),
    ...problems,
  },
});
artifactsRoutes.get("/runs/:runId/artifacts/:path{.+}", async (c) => {
  const { runId, path } = target(c);
  const ctx = c.get("ctx");
  const row = await getArtifact({ ctx, actor: c.get("actor"), runId, path });
  const size = Number(row.size);
  const headers = contentHeaders(row, c.req.query("inline") === "true");
  if (matchesEtag(c.req.header("if-none-match"), row.sha256)) return new Response(null, { status: 304, headers: { etag: headers.etag!, "cache-control": headers["cache-control"]! } });
  const range = parseRange(c.req.header("range"), size);
  if (range) headers["content-range"] = `bytes ${range.start}-${range.end}/${size}`;
  headers["content-length"] = String(range ? range.end - range.start + 1 : size);
  const status = range ? 206 : 200;
  // Hono answers HEAD through this GET handler: open nothing for it.
  if (c.req.method === "HEAD" || size === 0) return new Response(null, { status, headers });
  if (ctx.blobStore.openFile) {
    const file = await ctx.blobStore.openFile(row.sha256);
    const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
    return new Response(fileBody(file, range?.start ?? 0, Number(headers["content-length"]), outgoing), { status, headers });
  }
  const stream = await ctx.blobStore.read(row.sha256, range);
  return new Response(toWebStream(stream), { status, headers });
});

artifactsRoutes.openAPIRegistry.registerPath({
  method: "delete",
  path: "/runs/{runId}/artifacts/{path}",
  tags: ["artifacts"],
  summary: "Delete a file's record (its blob is left to GC)",
  request: { params: ContentParams },
  responses: { 200: jsonResponse(z.object({ id: z.string(), path: z.string() }), "Deleted"), ...problems },
});
artifactsRoutes.delete("/runs/:runId/artifacts/:path{.+}", async (c) => {
  const { runId, path } = target(c);
  return c.json(await deleteArtifact({ ctx: c.get("ctx"), actor: c.get("actor"), runId, path }), 200);
});

artifactsRoutes
  .openapi(
    createRoute({
      method: "get",
      path: "/runs/{runId}/artifacts",
      tags: ["artifacts"],
      summary: "List a run's files and folders",
      description: "One level below `prefix` (files, and folders with their file count and total size), or every file below it with `recursive=true`. Ordered by path.",
      request: { params: RunParam, query: ArtifactListQuery },
      responses: { 200: jsonResponse(ArtifactList, "A page of files and folders"), ...problems },
    }),
    async (c) => c.json(await listArtifacts({ ctx: c.get("ctx"), actor: c.get("actor"), runId: c.req.valid("param").runId, query: c.req.valid("query") }), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/runs/{runId}/artifacts",
      tags: ["artifacts"],
      summary: "Link files the server already stores, by sha256 and size (ask before uploading)",
      description: "Entries whose content (sha256 and size) the server has are linked without sending bytes; the others come back in `missing` to be uploaded with PUT.",
      request: { params: RunParam, body: jsonBody(LinkArtifacts) },
      responses: { 200: jsonResponse(LinkArtifactsResult, "Linked and missing files"), ...problems, ...conflict },
    }),
    async (c) => c.json(await linkArtifacts({ ctx: c.get("ctx"), actor: c.get("actor"), runId: c.req.valid("param").runId, input: c.req.valid("json") }), 200),
  );

export { toArtifact };

// POST /admin/gc lives with the artifacts it collects; mounted here so app.ts needs no entry.
artifactsRoutes.route("/", gcRoutes);
