import { type CheckResult, ModelName, type ModelVersion, type RegisteredModel } from "@cairn/core";
import { type SQL, sql } from "drizzle-orm";
import { rows, type Executor } from "../db/client.js";
import { NotFoundError, ValidationError } from "../http/errors.js";

/**
 * Raw rows of the registry, shaped alike by both drivers: ids as text, timestamps as epoch
 * ms (float8), aggregates as JSON text parsed here (PGlite and postgres.js differ on json).
 */
const json = <T>(v: unknown): T => (typeof v === "string" ? JSON.parse(v) : v) as T;
const iso = (ms: number | string) => new Date(Number(ms)).toISOString();

/** The URL's model name is checked as the body's would be: a bad one is a 400 naming `path.name`. */
export function checkModelName(name: string): void {
  const parsed = ModelName.safeParse(name);
  if (!parsed.success) throw new ValidationError(`invalid model name: ${parsed.error.issues[0]!.message}`, [{ path: "path.name", message: parsed.error.issues[0]!.message }]);
}

// ---- Registered models ----

export const MODEL_COLUMNS = sql.raw(`m.id::text as id, m.project_id::text as project_id, m.name, m.description, m.tags,
  (extract(epoch from m.created_at) * 1000)::float8 as created_ms, (extract(epoch from m.updated_at) * 1000)::float8 as updated_ms,
  (select max(x.version) from model_versions x where x.model_id = m.id)::int as latest_version,
  coalesce((select json_object_agg(a.alias, v.version order by a.alias) from model_aliases a join model_versions v on v.id = a.model_version_id
            where a.model_id = m.id), '{}'::json)::text as aliases`);

export interface ModelRow {
  id: string;
  project_id: string;
  name: string;
  description: string;
  tags: unknown;
  created_ms: number | string;
  updated_ms: number | string;
  latest_version: number | null;
  aliases: unknown;
}

export function toRegisteredModel(r: ModelRow): RegisteredModel {
  return {
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    description: r.description,
    tags: json(r.tags),
    latestVersion: r.latest_version === null ? null : Number(r.latest_version),
    aliases: json(r.aliases),
    createdAt: iso(r.created_ms),
    updatedAt: iso(r.updated_ms),
  };
}

export async function findModel(db: Executor, projectId: string, name: string, forUpdate = false): Promise<ModelRow | undefined> {
  const [row] = await rows<ModelRow>(
    db,
    forUpdate
      ? // FOR UPDATE cannot sit beside the aggregates: lock the row first, then read it whole.
        sql`select ${MODEL_COLUMNS} from registered_models m where m.id = (select id from registered_models where project_id = ${projectId}::uuid and name = ${name} for update)`
      : sql`select ${MODEL_COLUMNS} from registered_models m where m.project_id = ${projectId}::uuid and m.name = ${name}`,
  );
  return row;
}

export async function requireModel(db: Executor, projectId: string, name: string, forUpdate = false): Promise<ModelRow> {
  checkModelName(name);
  const row = await findModel(db, projectId, name, forUpdate);
  if (!row) throw new NotFoundError("model", name);
  return row;
}

// ---- Versions ----

const VERSION_COLUMNS = sql.raw(`v.id::text as id, v.model_id::text as model_id, m.project_id::text as project_id, m.name as model_name,
  v.version, v.run_id::text as run_id, v.artifact_path, v.digest, v.signature::text as signature, v.metrics::text as metrics, v.framework,
  v.description, v.tags::text as tags, v.archived, v.created_by, (extract(epoch from v.created_at) * 1000)::float8 as created_ms,
  coalesce((select json_agg(json_build_object('path', f.path, 'sha256', f.sha256, 'size', f.size) order by f.path collate "C")
            from model_version_files f where f.model_version_id = v.id), '[]'::json)::text as files,
  coalesce((select json_agg(json_build_object('datasetVersionId', dv.id, 'role', x.role, 'datasetName', d.name, 'version', dv.version)
                            order by x.role collate "C", d.name collate "C", dv.version)
            from model_version_datasets x join dataset_versions dv on dv.id = x.dataset_version_id join datasets d on d.id = dv.dataset_id
            where x.model_version_id = v.id), '[]'::json)::text as datasets,
  coalesce((select json_agg(a.alias order by a.alias) from model_aliases a where a.model_version_id = v.id), '[]'::json)::text as aliases`);

export interface VersionRow {
  id: string;
  model_id: string;
  project_id: string;
  model_name: string;
  version: number;
  run_id: string | null;
  artifact_path: string;
  digest: string;
  signature: string | null;
  metrics: string;
  framework: string | null;
  description: string;
  tags: string;
  archived: boolean;
  created_by: string;
  created_ms: number | string;
  files: string;
  datasets: string;
  aliases: string;
}

export function toModelVersion(r: VersionRow): ModelVersion {
  return {
    id: r.id,
    modelId: r.model_id,
    projectId: r.project_id,
    modelName: r.model_name,
    version: Number(r.version),
    runId: r.run_id,
    artifactPath: r.artifact_path,
    digest: r.digest,
    files: json<ModelVersion["files"]>(r.files).map((f) => ({ ...f, size: Number(f.size) })),
    signature: r.signature === null ? null : json(r.signature),
    datasets: json(r.datasets),
    metrics: json(r.metrics),
    framework: r.framework,
    description: r.description,
    tags: json(r.tags),
    archived: r.archived,
    aliases: json(r.aliases),
    createdBy: r.created_by,
    createdAt: iso(r.created_ms),
  };
}

/**
 * Versions matching `where` (over `v` model_versions and `m` registered_models), whole:
 * files, datasets with their names, and the aliases pointing at each. The gate's alias
 * responses read versions through this too.
 */
export async function loadVersions(db: Executor, where: SQL, tail: SQL = sql``): Promise<ModelVersion[]> {
  const found = await rows<VersionRow>(db, sql`select ${VERSION_COLUMNS} from model_versions v join registered_models m on m.id = v.model_id where ${where} ${tail}`);
  return found.map(toModelVersion);
}

const MAX_VERSION = 2_147_483_647;

/** `ref` is a number or `latest` (the newest version not archived); 404 when there is none. */
export async function resolveVersion(db: Executor, model: { id: string; name: string }, ref: string): Promise<ModelVersion> {
  const where =
    ref === "latest"
      ? sql`v.model_id = ${model.id}::uuid and v.version = (select max(version) from model_versions where model_id = ${model.id}::uuid and not archived)`
      : sql`v.model_id = ${model.id}::uuid and v.version = ${Math.min(Number(ref), MAX_VERSION)}::int`;
  const [version] = await loadVersions(db, where);
  if (!version) throw new NotFoundError(`version of model ${JSON.stringify(model.name)}`, ref);
  return version;
}

// ---- Check results ----

export const CHECK_COLUMNS = sql.raw(`c.id::text as id, c.model_version_id::text as model_version_id, v.version, c.kind, c.name, c.status,
  c.figures::text as figures, c.datasets::text as datasets, c.tool::text as tool, c.source, c.created_by,
  (extract(epoch from c.created_at) * 1000)::float8 as created_ms`);

export interface CheckRow {
  id: string;
  model_version_id: string;
  version: number;
  kind: string;
  name: string | null;
  status: CheckResult["status"];
  figures: string;
  datasets: string;
  tool: string | null;
  source: CheckResult["source"];
  created_by: string;
  created_ms: number | string;
}

export function toCheckResult(r: CheckRow): CheckResult {
  return {
    id: r.id,
    modelVersionId: r.model_version_id,
    version: Number(r.version),
    kind: r.kind,
    name: r.name,
    status: r.status,
    figures: json(r.figures),
    datasets: json(r.datasets),
    tool: r.tool === null ? null : json(r.tool),
    source: r.source,
    createdBy: r.created_by,
    createdAt: iso(r.created_ms),
  };
}
