import { createHash } from "node:crypto";
import { CONTENT_MAY_EXIST, HEAD_SHA256_HEADER, headProbeBytes } from "@cairn/core";
import { sql } from "drizzle-orm";
import { rows } from "../db/client.js";
import { HttpError, ValidationError } from "../http/errors.js";
import type { ServerContext } from "../server-context.js";

/**
 * Stored contents of one size a probe compares at most. Each costs one small read from the
 * store; past this many the answer is "may exist" without reading any (the client then pays
 * one hash pass, as it did before the probe existed).
 */
export const HEAD_PROBE_MAX_CANDIDATES = 8;

/** The `x-cairn-head-sha256` header, checked: undefined when absent, 400 naming it when malformed. */
export function headProbeDigest(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const hex = header.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new ValidationError(`invalid ${HEAD_SHA256_HEADER}`, [{ path: `header.${HEAD_SHA256_HEADER}`, message: "must be 64 hex digits" }]);
  return hex;
}

/** 409 `content_may_exist`: answered before the body is read, so nothing was stored. */
export class ContentMayExistError extends HttpError {
  constructor() {
    super(409, CONTENT_MAY_EXIST, "content of this size and head may already be stored; send its sha256 first (POST /runs/{runId}/artifacts) or PUT it with x-cairn-sha256", [
      { path: `header.${HEAD_SHA256_HEADER}`, message: "matches stored content: ask by sha256" },
    ], { connection: "close" }); // the body was never read: close rather than drain it to keep the connection
  }
}

/**
 * Refuses (before any body byte is read) an upload whose content the project may already
 * store: some artifact of the same project with exactly `size` bytes whose first bytes hash
 * to `headSha256`. Only the run's own project is searched, so the answer says nothing about
 * other projects' files (docs/adr/0003-artifact-store.md). A match is not proof of equality,
 * only a reason for the client to hash the file and ask by sha256.
 */
export async function refuseIfContentMayExist(ctx: ServerContext, projectId: string, size: number, headSha256: string): Promise<void> {
  const candidates = await rows<{ sha256: string }>(
    ctx.db.orm,
    // From the contents of exactly this size (blobs_size_idx: few), each kept only when an
    // artifact of this project uses it (artifacts_sha256_idx), not from every artifact of the project.
    sql`select b.sha256 from blobs b
        where b.size = ${size}
          and exists (select 1 from artifacts a join runs r on r.id = a.run_id where a.sha256 = b.sha256 and r.project_id = ${projectId}::uuid)
        limit ${HEAD_PROBE_MAX_CANDIDATES + 1}`,
  );
  if (candidates.length > HEAD_PROBE_MAX_CANDIDATES) throw new ContentMayExistError();
  const length = headProbeBytes(size);
  for (const { sha256 } of candidates) {
    if ((await headDigest(ctx, sha256, length)) === headSha256) throw new ContentMayExistError();
  }
}

/** sha256 of a stored blob's first `length` bytes; undefined when the blob cannot be read (GC'd meanwhile: no match). */
async function headDigest(ctx: ServerContext, sha256: string, length: number): Promise<string | undefined> {
  const h = createHash("sha256");
  try {
    if (length > 0) for await (const chunk of await ctx.blobStore.read(sha256, { start: 0, end: length - 1 })) h.update(chunk as Buffer);
  } catch (err) {
    ctx.log.warn({ err, sha256 }, "head probe could not read a stored blob");
    return undefined;
  }
  return h.digest("hex");
}
