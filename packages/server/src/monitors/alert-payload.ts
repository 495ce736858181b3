import type { Alert, AlertPayload } from "@cairn/core";
import { sql } from "drizzle-orm";
import { type Executor, rows } from "../db/client.js";

/** The version an alias points at when the monitor is evaluated. */
export interface AliasHolder {
  id: string;
  version: number;
  runId: string | null;
}

export async function aliasHolder(db: Executor, modelId: string, alias: string): Promise<AliasHolder | undefined> {
  const [row] = await rows<{ id: string; version: number; run_id: string | null }>(
    db,
    sql`select v.id::text as id, v.version::int as version, v.run_id::text as run_id
        from model_aliases a join model_versions v on v.id = a.model_version_id
        where a.model_id = ${modelId}::uuid and a.alias = ${alias}`,
  );
  return row ? { id: row.id, version: Number(row.version), runId: row.run_id } : undefined;
}

/**
 * What a CI job needs to retrain without a human: the version in production, the run that
 * trained it and the command that reruns it (`cairn rerun <runId>`, see the SDK's CLI), the
 * digests of the data it was trained on, and the window that fired. The reference digest
 * is the training dataset drift is measured against (role `train`, first by name).
 */
export async function retrainSection(db: Executor, model: string, alias: string, holder: AliasHolder, alert: Alert): Promise<NonNullable<AlertPayload["retrain"]>> {
  const datasets = await rows<{ role: string; name: string; version: number; digest: string }>(
    db,
    sql`select x.role, d.name, dv.version::int as version, dv.digest
        from model_version_datasets x join dataset_versions dv on dv.id = x.dataset_version_id join datasets d on d.id = dv.dataset_id
        where x.model_version_id = ${holder.id}::uuid order by x.role collate "C", d.name collate "C", dv.version`,
  );
  const reference = datasets.find((d) => d.role === "train");
  return {
    model,
    alias,
    version: holder.version,
    trainingRunId: holder.runId,
    rerunCommand: holder.runId ? `cairn rerun ${holder.runId}` : null,
    datasets: datasets.map((d) => ({ role: d.role, name: d.name, version: Number(d.version), digest: d.digest })),
    referenceDigest: reference?.digest ?? null,
    window: { start: alert.windowStart, end: alert.windowEnd },
  };
}
