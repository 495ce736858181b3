import type { DatasetProfile, ModelSignature } from "@cairn/core";
import { sql } from "drizzle-orm";
import { type Executor, rows } from "../db/client.js";
import { NotFoundError } from "../http/errors.js";

const MAX_VERSION = 2_147_483_647;

/** A model version as the report needs it: its id and the training dataset its drift is measured against. */
export interface MonitoredVersion {
  id: string;
  version: number;
  signature: ModelSignature | null;
  /** The dataset version with role `train` (the first by name when several), null when none. */
  train: { datasetVersionId: string; name: string; version: number } | null;
}

/** The model's versions (one, when `version` is given; newest first); an unknown version is a 404. */
export async function monitoredVersions(db: Executor, modelId: string, modelName: string, version?: number): Promise<MonitoredVersion[]> {
  // Version numbers are int4: a larger one names no version (and must not reach a cast).
  if (version !== undefined && version > MAX_VERSION) throw new NotFoundError("model version", `${modelName} v${version}`);
  const found = await rows<{ id: string; version: number; signature: string | null; train_id: string | null; train_name: string | null; train_version: number | null }>(
    db,
    sql`select v.id::text as id, v.version::int as version, v.signature::text as signature, t.dataset_version_id::text as train_id, t.name as train_name, t.version::int as train_version
        from model_versions v
        left join lateral (
          select x.dataset_version_id, d.name, dv.version from model_version_datasets x
          join dataset_versions dv on dv.id = x.dataset_version_id join datasets d on d.id = dv.dataset_id
          where x.model_version_id = v.id and x.role = 'train' order by d.name collate "C", dv.version limit 1
        ) t on true
        where v.model_id = ${modelId}::uuid ${version !== undefined ? sql`and v.version = ${version}` : sql``}
        order by v.version desc`,
  );
  if (version !== undefined && found.length === 0) throw new NotFoundError("model version", `${modelName} v${version}`);
  return found.map((r) => ({
    id: r.id,
    version: Number(r.version),
    signature: r.signature ? (JSON.parse(r.signature) as ModelSignature) : null,
    train: r.train_id ? { datasetVersionId: r.train_id, name: r.train_name!, version: Number(r.train_version) } : null,
  }));
}

// A dataset version's profile never changes once stored: cache it by id for the process.
const profiles = new Map<string, DatasetProfile | null>();
const PROFILE_CACHE_MAX = 256;

/** The stored profile of a dataset version (null when it was stored without one). */
export async function datasetVersionProfile(db: Executor, datasetVersionId: string): Promise<DatasetProfile | null> {
  const hit = profiles.get(datasetVersionId);
  if (hit !== undefined) return hit;
  const [row] = await rows<{ profile: string | null }>(db, sql`select profile::text as profile from dataset_versions where id = ${datasetVersionId}::uuid`);
  const profile = row?.profile ? (JSON.parse(row.profile) as DatasetProfile) : null;
  if (profiles.size >= PROFILE_CACHE_MAX) profiles.delete(profiles.keys().next().value!);
  profiles.set(datasetVersionId, profile);
  return profile;
}
