import { type CompiledReference, compileReference, type DatasetProfile, type ModelSignature } from "@cairn/core";
import { sql } from "drizzle-orm";
import { rows, type Executor } from "../db/client.js";
import { NotFoundError } from "../http/errors.js";
import { textArray } from "../db/pg-array.js";

/**
 * Model versions are immutable once registered, so (project, model, version) → id and a
 * version's compiled training reference are cached per process; only a deleted model or a
 * purged project can make an entry stale, and the TTL bounds that.
 */
const TTL_MS = 60_000;
const MAX_ENTRIES = 10_000;

interface Entry<T> {
  value: T;
  at: number;
}

class TtlCache<T> {
  private readonly map = new Map<string, Entry<T>>();
  get(key: string): T | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    if (Date.now() - e.at > TTL_MS) {
      this.map.delete(key);
      return undefined;
    }
    return e.value;
  }
  set(key: string, value: T): void {
    if (this.map.size >= MAX_ENTRIES) this.map.delete(this.map.keys().next().value!);
    this.map.set(key, { value, at: Date.now() });
  }
}

const versionIds = new TtlCache<string>();
const references = new TtlCache<CompiledReference>();

export const versionKey = (model: string, version: number) => `${model}\u0000${version}`;

/**
 * The model version ids of the batch's (model, version) pairs in this project; one unknown
 * pair fails the whole batch with a 404 before anything is stored.
 */
export async function resolveVersions(db: Executor, projectId: string, pairs: Iterable<{ model: string; version: number }>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const missing = new Map<string, { model: string; version: number }>();
  for (const p of pairs) {
    const key = versionKey(p.model, p.version);
    if (out.has(key) || missing.has(key)) continue;
    const id = versionIds.get(`${projectId}\u0000${key}`);
    if (id) out.set(key, id);
    else missing.set(key, p);
  }
  // Versions are int4: a number past it names no version (and must not reach a cast).
  const wanted = [...missing.values()].filter((w) => w.version <= 2_147_483_647);
  if (wanted.length === 0) {
    const [first] = missing.values();
    if (first) throw new NotFoundError("model version", `${first.model} v${first.version}`);
    return out;
  }
  const found = await rows<{ id: string; name: string; version: number }>(
    db,
    sql`select v.id::text as id, m.name, v.version from model_versions v join registered_models m on m.id = v.model_id
        join unnest(${textArray(wanted.map((w) => w.model))}::text[], ${textArray(wanted.map((w) => String(w.version)))}::int4[]) as w(name, version)
          on m.name = w.name and v.version = w.version
        where m.project_id = ${projectId}::uuid`,
  );
  for (const f of found) {
    const key = versionKey(f.name, Number(f.version));
    out.set(key, f.id);
    versionIds.set(`${projectId}\u0000${key}`, f.id);
  }
  for (const [key, w] of missing) if (!out.has(key)) throw new NotFoundError("model version", `${w.model} v${w.version}`);
  return out;
}

/** Each version's training profile (its dataset with role `train`) and signature, compiled for aggregation. */
export async function loadReferences(db: Executor, versionIdList: Iterable<string>): Promise<Map<string, CompiledReference>> {
  const out = new Map<string, CompiledReference>();
  const missing: string[] = [];
  for (const id of new Set(versionIdList)) {
    const r = references.get(id);
    if (r) out.set(id, r);
    else missing.push(id);
  }
  if (missing.length === 0) return out;
  const found = await rows<{ id: string; signature: ModelSignature | null; profile: DatasetProfile | null }>(
    db,
    sql`select v.id::text as id, v.signature,
          (select d.profile from model_version_datasets mvd join dataset_versions d on d.id = mvd.dataset_version_id
            where mvd.model_version_id = v.id and mvd.role = 'train' order by d.created_at desc limit 1) as profile
        from model_versions v where v.id = any(${textArray(missing)}::uuid[])`,
  );
  for (const f of found) {
    const compiled = compileReference({ profile: parseJson(f.profile), signature: parseJson(f.signature) });
    references.set(f.id, compiled);
    out.set(f.id, compiled);
  }
  return out;
}

/** jsonb comes back parsed from postgres.js and PGlite alike, but a string from some paths: accept both. */
function parseJson<T>(v: T | string | null): T | null {
  return typeof v === "string" ? (JSON.parse(v) as T) : v;
}
