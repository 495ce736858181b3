import type { LineageEdge, LineageKind } from "@cairn/core";
import { sql } from "drizzle-orm";
import { rows, type Executor } from "../db/client.js";

export type NodeRef = { kind: LineageKind; id: string };
export type Direction = "up" | "down";

/**
 * One hop of the graph for a whole frontier: a handful of set-based queries per level,
 * never one per node. Edges point the way data flows (dataset → run → artifact,
 * run → its rerun, parent → child, run and training data → model version → alias);
 * "up" follows them backwards.
 * Soft-deleted runs are not part of the graph.
 */
export async function neighbours(db: Executor, frontier: NodeRef[], direction: Direction): Promise<LineageEdge[]> {
  const ids = (kind: LineageKind) => frontier.filter((n) => n.kind === kind).map((n) => n.id);
  const runIds = ids("run");
  const versionIds = ids("dataset_version");
  const artifactIds = ids("artifact");
  const modelVersionIds = ids("model_version");
  const aliasIds = ids("alias");
  const edges: LineageEdge[] = [];
  const add = (from: NodeRef, to: NodeRef, relation: string, role?: string) => edges.push({ from, to, relation, ...(role ? { role } : {}) });
  const run = (id: string): NodeRef => ({ kind: "run", id });
  const version = (id: string): NodeRef => ({ kind: "dataset_version", id });
  const artifact = (id: string): NodeRef => ({ kind: "artifact", id });
  const modelVersion = (id: string): NodeRef => ({ kind: "model_version", id });
  const alias = (id: string): NodeRef => ({ kind: "alias", id });

  if (runIds.length > 0) {
    const datasetDirection = direction === "up" ? "input" : "output";
    for (const r of await rows<{ run_id: string; version_id: string; role: string }>(
      db,
      sql`select rd.run_id::text as run_id, rd.dataset_version_id::text as version_id, rd.role
          from run_datasets rd where rd.run_id = any(${sql.param(runIds)}::uuid[]) and rd.direction = ${datasetDirection}
          order by rd.created_at, rd.role`,
    )) {
      if (direction === "up") add(version(r.version_id), run(r.run_id), "input", r.role);
      else add(run(r.run_id), version(r.version_id), "output", r.role);
    }
    // Reruns and child runs flow down from the original and the parent.
    const related = await rows<{ id: string; other: string; relation: string }>(
      db,
      direction === "up"
        ? sql`select r.id::text as id, r.retrained_from::text as other, 'retrained_from' as relation from runs r
                join runs o on o.id = r.retrained_from and o.deleted_at is null
              where r.id = any(${sql.param(runIds)}::uuid[]) and r.retrained_from is not null
              union all
              select r.id::text, r.parent_id::text, 'parent' from runs r
                join runs o on o.id = r.parent_id and o.deleted_at is null
              where r.id = any(${sql.param(runIds)}::uuid[]) and r.parent_id is not null`
        : sql`select r.id::text as id, r.retrained_from::text as other, 'retrained_from' as relation from runs r
              where r.retrained_from = any(${sql.param(runIds)}::uuid[]) and r.deleted_at is null
              union all
              select r.id::text, r.parent_id::text, 'parent' from runs r
              where r.parent_id = any(${sql.param(runIds)}::uuid[]) and r.deleted_at is null`,
    );
    for (const r of related) add(run(r.other), run(r.id), r.relation);
    if (direction === "down") {
      for (const a of await rows<{ id: string; run_id: string }>(
        db,
        sql`select id::text as id, run_id::text as run_id from artifacts where run_id = any(${sql.param(runIds)}::uuid[]) order by run_id, path`,
      )) {
        add(run(a.run_id), artifact(a.id), "produced");
      }
      for (const v of await rows<{ id: string; run_id: string }>(
        db,
        sql`select id::text as id, run_id::text as run_id from model_versions where run_id = any(${sql.param(runIds)}::uuid[]) order by run_id, created_at`,
      )) {
        add(run(v.run_id), modelVersion(v.id), "registered_as");
      }
    }
  }

  if (versionIds.length > 0) {
    const datasetDirection = direction === "up" ? "output" : "input";
    for (const r of await rows<{ run_id: string; version_id: string; role: string }>(
      db,
      sql`select rd.run_id::text as run_id, rd.dataset_version_id::text as version_id, rd.role
          from run_datasets rd join runs r on r.id = rd.run_id and r.deleted_at is null
          where rd.dataset_version_id = any(${sql.param(versionIds)}::uuid[]) and rd.direction = ${datasetDirection}
          order by rd.created_at, rd.role`,
    )) {
      if (direction === "up") add(run(r.run_id), version(r.version_id), "output", r.role);
      else add(version(r.version_id), run(r.run_id), "input", r.role);
    }
    if (direction === "down") {
      for (const a of await rows<{ version_id: string; artifact_id: string }>(
        db,
        sql`select v.id::text as version_id, a.id::text as artifact_id from dataset_versions v
            join artifacts a on a.run_id = v.artifact_run_id and a.path = v.artifact_path
            where v.id = any(${sql.param(versionIds)}::uuid[])`,
      )) {
        add(version(a.version_id), artifact(a.artifact_id), "stored_as");
      }
      for (const m of await rows<{ version_id: string; model_version_id: string; role: string }>(
        db,
        sql`select dataset_version_id::text as version_id, model_version_id::text as model_version_id, role from model_version_datasets
            where dataset_version_id = any(${sql.param(versionIds)}::uuid[]) order by model_version_id, role`,
      )) {
        add(version(m.version_id), modelVersion(m.model_version_id), "trained_on", m.role);
      }
    }
  }

  if (artifactIds.length > 0 && direction === "up") {
    for (const a of await rows<{ id: string; run_id: string }>(
      db,
      sql`select a.id::text as id, a.run_id::text as run_id from artifacts a join runs r on r.id = a.run_id and r.deleted_at is null
          where a.id = any(${sql.param(artifactIds)}::uuid[])`,
    )) {
      add(run(a.run_id), artifact(a.id), "produced");
    }
    for (const v of await rows<{ version_id: string; artifact_id: string }>(
      db,
      sql`select v.id::text as version_id, a.id::text as artifact_id from artifacts a
          join dataset_versions v on v.artifact_run_id = a.run_id and v.artifact_path = a.path
          where a.id = any(${sql.param(artifactIds)}::uuid[])`,
    )) {
      add(version(v.version_id), artifact(v.artifact_id), "stored_as");
    }
  }
  if (modelVersionIds.length > 0) {
    if (direction === "up") {
      for (const v of await rows<{ id: string; run_id: string }>(
        db,
        sql`select v.id::text as id, v.run_id::text as run_id from model_versions v join runs r on r.id = v.run_id and r.deleted_at is null
            where v.id = any(${sql.param(modelVersionIds)}::uuid[])`,
      )) {
        add(run(v.run_id), modelVersion(v.id), "registered_as");
      }
      for (const m of await rows<{ version_id: string; model_version_id: string; role: string }>(
        db,
        sql`select dataset_version_id::text as version_id, model_version_id::text as model_version_id, role from model_version_datasets
            where model_version_id = any(${sql.param(modelVersionIds)}::uuid[]) order by dataset_version_id, role`,
      )) {
        add(version(m.version_id), modelVersion(m.model_version_id), "trained_on", m.role);
      }
    } else {
      // Only where an alias points now: its history is in alias_moves, not in the graph.
      for (const a of await rows<{ model_version_id: string; id: string }>(
        db,
        sql`select model_version_id::text as model_version_id, model_id::text || ':' || alias as id from model_aliases
            where model_version_id = any(${sql.param(modelVersionIds)}::uuid[]) order by alias`,
      )) {
        add(modelVersion(a.model_version_id), alias(a.id), "promoted_to");
      }
    }
  }

  if (aliasIds.length > 0 && direction === "up") {
    const keys = aliasIds.map(parseAliasId).filter((k) => k !== undefined);
    if (keys.length > 0) {
      for (const a of await rows<{ model_version_id: string; id: string }>(
        db,
        sql`select a.model_version_id::text as model_version_id, a.model_id::text || ':' || a.alias as id from model_aliases a
            join unnest(${sql.param(keys.map((k) => k.modelId))}::uuid[], ${sql.param(keys.map((k) => k.alias))}::text[]) as k(model_id, alias)
              on k.model_id = a.model_id and k.alias = a.alias`,
      )) {
        add(modelVersion(a.model_version_id), alias(a.id), "promoted_to");
      }
    }
  }
  return edges;
}

/** An alias node's id is `<model id>:<alias>`: aliases have no id of their own. */
export function parseAliasId(id: string): { modelId: string; alias: string } | undefined {
  const m = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):([a-z][a-z0-9_-]{0,99})$/.exec(id);
  return m ? { modelId: m[1]!, alias: m[2]! } : undefined;
}
