import { type ArtifactFolder, type ArtifactList, normalizeArtifactPath } from "@cairn/core";
import { sql } from "drizzle-orm";
import { authorizeRun } from "../auth/access.js";
import type { Actor } from "../auth/actor.js";
import { rows } from "../db/client.js";
import { decodeCursor, encodeCursor } from "../http/cursor.js";
import { ValidationError } from "../http/errors.js";
import type { ServerContext } from "../server-context.js";
import { type ArtifactRow, toArtifact } from "./artifact-rows.js";

type EntryRow = ArtifactRow & { kind: "file" | "folder"; name: string; count: number };

const isCursor = (v: unknown): v is { after: string } =>
  typeof v === "object" && v !== null && typeof (v as { after?: unknown }).after === "string" && (v as { after: string }).after.length <= 1100;

/**
 * One level of a run's artifacts (files and folders with their file count and total size),
 * or every file below the prefix when recursive. Computed in SQL from the records alone;
 * files and folders share one ordering by name (byte order), so the cursor is the last name.
 */
export async function listArtifacts({
  ctx,
  actor,
  runId,
  query,
}: {
  ctx: ServerContext;
  actor: Actor;
  runId: string;
  query: { prefix?: string | undefined; recursive: boolean; limit: number; cursor?: string | undefined };
}): Promise<ArtifactList> {
  await authorizeRun(ctx, actor, runId, "reader");
  const folder = normalizeArtifactPath(query.prefix ?? "", { folder: true });
  if (!folder.ok) throw new ValidationError(`invalid prefix: ${folder.message}`, [{ path: "query.prefix", message: folder.message }]);
  const prefix = folder.path === "" ? "" : `${folder.path}/`;
  const after = query.cursor === undefined ? null : decodeCursor(query.cursor, isCursor).after;
  const found = await rows<EntryRow>(
    ctx.db.orm,
    sql`with scoped as (
          select a.*, substr(a.path, char_length(${prefix}::text) + 1) as rest
          from artifacts a where a.run_id = ${runId}::uuid and left(a.path, char_length(${prefix}::text)) = ${prefix}::text
        ), entries as (
          select 'file' as kind, path as name, 1 as count, id::text as id, run_id::text as run_id, path, sha256, size::float8 as size, media_type,
                 (extract(epoch from created_at) * 1000)::float8 as created_ms
          from scoped where ${query.recursive}::boolean or strpos(rest, '/') = 0
          union all
          select 'folder', ${prefix}::text || split_part(rest, '/', 1) || '/', count(*)::int, null, null, null, null, sum(size)::float8, null, null
          from scoped where not ${query.recursive}::boolean and strpos(rest, '/') > 0
          group by split_part(rest, '/', 1)
        )
        select * from entries
        where ${after}::text is null or name collate "C" > ${after}::text collate "C"
        order by name collate "C"
        limit ${query.limit + 1}`,
  );
  const page = found.slice(0, query.limit);
  const artifacts = page.filter((r) => r.kind === "file").map(toArtifact);
  const folders: ArtifactFolder[] = page.filter((r) => r.kind === "folder").map((r) => ({ path: r.name, count: Number(r.count), size: Number(r.size) }));
  return { artifacts, folders, nextCursor: found.length > query.limit ? encodeCursor({ after: page[page.length - 1]!.name }) : null };
}
