import type { RunDatasetLink } from "@cairn/core";
import { sql } from "drizzle-orm";
import { auditQueryFromOrm, recordAudit } from "../audit/audit.service.js";
import type { Actor } from "../auth/actor.js";
import { rows } from "../db/client.js";
import { ValidationError } from "../http/errors.js";
import type { ServerContext } from "../server-context.js";
import { liveRun, toDatasetVersion, VERSION_COLUMNS, type VersionRow } from "./dataset-rows.js";

export type Direction = "input" | "output";

interface LinkRow extends VersionRow {
  direction: Direction;
  role: string;
  linked_ms: number | string;
}

function toRunDataset(r: LinkRow) {
  const { profile: _p, schema: _s, ...datasetVersion } = toDatasetVersion(r);
  return { direction: r.direction, role: r.role, datasetVersion, createdAt: new Date(Number(r.linked_ms)).toISOString() };
}

const LINK_SELECT = sql`select ${VERSION_COLUMNS(false)}, l.direction, l.role, (extract(epoch from l.created_at) * 1000)::float8 as linked_ms
  from run_datasets l join dataset_versions v on v.id = l.dataset_version_id join datasets d on d.id = v.dataset_id`;

/**
 * Records that a run read (input) or produced (output) a dataset version in a role.
 * Idempotent: the same link again changes nothing (`created: false`) and is not audited twice.
 */
export async function linkRunDataset({ ctx, actor, runId, direction, input }: { ctx: ServerContext; actor: Actor; runId: string; direction: Direction; input: RunDatasetLink }) {
  const run = await liveRun(ctx, actor, runId, "writer");
  return ctx.db.orm.transaction(async (tx) => {
    const versionId = input.datasetVersionId.toLowerCase();
    const [version] = await rows<{ project_id: string }>(
      tx,
      sql`select d.project_id::text as project_id from dataset_versions v join datasets d on d.id = v.dataset_id where v.id = ${versionId}::uuid`,
    );
    if (!version || version.project_id !== run.projectId) {
      throw new ValidationError("dataset version not found in this run's project", [{ path: "datasetVersionId", message: "no such dataset version in this run's project" }]);
    }
    const inserted = await rows<{ ok: number }>(
      tx,
      sql`insert into run_datasets (run_id, dataset_version_id, direction, role) values (${runId}::uuid, ${versionId}::uuid, ${direction}, ${input.role})
          on conflict do nothing returning 1 as ok`,
    );
    const [row] = await rows<LinkRow>(
      tx,
      sql`${LINK_SELECT} where l.run_id = ${runId}::uuid and l.dataset_version_id = ${versionId}::uuid and l.direction = ${direction} and l.role = ${input.role}`,
    );
    const link = toRunDataset(row!);
    if (inserted.length > 0) {
      await recordAudit(auditQueryFromOrm(tx), actor, {
        action: "run_dataset.link",
        subject: { kind: "run", id: runId },
        projectId: run.projectId,
        after: { direction, datasetVersionId: versionId, dataset: link.datasetVersion.name, version: link.datasetVersion.version, role: input.role },
      });
    }
    return { link, created: inserted.length > 0 };
  });
}

/** A run's inputs and outputs with their roles, inputs first, in the order they were linked. */
export async function listRunDatasets({ ctx, actor, runId }: { ctx: ServerContext; actor: Actor; runId: string }) {
  await liveRun(ctx, actor, runId, "reader");
  const found = await rows<LinkRow>(ctx.db.orm, sql`${LINK_SELECT} where l.run_id = ${runId}::uuid order by l.direction, l.created_at, d.name, l.role`);
  return { datasets: found.map(toRunDataset) };
}
