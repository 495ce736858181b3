import { type CheckResult, type ComputeCheck, checkSkew, compareSignatures, type DatasetProfile, type ModelVersion, uuidv7 } from "@cairn/core";
import { sql } from "drizzle-orm";
import type { Actor } from "../auth/actor.js";
import { rows, type Executor } from "../db/client.js";
import { liveProject } from "../datasets/dataset-rows.js";
import { ValidationError } from "../http/errors.js";
import type { ServerContext } from "../server-context.js";
import { insertCheck } from "./checks.service.js";
import { loadVersions, requireModel, resolveVersion } from "./model-rows.js";

type Computed = { name?: string; status: CheckResult["status"]; figures: Record<string, unknown>; datasets: Array<{ datasetVersionId: string; role: string }> };

async function datasetProfile(tx: Executor, projectId: string, id: string): Promise<{ name: string; version: number; profile: DatasetProfile | null } | undefined> {
  const [row] = await rows<{ name: string; version: number; profile: string | null }>(
    tx,
    sql`select d.name, v.version, v.profile::text as profile from dataset_versions v join datasets d on d.id = v.dataset_id
        where v.id = ${id}::uuid and d.project_id = ${projectId}::uuid`,
  );
  return row ? { name: row.name, version: Number(row.version), profile: row.profile === null ? null : (JSON.parse(row.profile) as DatasetProfile) } : undefined;
}

/** Serving data (a dataset version's profile) against the profile of the version's `train` dataset, by core's skew check. */
async function computeSkew(tx: Executor, projectId: string, version: ModelVersion, input: Extract<ComputeCheck, { kind: "skew" }>): Promise<Computed> {
  const servingId = input.datasetVersionId.toLowerCase();
  const serving = await datasetProfile(tx, projectId, servingId);
  if (!serving) throw new ValidationError("the dataset version was not found in this project", [{ path: "datasetVersionId", message: "no such dataset version in this project" }]);
  if (!serving.profile) throw new ValidationError(`${serving.name} v${serving.version} has no profile to compare`, [{ path: "datasetVersionId", message: "this dataset version was stored without a profile; log it with its profile" }]);
  const train = version.datasets.find((d) => d.role === "train");
  if (!train) throw new ValidationError(`${version.modelName} v${version.version} has no training dataset`, [{ path: "version.datasets", message: "the model version has no dataset with role train to compare against" }]);
  const training = await datasetProfile(tx, projectId, train.datasetVersionId);
  if (!training?.profile) throw new ValidationError(`the training dataset ${train.datasetName} v${train.version} has no profile`, [{ path: "version.datasets", message: `training dataset ${train.datasetName} v${train.version} was stored without a profile` }]);
  let report: ReturnType<typeof checkSkew>;
  try {
    report = checkSkew(training.profile, serving.profile, input.thresholds ? { thresholds: input.thresholds } : {});
  } catch (e) {
    if (e instanceof RangeError) throw new ValidationError(`the skew check cannot compare these profiles: ${e.message}`, [{ path: "datasetVersionId", message: e.message }]);
    throw e;
  }
  return {
    status: report.passed ? "passed" : "failed",
    figures: report,
    datasets: [
      { datasetVersionId: train.datasetVersionId, role: "train" },
      { datasetVersionId: servingId, role: "serving" },
    ],
  };
}

/** This version's signature against the signature of the version `alias` points at (core's compareSignatures, which the gate uses too). */
async function computeSchema(tx: Executor, version: ModelVersion, alias: string): Promise<Computed> {
  const [holder] = await loadVersions(tx, sql`v.id = (select model_version_id from model_aliases where model_id = ${version.modelId}::uuid and alias = ${alias})`);
  const base = { compatibleWith: alias, holderVersion: holder?.version ?? null };
  // Named as the gate names its own comparison, so a rule on `{check: "schema", name}` reads either.
  const name = `compatibleWith:${alias}`;
  const empty = { missingInputs: [], addedInputs: [], removedInputs: [], typeChanges: [], removedOutputs: [] };
  if (!holder) return { name, status: "passed", figures: { compatible: true, ...base, ...empty, note: "alias has no version" }, datasets: [] };
  const missing = !version.signature ? `v${version.version} (this version)` : !holder.signature ? `v${holder.version} (holding ${alias})` : undefined;
  if (missing) return { name, status: "error", figures: { compatible: null, ...base, ...empty, note: `${missing} has no signature to compare` }, datasets: [] };
  const result = compareSignatures(version.signature!, holder.signature!);
  return { name, status: result.compatible ? "passed" : "failed", figures: { ...result, ...base }, datasets: [] };
}

/** Computes a check from what the server stores and records it as a `server` check result. */
export async function computeCheck({ ctx, actor, projectRef, name, ref, input }: { ctx: ServerContext; actor: Actor; projectRef: string; name: string; ref: string; input: ComputeCheck }): Promise<CheckResult> {
  return ctx.db.orm.transaction(async (tx) => {
    const project = await liveProject(tx, actor, projectRef, "writer");
    const model = await requireModel(tx, project.id, name, true);
    const version = await resolveVersion(tx, model, ref);
    const computed = input.kind === "skew" ? await computeSkew(tx, project.id, version, input) : await computeSchema(tx, version, input.compatibleWith);
    return insertCheck(tx, actor, project.id, version, { id: uuidv7(), kind: input.kind, name: computed.name, status: computed.status, figures: computed.figures, datasets: computed.datasets, source: "server" });
  });
}
