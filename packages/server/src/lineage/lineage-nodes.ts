import type { LineageNode } from "@cairn/core";
import { sql } from "drizzle-orm";
import { rows, type Executor } from "../db/client.js";
import { type NodeRef, parseAliasId } from "./lineage-edges.js";

const key = (n: NodeRef) => `${n.kind}:${n.id}`;

/** The display facts of every node, one query per kind. Nodes that no longer exist are left out. */
export async function loadNodes(db: Executor, refs: NodeRef[]): Promise<Map<string, LineageNode>> {
  const out = new Map<string, LineageNode>();
  const ids = (kind: NodeRef["kind"]) => [...new Set(refs.filter((r) => r.kind === kind).map((r) => r.id))];
  const runIds = ids("run");
  const versionIds = ids("dataset_version");
  const artifactIds = ids("artifact");
  const modelVersionIds = ids("model_version");
  const aliasKeys = ids("alias").map(parseAliasId).filter((k) => k !== undefined);
  if (runIds.length > 0) {
    for (const r of await rows<{ id: string; project_id: string; name: string; status: string; started_ms: number | string }>(
      db,
      sql`select id::text as id, project_id::text as project_id, name, status, (extract(epoch from started_at) * 1000)::float8 as started_ms
          from runs where id = any(${sql.param(runIds)}::uuid[]) and deleted_at is null`,
    )) {
      const node: LineageNode = {
        kind: "run",
        id: r.id,
        label: r.name,
        projectId: r.project_id,
        attributes: { status: r.status, startedAt: new Date(Number(r.started_ms)).toISOString() },
      };
      out.set(key(node), node);
    }
  }
  if (versionIds.length > 0) {
    for (const v of await rows<{ id: string; project_id: string; name: string; version: number; digest: string; row_count: number | string }>(
      db,
      sql`select v.id::text as id, d.project_id::text as project_id, d.name, v.version, v.digest, v.row_count::float8 as row_count
          from dataset_versions v join datasets d on d.id = v.dataset_id where v.id = any(${sql.param(versionIds)}::uuid[])`,
    )) {
      const node: LineageNode = {
        kind: "dataset_version",
        id: v.id,
        label: `${v.name} v${v.version}`,
        projectId: v.project_id,
        attributes: { name: v.name, version: v.version, digest: v.digest, rowCount: Number(v.row_count) },
      };
      out.set(key(node), node);
    }
  }
  if (artifactIds.length > 0) {
    for (const a of await rows<{ id: string; project_id: string; run_id: string; path: string; sha256: string; size: number | string; media_type: string }>(
      db,
      sql`select a.id::text as id, r.project_id::text as project_id, a.run_id::text as run_id, a.path, a.sha256, a.size::float8 as size, a.media_type
          from artifacts a join runs r on r.id = a.run_id and r.deleted_at is null where a.id = any(${sql.param(artifactIds)}::uuid[])`,
    )) {
      const node: LineageNode = {
        kind: "artifact",
        id: a.id,
        label: a.path,
        projectId: a.project_id,
        attributes: { runId: a.run_id, path: a.path, sha256: a.sha256, size: Number(a.size), mediaType: a.media_type },
      };
      out.set(key(node), node);
    }
  }
  if (modelVersionIds.length > 0) {
    for (const v of await rows<{ id: string; project_id: string; name: string; version: number; digest: string; archived: boolean; aliases: string }>(
      db,
      sql`select v.id::text as id, m.project_id::text as project_id, m.name, v.version, v.digest, v.archived,
                 coalesce((select json_agg(a.alias order by a.alias) from model_aliases a where a.model_version_id = v.id), '[]'::json)::text as aliases
          from model_versions v join registered_models m on m.id = v.model_id where v.id = any(${sql.param(modelVersionIds)}::uuid[])`,
    )) {
      const node: LineageNode = {
        kind: "model_version",
        id: v.id,
        label: `${v.name} v${v.version}`,
        projectId: v.project_id,
        attributes: { model: v.name, version: Number(v.version), digest: v.digest, archived: v.archived, aliases: JSON.parse(v.aliases) as string[] },
      };
      out.set(key(node), node);
    }
  }
  if (aliasKeys.length > 0) {
    for (const a of await rows<{ model_id: string; alias: string; project_id: string; name: string; version: number; model_version_id: string }>(
      db,
      sql`select a.model_id::text as model_id, a.alias, m.project_id::text as project_id, m.name, v.version, v.id::text as model_version_id
          from model_aliases a join registered_models m on m.id = a.model_id join model_versions v on v.id = a.model_version_id
          join unnest(${sql.param(aliasKeys.map((k) => k.modelId))}::uuid[], ${sql.param(aliasKeys.map((k) => k.alias))}::text[]) as k(model_id, alias)
            on k.model_id = a.model_id and k.alias = a.alias`,
    )) {
      const node: LineageNode = {
        kind: "alias",
        id: `${a.model_id}:${a.alias}`,
        label: `${a.name}@${a.alias}`,
        projectId: a.project_id,
        attributes: { model: a.name, alias: a.alias, version: Number(a.version), modelVersionId: a.model_version_id },
      };
      out.set(key(node), node);
    }
  }
  return out;
}

export { key as nodeKey };
