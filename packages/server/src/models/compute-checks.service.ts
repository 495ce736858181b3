import {
  type CheckResult,
  type ComputeCheck,
  checkSkew,
  compareSignatures,
  type DatasetProfile,
  DRIFT_DEFAULTS,
  MAX_EPOCH_MS,
  MIN_EPOCH_MS,
  mergeAllWindowAggregates,
  type ModelVersion,
  type PredictionWindow,
  signatureSkewColumns,
  type SkewOptions,
  type SkewReport,
  skewVerdict,
  uuidv7,
} from "@cairn/core";
import { sql } from "drizzle-orm";
import type { Actor } from "../auth/actor.js";
import { rows, type Executor } from "../db/client.js";
import { liveProject } from "../datasets/dataset-rows.js";
import { ValidationError } from "../http/errors.js";
import type { ServerContext } from "../server-context.js";
import { HOUR_MS, loadWindowAggregates } from "../predictions/windows.js";
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

type SkewInput = Extract<ComputeCheck, { kind: "skew" }>;

/** The version's training dataset and its stored profile; a 400 naming `version.datasets` without one. */
async function trainingProfile(tx: Executor, projectId: string, version: ModelVersion): Promise<{ datasetVersionId: string; profile: DatasetProfile }> {
  const train = version.datasets.find((d) => d.role === "train");
  if (!train) throw new ValidationError(`${version.modelName} v${version.version} has no training dataset`, [{ path: "version.datasets", message: "the model version has no dataset with role train to compare against" }]);
  const training = await datasetProfile(tx, projectId, train.datasetVersionId);
  if (!training?.profile) throw new ValidationError(`the training dataset ${train.datasetName} v${train.version} has no profile`, [{ path: "version.datasets", message: `training dataset ${train.datasetName} v${train.version} was stored without a profile` }]);
  return { datasetVersionId: train.datasetVersionId, profile: training.profile };
}

/** The columns to compare: those asked for (each must be a training column), else the signature's inputs (core's signatureSkewColumns). */
function skewColumns(training: DatasetProfile, version: ModelVersion, input: SkewInput): string[] | undefined {
  if (input.columns) {
    const known = new Set(training.columns.map((c) => c.name));
    const unknown = input.columns.filter((c) => !known.has(c));
    if (unknown.length > 0) throw new ValidationError(`not columns of the training profile: ${unknown.slice(0, 5).join(", ")}`, [{ path: "columns", message: `${JSON.stringify(unknown[0])} is not a column of the training profile` }]);
    return input.columns;
  }
  return signatureSkewColumns(training, version.signature?.inputs);
}

function runSkew(training: DatasetProfile, serving: DatasetProfile, options: SkewOptions, field: string): SkewReport {
  try {
    return checkSkew(training, serving, options);
  } catch (e) {
    if (e instanceof RangeError) throw new ValidationError(`the skew check cannot compare these profiles: ${e.message}`, [{ path: field, message: e.message }]);
    throw e;
  }
}

/** Serving data (a dataset version's profile) against the profile of the version's `train` dataset, by core's skew check. */
async function computeSkew(tx: Executor, projectId: string, version: ModelVersion, input: SkewInput & { datasetVersionId: string }): Promise<Computed> {
  const servingId = input.datasetVersionId.toLowerCase();
  const serving = await datasetProfile(tx, projectId, servingId);
  if (!serving) throw new ValidationError("the dataset version was not found in this project", [{ path: "datasetVersionId", message: "no such dataset version in this project" }]);
  if (!serving.profile) throw new ValidationError(`${serving.name} v${serving.version} has no profile to compare`, [{ path: "datasetVersionId", message: "this dataset version was stored without a profile; log it with its profile" }]);
  const train = await trainingProfile(tx, projectId, version);
  const columns = skewColumns(train.profile, version, input);
  const report = runSkew(train.profile, serving.profile, { thresholds: input.thresholds, columns }, input.columns ? "columns" : "datasetVersionId");
  return {
    status: report.passed ? "passed" : "failed",
    figures: report,
    datasets: [
      { datasetVersionId: train.datasetVersionId, role: "train" },
      { datasetVersionId: servingId, role: "serving" },
    ],
  };
}

/**
 * The features of the predictions logged for this version in the window against its training
 * profile. The serving profile is the merge of the window's hourly aggregates (the profiles
 * ingestion already built), never a scan of the predictions. Fewer than `minRows` predictions
 * — none at all included — is a stored `not_enough_data` result: an idle window is a fact the
 * gate should see, not a bad request.
 */
async function computeWindowSkew(tx: Executor, projectId: string, version: ModelVersion, input: SkewInput & { window: PredictionWindow }): Promise<Computed> {
  const train = await trainingProfile(tx, projectId, version);
  const columns = skewColumns(train.profile, version, input);
  const minRows = input.minRows ?? DRIFT_DEFAULTS.minSampleSize;
  // Predictions are aggregated per UTC hour: the window is widened to whole hours, as the monitoring report does.
  const from = Math.max(MIN_EPOCH_MS, Math.floor(Date.parse(input.window.from) / HOUR_MS) * HOUR_MS);
  // Rounding up past 9999-12-31 would print a year PostgreSQL refuses.
  const to = Math.min(MAX_EPOCH_MS, Math.ceil(Date.parse(input.window.to) / HOUR_MS) * HOUR_MS);
  const hours = (await loadWindowAggregates(tx, [version.id], new Date(from), new Date(to), { profiles: true })).get(version.id)!;
  const merged = mergeAllWindowAggregates([...hours.keys()].sort((a, b) => a - b).map((h) => hours.get(h)!));
  const window = { from: new Date(from).toISOString(), to: new Date(to).toISOString(), rows: merged.count, requested: { from: input.window.from, to: input.window.to } };
  const datasets = [{ datasetVersionId: train.datasetVersionId, role: "train" }];
  if (merged.count < minRows || !merged.profile) {
    return {
      name: "window",
      status: "not_enough_data",
      figures: { passed: null, columns: [], skewedColumns: [], window, minRows, note: `${merged.count} prediction${merged.count === 1 ? "" : "s"} of v${version.version} in the window, fewer than ${minRows}` },
      datasets,
    };
  }
  const report = runSkew(train.profile, merged.profile, { thresholds: input.thresholds, columns, minCount: minRows }, input.columns ? "columns" : "window");
  // Every compared column short of values gives no verdict: not a pass.
  const status = skewVerdict(report);
  return { name: "window", status, figures: { ...report, passed: status === "not_enough_data" ? null : report.passed, window, minRows }, datasets };
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
    const computed =
      input.kind === "schema"
        ? await computeSchema(tx, version, input.compatibleWith)
        : input.window
          ? await computeWindowSkew(tx, project.id, version, { ...input, window: input.window })
          : await computeSkew(tx, project.id, version, { ...input, datasetVersionId: input.datasetVersionId! });
    return insertCheck(tx, actor, project.id, version, { id: uuidv7(), kind: input.kind, name: computed.name, status: computed.status, figures: computed.figures, datasets: computed.datasets, source: "server" });
  });
}
