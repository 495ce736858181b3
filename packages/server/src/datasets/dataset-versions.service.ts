import { type CreateDatasetVersion, type DatasetVersion, DatasetName, isUuid, uuidv7 } from "@cairn/core";
import { sql } from "drizzle-orm";
import { auditQueryFromOrm, recordAudit } from "../audit/audit.service.js";
import { type Actor, authorize } from "../auth/actor.js";
import { rows, type Executor } from "../db/client.js";
import { decodeCursor, encodeCursor } from "../http/cursor.js";
import { NotFoundError, ValidationError } from "../http/errors.js";
import type { ServerContext } from "../server-context.js";
import { liveProject, requireDataset, toDatasetVersion, VERSION_COLUMNS, type VersionRow } from "./dataset-rows.js";
import { checkVersionBody } from "./profile-check.js";

/** The URL's name is checked like the body's would be: a bad one is a 400 naming `path.name`. */
export function checkDatasetName(name: string): void {
  const parsed = DatasetName.safeParse(name);
  if (!parsed.success) throw new ValidationError(`invalid dataset name: ${parsed.error.issues[0]!.message}`, [{ path: "path.name", message: parsed.error.issues[0]!.message }]);
}

async function versionByDigest(db: Executor, datasetId: string, digest: string): Promise<VersionRow | undefined> {
  const [row] = await rows<VersionRow>(
    db,
    sql`select ${VERSION_COLUMNS(true)} from dataset_versions v join datasets d on d.id = v.dataset_id
        where v.dataset_id = ${datasetId}::uuid and v.digest = ${digest}`,
  );
  return row;
}

/**
 * Creates the dataset on first use and a version for this digest. The same digest again
 * returns the stored version (`created: false`). Concurrent creates serialise on a row
 * lock of the dataset, so numbers are gapless (1, 2, 3…) and a digest is stored once.
 */
export async function createDatasetVersion({ ctx, actor, projectRef, name, input }: { ctx: ServerContext; actor: Actor; projectRef: string; name: string; input: CreateDatasetVersion }): Promise<{ version: DatasetVersion; created: boolean }> {
  checkDatasetName(name);
  const errors = checkVersionBody(input);
  if (errors.length > 0) throw new ValidationError(`the profile does not match the schema: ${errors[0]!.path}: ${errors[0]!.message}`, errors);
  return ctx.db.orm.transaction(async (tx) => {
    const project = await liveProject(tx, actor, projectRef, "writer");
    if (input.artifact) {
      const [found] = await rows<{ ok: number }>(
        tx,
        sql`select 1 as ok from artifacts a join runs r on r.id = a.run_id
            where a.run_id = ${input.artifact.runId}::uuid and a.path = ${input.artifact.path}
              and r.project_id = ${project.id}::uuid and r.deleted_at is null`,
      );
      if (!found) throw new ValidationError("the artifact holding the data was not found", [{ path: "artifact", message: "no such artifact of a run in this project" }]);
    }
    await tx.execute(
      sql`insert into datasets (id, project_id, name, description) values (${uuidv7()}::uuid, ${project.id}::uuid, ${name}, ${input.description ?? ""})
          on conflict (project_id, name) do nothing`,
    );
    const [dataset] = await rows<{ id: string; description: string }>(
      tx,
      sql`select id::text as id, description from datasets where project_id = ${project.id}::uuid and name = ${name} for update`,
    );
    const existing = await versionByDigest(tx, dataset!.id, input.digest);
    if (existing && !(input.artifact && !existing.artifact_path)) return { version: toDatasetVersion(existing), created: false };
    if (existing) {
      // The same data logged again with `upload`: the version gains the location of its data, once.
      await tx.execute(sql`update dataset_versions set artifact_run_id = ${input.artifact!.runId}::uuid, artifact_path = ${input.artifact!.path} where id = ${existing.id}::uuid`);
      const version = toDatasetVersion((await versionByDigest(tx, dataset!.id, input.digest))!);
      await recordAudit(auditQueryFromOrm(tx), actor, {
        action: "dataset_version.attach_artifact",
        subject: { kind: "dataset_version", id: version.id },
        projectId: project.id,
        before: { artifact: null },
        after: { artifact: version.artifact },
      });
      return { version, created: false };
    }

    const id = uuidv7();
    await tx.execute(
      sql`insert into dataset_versions (id, dataset_id, version, digest, row_count, schema, profile, artifact_run_id, artifact_path, source)
          select ${id}::uuid, ${dataset!.id}::uuid, coalesce(max(version), 0) + 1, ${input.digest}, ${input.rowCount},
                 ${JSON.stringify(input.schema)}::text::jsonb, ${input.profile ? JSON.stringify(input.profile) : null}::text::jsonb,
                 ${input.artifact?.runId ?? null}::uuid, ${input.artifact?.path ?? null}, ${input.source ?? null}
          from dataset_versions where dataset_id = ${dataset!.id}::uuid`,
    );
    if (input.description !== undefined && input.description !== dataset!.description) {
      await tx.execute(sql`update datasets set description = ${input.description} where id = ${dataset!.id}::uuid`);
    }
    const version = toDatasetVersion((await versionByDigest(tx, dataset!.id, input.digest))!);
    await recordAudit(auditQueryFromOrm(tx), actor, {
      action: "dataset_version.create",
      subject: { kind: "dataset_version", id: version.id },
      projectId: project.id,
      after: { dataset: name, version: version.version, digest: version.digest, rowCount: version.rowCount, artifact: version.artifact, source: version.source, columns: input.schema.columns.length },
    });
    return { version, created: true };
  });
}

const MAX_VERSION = 2_147_483_647;

/** `ref` is a version number, `latest`, or a digest (already validated by the route). */
export async function getDatasetVersion({ ctx, actor, projectRef, name, ref }: { ctx: ServerContext; actor: Actor; projectRef: string; name: string; ref: string }): Promise<DatasetVersion> {
  checkDatasetName(name);
  const project = await liveProject(ctx.db.orm, actor, projectRef, "reader");
  const dataset = await requireDataset(ctx.db.orm, project.id, name);
  const where =
    ref === "latest"
      ? sql`v.version = (select max(version) from dataset_versions where dataset_id = ${dataset.id}::uuid)`
      : ref.startsWith("sha256:")
        ? sql`v.digest = ${ref}`
        : sql`v.version = ${Math.min(Number(ref), MAX_VERSION)}::int`;
  const [row] = await rows<VersionRow>(
    ctx.db.orm,
    sql`select ${VERSION_COLUMNS(true)} from dataset_versions v join datasets d on d.id = v.dataset_id where v.dataset_id = ${dataset.id}::uuid and ${where}`,
  );
  if (!row) throw new NotFoundError(`version of dataset ${JSON.stringify(name)}`, ref);
  return toDatasetVersion(row);
}

const isVersionCursor = (v: unknown): v is { v: number } => typeof v === "object" && v !== null && Number.isInteger((v as { v?: unknown }).v) && (v as { v: number }).v >= 1 && (v as { v: number }).v <= MAX_VERSION;

/** Newest first; profiles only when asked for. */
export async function listDatasetVersions({ ctx, actor, projectRef, name, limit, cursor, include }: { ctx: ServerContext; actor: Actor; projectRef: string; name: string; limit: number; cursor?: string | undefined; include?: "profile" | undefined }) {
  checkDatasetName(name);
  const before = cursor ? decodeCursor(cursor, isVersionCursor).v : undefined;
  const project = await liveProject(ctx.db.orm, actor, projectRef, "reader");
  const dataset = await requireDataset(ctx.db.orm, project.id, name);
  const found = await rows<VersionRow>(
    ctx.db.orm,
    sql`select ${VERSION_COLUMNS(include === "profile")} from dataset_versions v join datasets d on d.id = v.dataset_id
        where v.dataset_id = ${dataset.id}::uuid ${before !== undefined ? sql`and v.version < ${before}::int` : sql``}
        order by v.version desc limit ${limit + 1}`,
  );
  const page = found.slice(0, limit);
  return {
    versions: page.map(toDatasetVersion),
    nextCursor: found.length > limit ? encodeCursor({ v: Number(page[page.length - 1]!.version) }) : null,
  };
}

/** By id, for lineage and the UI: the caller must be able to read the version's project. */
export async function getDatasetVersionById({ ctx, actor, id }: { ctx: ServerContext; actor: Actor; id: string }): Promise<DatasetVersion> {
  if (!isUuid(id)) throw new NotFoundError("dataset version", id);
  const [row] = await rows<VersionRow & { project_name: string; project_deleted: boolean }>(
    ctx.db.orm,
    sql`select ${VERSION_COLUMNS(true)}, p.name as project_name, (p.deleted_at is not null) as project_deleted
        from dataset_versions v join datasets d on d.id = v.dataset_id join projects p on p.id = d.project_id
        where v.id = ${id.toLowerCase()}::uuid`,
  );
  if (!row || row.project_deleted) throw new NotFoundError("dataset version", id);
  authorize(actor, { name: row.project_name }, "reader", "dataset version", id);
  return toDatasetVersion(row);
}
