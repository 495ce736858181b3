import type { ModelVersionFileList } from "@cairn/core";
import { sql } from "drizzle-orm";
import { lookup } from "mime-types";
import type { Actor } from "../auth/actor.js";
import { rows } from "../db/client.js";
import { liveProject } from "../datasets/dataset-rows.js";
import { NotFoundError } from "../http/errors.js";
import type { ServerContext } from "../server-context.js";
import { requireModel, resolveVersion } from "./model-rows.js";

type VersionScope = { ctx: ServerContext; actor: Actor; projectRef: string; name: string; ref: string };

/** The frozen file list: what `models.load` downloads, with the digest it caches under. */
export async function listVersionFiles({ ctx, actor, projectRef, name, ref }: VersionScope): Promise<ModelVersionFileList> {
  const project = await liveProject(ctx.db.orm, actor, projectRef, "reader");
  const version = await resolveVersion(ctx.db.orm, await requireModel(ctx.db.orm, project.id, name), ref);
  return { version: version.version, digest: version.digest, files: version.files };
}

/** One frozen file's record, for a download (the route streams the blob). */
export async function getVersionFile({ ctx, actor, projectRef, name, ref, path }: VersionScope & { path: string }) {
  const project = await liveProject(ctx.db.orm, actor, projectRef, "reader");
  const model = await requireModel(ctx.db.orm, project.id, name);
  const version = await resolveVersion(ctx.db.orm, model, ref);
  const [file] = await rows<{ path: string; sha256: string; size: number | string }>(
    ctx.db.orm,
    sql`select path, sha256, size::float8 as size from model_version_files where model_version_id = ${version.id}::uuid and path = ${path}`,
  );
  if (!file) throw new NotFoundError(`file of ${model.name} v${version.version}`, path);
  return { path: file.path, sha256: file.sha256, size: Number(file.size), media_type: lookup(file.path) || "application/octet-stream" };
}
