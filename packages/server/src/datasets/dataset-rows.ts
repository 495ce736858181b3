import type { Dataset, DatasetVersion, Role } from "@cairn/core";
import { type SQL, sql } from "drizzle-orm";
import { rows, type Executor } from "../db/client.js";
import type { Actor } from "../auth/actor.js";
import { authorizeProject, authorizeRun } from "../auth/access.js";
import { NotFoundError } from "../http/errors.js";
import type { ServerContext } from "../server-context.js";

/**
 * Raw rows from two drivers that disagree on timestamps, int8 and jsonb: timestamps come
 * back as epoch ms (float8), counts as float8, ids as text, and jsonb is parsed here if
 * a driver hands it over as a string.
 */
export const VERSION_COLUMNS = (withProfile: boolean): SQL =>
  sql.raw(`v.id::text as id, v.dataset_id::text as dataset_id, d.project_id::text as project_id, d.name, v.version,
  v.digest, v.row_count::float8 as row_count, v.schema, ${withProfile ? "v.profile" : "null::jsonb as profile"},
  v.artifact_run_id::text as artifact_run_id, v.artifact_path, v.source,
  (extract(epoch from v.created_at) * 1000)::float8 as created_ms`);

export interface VersionRow {
  id: string;
  dataset_id: string;
  project_id: string;
  name: string;
  version: number;
  digest: string;
  row_count: number | string;
  schema: unknown;
  profile: unknown;
  artifact_run_id: string | null;
  artifact_path: string | null;
  source: string | null;
  created_ms: number | string;
}

const json = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : v);
const iso = (ms: number | string) => new Date(Number(ms)).toISOString();

export function toDatasetVersion(r: VersionRow): DatasetVersion {
  return {
    id: r.id,
    datasetId: r.dataset_id,
    projectId: r.project_id,
    name: r.name,
    version: Number(r.version),
    digest: r.digest,
    rowCount: Number(r.row_count),
    schema: json(r.schema),
    profile: r.profile === null ? null : json(r.profile),
    artifact: r.artifact_run_id && r.artifact_path ? { runId: r.artifact_run_id, path: r.artifact_path } : null,
    source: r.source,
    createdAt: iso(r.created_ms),
  };
}

export const DATASET_COLUMNS = sql.raw(`d.id::text as id, d.project_id::text as project_id, d.name, d.description,
  (extract(epoch from d.created_at) * 1000)::float8 as created_ms,
  (select max(x.version) from dataset_versions x where x.dataset_id = d.id)::int as latest_version`);

export interface DatasetRow {
  id: string;
  project_id: string;
  name: string;
  description: string;
  created_ms: number | string;
  latest_version: number | null;
}

export function toDataset(r: DatasetRow): Dataset {
  return {
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    description: r.description,
    createdAt: iso(r.created_ms),
    latestVersion: r.latest_version === null ? null : Number(r.latest_version),
  };
}

/** The project, if the caller may act on it with `role` and it is not deleted (a deleted one is not found). */
export async function liveProject(db: Executor, actor: Actor, ref: string, role: Role) {
  const project = await authorizeProject(db, actor, ref, role);
  if (project.deletedAt) throw new NotFoundError("project", ref);
  return project;
}

/**
 * The run's project, if the caller may act on it with `role`; a deleted run (or project)
 * is not found. Call it outside a transaction: it reads through the pool (PGlite has one
 * connection, which an open transaction holds).
 */
export async function liveRun(ctx: ServerContext, actor: Actor, runId: string, role: Role): Promise<{ projectId: string }> {
  const owner = await authorizeRun(ctx, actor, runId, role);
  const [row] = await rows<{ deleted: boolean }>(
    ctx.db.orm,
    sql`select (r.deleted_at is not null or p.deleted_at is not null) as deleted
        from runs r join projects p on p.id = r.project_id where r.id = ${runId}::uuid`,
  );
  if (!row || row.deleted) throw new NotFoundError("run", runId);
  return { projectId: owner.id };
}

/** The dataset of a live project by name, or 404. */
export async function requireDataset(db: Executor, projectId: string, name: string): Promise<DatasetRow> {
  const [row] = await rows<DatasetRow>(db, sql`select ${DATASET_COLUMNS} from datasets d where d.project_id = ${projectId}::uuid and d.name = ${name}`);
  if (!row) throw new NotFoundError("dataset", name);
  return row;
}
