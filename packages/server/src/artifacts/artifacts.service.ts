import { type LinkArtifacts, type LinkArtifactsResult, normalizeArtifactPath } from "@cairn/core";
import { sql } from "drizzle-orm";
import { lookup } from "mime-types";
import { auditQueryFromOrm, recordAudit } from "../audit/audit.service.js";
import { authorizeRun } from "../auth/access.js";
import type { Actor } from "../auth/actor.js";
import { rows } from "../db/client.js";
import { NotFoundError, ValidationError } from "../http/errors.js";
import type { ServerContext } from "../server-context.js";
import { type ArtifactRow, authorizeLiveRun, findArtifact, toArtifact } from "./artifact-rows.js";
import { auditWrite, linkBlob, type LinkOutcome } from "./upload.service.js";

/** The stored media type: the client's, unless it said nothing useful; then a guess from the extension. */
export function mediaTypeFor(path: string, given: string | undefined): string {
  const declared = given?.trim();
  if (declared && declared.toLowerCase() !== "application/octet-stream") return declared;
  return lookup(path) || "application/octet-stream";
}

/** The record of one artifact, for a download (the caller streams the blob). */
export async function getArtifact({ ctx, actor, runId, path }: { ctx: ServerContext; actor: Actor; runId: string; path: string }): Promise<ArtifactRow> {
  await authorizeRun(ctx, actor, runId, "reader");
  const row = await findArtifact(ctx.db.orm, runId, path);
  if (!row) throw new NotFoundError("artifact", path);
  return row;
}

/** Removes the record; the blob stays until GC finds nothing references it. */
export async function deleteArtifact({ ctx, actor, runId, path }: { ctx: ServerContext; actor: Actor; runId: string; path: string }) {
  const owner = await authorizeLiveRun(ctx, actor, runId, "writer");
  return ctx.db.orm.transaction(async (tx) => {
    const [row] = await rows<{ id: string; sha256: string; size: number }>(
      tx,
      sql`delete from artifacts where run_id = ${runId}::uuid and path = ${path} returning id::text as id, sha256, size::float8 as size`,
    );
    if (!row) throw new NotFoundError("artifact", path);
    await recordAudit(auditQueryFromOrm(tx), actor, {
      action: "artifact.delete",
      subject: { kind: "artifact", id: row.id },
      projectId: owner.id,
      before: { runId, path, sha256: row.sha256, size: Number(row.size) },
    });
    return { id: row.id, path };
  });
}

/**
 * Links every entry whose blob (sha256 and size) the server already stores; returns the
 * rest as missing. Requiring the size as well as the hash means a caller must know more
 * than a leaked digest to claim someone else's file (see docs/adr/0003-artifact-store.md).
 */
export async function linkArtifacts({ ctx, actor, runId, input }: { ctx: ServerContext; actor: Actor; runId: string; input: LinkArtifacts }): Promise<LinkArtifactsResult> {
  const owner = await authorizeLiveRun(ctx, actor, runId, "writer");
  const entries = input.artifacts.map((a, i) => {
    const p = normalizeArtifactPath(a.path);
    if (!p.ok) throw new ValidationError(`invalid artifact path: ${p.message}`, [{ path: `artifacts[${i}].path`, message: p.message }]);
    return { ...a, path: p.path, field: `artifacts[${i}].path` };
  });
  const seen = new Set<string>();
  entries.forEach((e) => {
    if (seen.has(e.path)) throw new ValidationError("the same path is listed twice", [{ path: e.field, message: "duplicate path" }]);
    seen.add(e.path);
  });
  return ctx.db.orm.transaction(async (tx) => {
    // Touching the rows locks them: GC cannot remove these blobs before this transaction commits.
    const have = await rows<{ sha256: string; size: number }>(
      tx,
      sql`update blobs set touched_at = now() where sha256 = any(${sql.param([...new Set(entries.map((e) => e.sha256))])}::text[]) and size >= 0
          returning sha256, size::float8 as size`,
    );
    const sizes = new Map(have.map((h) => [h.sha256, Number(h.size)]));
    const result: LinkArtifactsResult = { linked: [], missing: [] };
    const changed: LinkOutcome[] = [];
    for (const e of entries) {
      if (sizes.get(e.sha256) !== e.size) {
        result.missing.push({ path: e.path, sha256: e.sha256 });
        continue;
      }
      const entry = { runId, path: e.path, sha256: e.sha256, size: e.size, mediaType: mediaTypeFor(e.path, e.mediaType), overwrite: input.overwrite ?? false, field: e.field };
      const out = await linkBlob(tx, entry, async () => {});
      result.linked.push(out.artifact);
      if (out.changed) changed.push(out);
    }
    if (changed.length === 1) await auditWrite(tx, actor, owner.id, changed[0]!);
    else if (changed.length > 1) {
      // One event per request: the paths and digests it linked (capped: a batch holds up to 1,000).
      const replaced = changed.filter((c) => c.replaced);
      await recordAudit(auditQueryFromOrm(tx), actor, {
        action: replaced.length > 0 ? "artifact.overwrite" : "artifact.create",
        subject: { kind: "run", id: runId },
        projectId: owner.id,
        before: replaced.length > 0 ? { artifacts: replaced.slice(0, 100).map((c) => ({ path: c.replaced!.path, sha256: c.replaced!.sha256 })) } : null,
        after: { count: changed.length, artifacts: changed.slice(0, 100).map((c) => ({ path: c.artifact.path, sha256: c.artifact.sha256, size: c.artifact.size })) },
      });
    }
    return result;
  });
}

export { toArtifact };
