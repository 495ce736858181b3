import { type ColumnSchema, type CreateModelVersion, type ModelSignature, type ModelVersion, normalizeArtifactPath, uuidv7 } from "@cairn/core";
import { sql } from "drizzle-orm";
import { type AuditEventInput, auditQueryFromOrm, recordAudits } from "../audit/audit.service.js";
import type { Actor } from "../auth/actor.js";
import { rows, type Executor } from "../db/client.js";
import { liveProject } from "../datasets/dataset-rows.js";
import { ConflictError, ValidationError } from "../http/errors.js";
import type { ServerContext } from "../server-context.js";
import { checkModelName, loadVersions } from "./model-rows.js";
import { ensureModel, modelCreatedEvent } from "./models.service.js";
import { requireStorable } from "./storable.js";
import { byPathBytes, type FrozenFile, versionDigest } from "./version-digest.js";

/**
 * The run's files under `artifactPath`: the file of exactly that path (stored under its base
 * name), else every file below it as a folder (stored relative to it). A run may hold both a
 * file `x` and files under `x/`: the file wins, as the more specific reading of the path.
 */
async function filesToFreeze(tx: Executor, runId: string, artifactPath: string): Promise<{ files: FrozenFile[]; single: boolean }> {
  const prefix = `${artifactPath}/`;
  const found = await rows<{ path: string; sha256: string; size: number | string }>(
    tx,
    sql`select path, sha256, size::float8 as size from artifacts
        where run_id = ${runId}::uuid and (path = ${artifactPath} or left(path, ${prefix.length}::int) = ${prefix})`,
  );
  const exact = found.find((f) => f.path === artifactPath);
  if (exact) return { files: [{ path: artifactPath.slice(artifactPath.lastIndexOf("/") + 1), sha256: exact.sha256, size: Number(exact.size) }], single: true };
  return { files: found.map((f) => ({ path: f.path.slice(prefix.length), sha256: f.sha256, size: Number(f.size) })).sort(byPathBytes), single: false };
}

/** The datasets given (each must be a dataset version of this project), else the run's inputs with their roles. */
async function versionDatasets(tx: Executor, projectId: string, runId: string, given: CreateModelVersion["datasets"]): Promise<Array<{ datasetVersionId: string; role: string }>> {
  if (given === undefined) {
    return rows<{ datasetVersionId: string; role: string }>(
      tx,
      sql`select dataset_version_id::text as "datasetVersionId", role from run_datasets where run_id = ${runId}::uuid and direction = 'input' order by created_at, role`,
    );
  }
  const ids = [...new Set(given.map((d) => d.datasetVersionId.toLowerCase()))];
  const known = new Set(
    (
      await rows<{ id: string }>(
        tx,
        sql`select v.id::text as id from dataset_versions v join datasets d on d.id = v.dataset_id
            where v.id = any(${sql.param(ids)}::uuid[]) and d.project_id = ${projectId}::uuid`,
      )
    ).map((r) => r.id),
  );
  const errors = given.flatMap((d, i) => (known.has(d.datasetVersionId.toLowerCase()) ? [] : [{ path: `datasets[${i}].datasetVersionId`, message: "no such dataset version in this project" }]));
  if (errors.length > 0) throw new ValidationError("a dataset version was not found in this project", errors);
  const seen = new Set<string>();
  return given
    .map((d) => ({ datasetVersionId: d.datasetVersionId.toLowerCase(), role: d.role }))
    .filter((d) => {
      const k = `${d.datasetVersionId}\t${d.role}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
}

/** The latest value of each of the run's metrics; NaN and ±Infinity have no JSON number and are left out. */
async function latestMetrics(tx: Executor, runId: string): Promise<Record<string, number>> {
  const found = await rows<{ key: string; last: number | string }>(
    tx,
    sql`select key, last from metric_series where run_id = ${runId}::uuid and last is not null
          and last not in ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8) order by key collate "C"`,
  );
  return Object.fromEntries(found.map((m) => [m.key, Number(m.last)]));
}

/**
 * Inputs from the schema of the version's `train` dataset minus the label column; the label
 * column, when named, is the output. Null when there is no training dataset to infer from.
 */
async function inferSignature(tx: Executor, datasets: Array<{ datasetVersionId: string; role: string }>, labelColumn: string | undefined): Promise<ModelSignature | null> {
  const train = datasets.find((d) => d.role === "train");
  if (!train) {
    if (labelColumn !== undefined) throw new ValidationError("labelColumn needs a dataset with role train", [{ path: "labelColumn", message: "no dataset with role train to find it in" }]);
    return null;
  }
  const [row] = await rows<{ schema: unknown }>(tx, sql`select schema::text as schema from dataset_versions where id = ${train.datasetVersionId}::uuid`);
  const schema = JSON.parse(String(row!.schema)) as { columns: ColumnSchema[] };
  if (labelColumn !== undefined && !schema.columns.some((c) => c.name === labelColumn)) {
    throw new ValidationError("labelColumn is not a column of the training dataset", [{ path: "labelColumn", message: `the train dataset has no column ${JSON.stringify(labelColumn)}` }]);
  }
  return { inputs: schema.columns.filter((c) => c.name !== labelColumn), outputs: schema.columns.filter((c) => c.name === labelColumn) };
}

/**
 * Registers a run's file or folder as the model's next version (creating the model on first
 * use). The files are copied into the version, so it keeps its bytes whatever later happens
 * to the run. Registrations of one model serialise on its row (`for update`), so numbers are
 * gapless; a client `id` seen before returns the stored version (`created: false`).
 */
export async function registerModelVersion({ ctx, actor, projectRef, name, input }: { ctx: ServerContext; actor: Actor; projectRef: string; name: string; input: CreateModelVersion }): Promise<{ version: ModelVersion; created: boolean }> {
  checkModelName(name);
  requireStorable(input);
  const artifactPath = normalizeArtifactPath(input.artifactPath);
  if (!artifactPath.ok) throw new ValidationError(`invalid artifactPath: ${artifactPath.message}`, [{ path: "artifactPath", message: artifactPath.message }]);
  const runId = input.runId.toLowerCase();
  const id = input.id?.toLowerCase() ?? uuidv7();
  return ctx.db.orm.transaction(async (tx) => {
    const project = await liveProject(tx, actor, projectRef, "writer");
    const [run] = await rows<{ project_id: string; live: boolean }>(
      tx,
      sql`select r.project_id::text as project_id, (r.deleted_at is null) as live from runs r where r.id = ${runId}::uuid`,
    );
    if (!run || run.project_id !== project.id || !run.live) throw new ValidationError("the run was not found in this project", [{ path: "runId", message: "no live run with this id in this project" }]);
    const { model, created: modelCreated } = await ensureModel(tx, project, { name });
    // After the model's lock: a retry racing its original sees the committed version here.
    const [stored] = await loadVersions(tx, sql`v.id = ${id}::uuid`);
    if (stored) {
      if (stored.modelId !== model.id) throw new ConflictError("this id belongs to another model's version", [{ path: "id", message: `already used by ${stored.modelName} v${stored.version}` }]);
      return { version: stored, created: false };
    }
    const { files, single } = await filesToFreeze(tx, runId, artifactPath.path);
    if (files.length === 0) throw new ValidationError("the run has no file or folder at artifactPath", [{ path: "artifactPath", message: `no artifact of run ${runId} is ${JSON.stringify(artifactPath.path)} or below it` }]);
    // Touching the blob rows locks them: GC cannot collect them before this version's references commit.
    const shas = [...new Set(files.map((f) => f.sha256))];
    const touched = await rows<{ sha256: string }>(tx, sql`update blobs set touched_at = now() where sha256 = any(${sql.param(shas)}::text[]) returning sha256`);
    // Only if the artifact was overwritten and its old blob collected between the two statements.
    if (touched.length !== shas.length) throw new ConflictError("the run's files changed during registration; send it again", [{ path: "artifactPath", message: "changed while being registered" }]);
    const datasets = await versionDatasets(tx, project.id, runId, input.datasets);
    const metrics = input.metrics ?? (await latestMetrics(tx, runId));
    const signature = input.signature ?? (await inferSignature(tx, datasets, input.labelColumn));
    const digest = versionDigest(files, single);
    await tx.execute(
      sql`insert into model_versions (id, model_id, version, run_id, artifact_path, digest, signature, metrics, framework, description, tags, created_by)
          select ${id}::uuid, ${model.id}::uuid, coalesce(max(version), 0) + 1, ${runId}::uuid, ${artifactPath.path}, ${digest},
                 ${signature === null ? null : JSON.stringify(signature)}::jsonb, ${JSON.stringify(metrics)}::jsonb, ${input.framework ?? null},
                 ${input.description ?? ""}, ${JSON.stringify(input.tags ?? {})}::jsonb, ${actor.name}
          from model_versions where model_id = ${model.id}::uuid`,
    );
    await tx.execute(
      sql`insert into model_version_files (model_version_id, path, sha256, size)
          select ${id}::uuid, f.path, f.sha256, f.size from unnest(${sql.param(files.map((f) => f.path))}::text[], ${sql.param(files.map((f) => f.sha256))}::text[],
            ${sql.param(files.map((f) => f.size))}::bigint[]) as f(path, sha256, size)`,
    );
    if (datasets.length > 0) {
      await tx.execute(
        sql`insert into model_version_datasets (model_version_id, dataset_version_id, role)
            select ${id}::uuid, d.id, d.role from unnest(${sql.param(datasets.map((d) => d.datasetVersionId))}::uuid[], ${sql.param(datasets.map((d) => d.role))}::text[]) as d(id, role)
            on conflict do nothing`,
      );
    }
    await tx.execute(sql`update registered_models set updated_at = now() where id = ${model.id}::uuid`);
    const [version] = await loadVersions(tx, sql`v.id = ${id}::uuid`);
    // The chain's lock is taken last, after every row lock of this transaction (see ensureModel).
    const events: AuditEventInput[] = modelCreated ? [modelCreatedEvent(project, model)] : [];
    events.push({
      action: "model_version.create",
      subject: { kind: "model_version", id },
      projectId: project.id,
      after: {
        model: model.name,
        version: version!.version,
        runId,
        artifactPath: artifactPath.path,
        digest,
        files: files.length,
        datasets: version!.datasets.map((d) => ({ datasetVersionId: d.datasetVersionId, role: d.role })),
      },
    });
    await recordAudits(
      auditQueryFromOrm(tx),
      events.map((event) => ({ actor, event })),
    );
    return { version: version!, created: true };
  });
}
