import type { Artifact } from "@cairn/core";
import { type SQL, sql } from "drizzle-orm";
import { rows, type Executor } from "../db/client.js";
import { NotFoundError } from "../http/errors.js";
import { authorizeRun } from "../auth/access.js";
import type { Actor } from "../auth/actor.js";
import type { ServerContext } from "../server-context.js";
import type { Role } from "@cairn/core";

export interface ArtifactRow {
  id: string;
  run_id: string;
  path: string;
  sha256: string;
  size: number;
  media_type: string;
  created_ms: number;
}

/** Casts make both drivers return the same shapes (text ids, float8 numbers). */
export const ARTIFACT_COLUMNS: SQL = sql.raw(
  "id::text as id, run_id::text as run_id, path, sha256, size::float8 as size, media_type, (extract(epoch from created_at) * 1000)::float8 as created_ms",
);

export function toArtifact(r: ArtifactRow): Artifact {
  return {
    id: r.id,
    runId: r.run_id,
    path: r.path,
    sha256: r.sha256,
    size: Number(r.size),
    mediaType: r.media_type,
    createdAt: new Date(Number(r.created_ms)).toISOString(),
  };
}

export async function findArtifact(db: Executor, runId: string, path: string, forUpdate = false): Promise<ArtifactRow | undefined> {
  const [row] = await rows<ArtifactRow>(
    db,
    sql`select ${ARTIFACT_COLUMNS} from artifacts where run_id = ${runId}::uuid and path = ${path} ${forUpdate ? sql`for update` : sql``}`,
  );
  return row;
}

/**
 * Authorises the caller on the run and refuses a soft-deleted run (or one in a deleted
 * project) with the same 404 as a missing one: its artifacts are on their way out.
 */
export async function authorizeLiveRun(ctx: ServerContext, actor: Actor, runId: string, needed: Role): Promise<{ id: string; name: string }> {
  const owner = await authorizeRun(ctx, actor, runId, needed);
  const [live] = await rows<{ live: boolean }>(
    ctx.db.orm,
    sql`select (r.deleted_at is null and p.deleted_at is null) as live from runs r join projects p on p.id = r.project_id where r.id = ${runId}::uuid`,
  );
  if (!live?.live) throw new NotFoundError("run", runId);
  return owner;
}
