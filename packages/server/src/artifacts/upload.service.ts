import type { Readable } from "node:stream";
import { type Artifact, uuidv7 } from "@cairn/core";
import { sql } from "drizzle-orm";
import { auditQueryFromOrm, recordAudit } from "../audit/audit.service.js";
import type { Actor } from "../auth/actor.js";
import { rows, type Executor } from "../db/client.js";
import { HttpError, PayloadTooLargeError, ValidationError } from "../http/errors.js";
import type { ServerContext } from "../server-context.js";
import { ARTIFACT_COLUMNS, type ArtifactRow, authorizeLiveRun, findArtifact, toArtifact } from "./artifact-rows.js";
import { refuseIfContentMayExist } from "./head-probe.service.js";
import { DigestMismatchError, type StagedBlob, TooLargeError, type UploadBody } from "./store/index.js";

/** 409 with the stable code the SDK branches on. */
export class ArtifactExistsError extends HttpError {
  constructor(path: string, field = "path") {
    super(409, "artifact_exists", `an artifact with different content exists at ${JSON.stringify(path)}; send overwrite=true to replace it`, [
      { path: field, message: "exists with different content" },
    ]);
  }
}

/**
 * Reserves a blob row (or refreshes it) so GC leaves the content alone while it is being
 * uploaded. Size -1 marks "not yet stored": link-by-sha never matches it. Returns how to
 * undo the reservation when the upload fails, so a refused upload leaves stored data as it was.
 */
export async function reserveBlob(db: Executor, sha256: string): Promise<() => Promise<void>> {
  const [r] = await rows<{ prev: string | null; now: string }>(
    db,
    sql`with prev as (select touched_at from blobs where sha256 = ${sha256})
        insert into blobs (sha256, size) values (${sha256}, -1) on conflict (sha256) do update set touched_at = now()
        returning (select touched_at::text from prev) as prev, touched_at::text as now`,
  );
  return async () => {
    if (r?.prev === null) {
      await db.execute(sql`delete from blobs b where b.sha256 = ${sha256} and b.size = -1 and not exists (select 1 from artifacts a where a.sha256 = b.sha256)`);
    } else if (r) {
      // Only if no other upload touched it since.
      await db.execute(sql`update blobs set touched_at = ${r.prev}::timestamptz where sha256 = ${sha256} and touched_at = ${r.now}::timestamptz`);
    }
  };
}

export interface PutArtifactInput {
  runId: string;
  path: string;
  body: Readable | UploadBody;
  mediaType: string;
  contentLength: number | undefined;
  expectedSha256: string | undefined;
  /** `x-cairn-head-sha256`: probed against the project's stored content before the body is read (head-probe.service.ts). */
  headSha256?: string | undefined;
  overwrite: boolean;
}

export interface WriteOutcome {
  artifact: Artifact;
  status: 200 | 201;
}

/**
 * Streams the body into the store (hashing as it goes), then, in one transaction holding
 * the blob's row lock: decides create / same / conflict / overwrite, makes the blob
 * visible, writes the record and the audit event. Anything that fails leaves no record
 * and no visible blob.
 */
export async function putArtifact({ ctx, actor, input }: { ctx: ServerContext; actor: Actor; input: PutArtifactInput }): Promise<WriteOutcome> {
  const owner = await authorizeLiveRun(ctx, actor, input.runId, "writer");
  const max = ctx.config.maxArtifactBytes;
  if (input.contentLength !== undefined && input.contentLength > max) throw new PayloadTooLargeError(max);
  // With the full digest the store verifies the content anyway; without a length there is no size to match.
  if (input.headSha256 !== undefined && input.expectedSha256 === undefined && input.contentLength !== undefined) {
    await refuseIfContentMayExist(ctx, owner.id, input.contentLength, input.headSha256);
  }
  const unreserve = input.expectedSha256 ? await reserveBlob(ctx.db.orm, input.expectedSha256) : async () => {};
  let staged: StagedBlob;
  try {
    staged = await ctx.blobStore.stage(input.body, { maxBytes: max, expectedSha256: input.expectedSha256, expectedBytes: input.contentLength });
  } catch (e) {
    await unreserve().catch((err: unknown) => ctx.log.warn({ err }, "could not release a blob reservation"));
    if (e instanceof TooLargeError) throw new PayloadTooLargeError(max);
    if (e instanceof DigestMismatchError) {
      throw new ValidationError(e.message, [{ path: "header.x-cairn-sha256", message: `does not match the content (sha256 ${e.actual})` }], "digest_mismatch");
    }
    if (isDisconnect(e)) throw new HttpError(400, "validation_failed", "the upload was interrupted before the body ended", [{ path: "(body)", message: "incomplete" }]);
    throw e;
  }
  try {
    return await ctx.db.orm.transaction(async (tx) => {
      const entry = { runId: input.runId, path: input.path, sha256: staged.sha256, size: staged.size, mediaType: input.mediaType, overwrite: input.overwrite };
      const out = await linkBlob(tx, entry, () => staged.place());
      await auditWrite(tx, actor, owner.id, out);
      return { artifact: out.artifact, status: out.status };
    });
  } catch (e) {
    // A conflict (or any failure) after staging: the record was not written, nor is the reservation kept.
    await unreserve().catch((err: unknown) => ctx.log.warn({ err }, "could not release a blob reservation"));
    throw e;
  } finally {
    await staged.discard().catch((e: unknown) => ctx.log.warn({ err: e }, "could not remove a temporary upload"));
  }
}

/** The client went away mid-body: nothing to answer, and not a server fault worth an error log. */
function isDisconnect(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === "ECONNRESET" || code === "ERR_STREAM_PREMATURE_CLOSE" || code === "ECONNABORTED";
}

export interface LinkEntry {
  runId: string;
  path: string;
  sha256: string;
  size: number;
  mediaType: string;
  overwrite: boolean;
  field?: string;
}

/**
 * Records `path → sha256` for a run inside `tx`. The blob row is upserted first, which
 * locks it until commit: GC deletes objects only while holding that lock, so the object
 * `place` makes visible cannot be collected before the record referencing it commits.
 * The caller records the audit event (one per request).
 */
export interface LinkOutcome extends WriteOutcome {
  /** false when the same content was already at the path (nothing to audit). */
  changed: boolean;
  replaced?: ArtifactRow;
}

export async function linkBlob(tx: Executor, e: LinkEntry, place: () => Promise<void>): Promise<LinkOutcome> {
  await tx.execute(
    sql`insert into blobs (sha256, size) values (${e.sha256}, ${e.size}) on conflict (sha256) do update set touched_at = now(), size = excluded.size`,
  );
  const existing = await findArtifact(tx, e.runId, e.path, true);
  if (existing && existing.sha256 === e.sha256) return { artifact: toArtifact(existing), status: 200, changed: false };
  if (existing && !e.overwrite) throw new ArtifactExistsError(e.path, e.field);
  await place();
  const [row] = existing
    ? await rows<ArtifactRow>(
        tx,
        sql`update artifacts set sha256 = ${e.sha256}, size = ${e.size}, media_type = ${e.mediaType}, created_at = now()
            where run_id = ${e.runId}::uuid and path = ${e.path} returning ${ARTIFACT_COLUMNS}`,
      )
    : await rows<ArtifactRow>(
        tx,
        sql`insert into artifacts (id, run_id, path, sha256, size, media_type) values (${uuidv7()}::uuid, ${e.runId}::uuid, ${e.path}, ${e.sha256}, ${e.size}, ${e.mediaType})
            on conflict (run_id, path) do nothing returning ${ARTIFACT_COLUMNS}`,
      );
  // A concurrent upload to the same new path won: the client's retry will see it and decide.
  if (!row) throw new ArtifactExistsError(e.path, e.field);
  return { artifact: toArtifact(row), status: existing ? 200 : 201, changed: true, ...(existing ? { replaced: existing } : {}) };
}

/** One audit event for an upload that changed something. */
export async function auditWrite(tx: Executor, actor: Actor, projectId: string, out: LinkOutcome): Promise<void> {
  if (!out.changed) return;
  const { artifact, replaced } = out;
  await recordAudit(auditQueryFromOrm(tx), actor, {
    action: replaced ? "artifact.overwrite" : "artifact.create",
    subject: { kind: "artifact", id: artifact.id },
    projectId,
    before: replaced ? { path: replaced.path, sha256: replaced.sha256, size: Number(replaced.size) } : null,
    after: { runId: artifact.runId, path: artifact.path, sha256: artifact.sha256, size: artifact.size, mediaType: artifact.mediaType },
  });
}

