import {
  type CheckStatus,
  type CreateCheckResult,
  type DataBiasInput,
  type DriftColumns,
  DriftInputError,
  type DriftMethod,
  type DatasetProfile,
  type LabelInput,
  type ModelVersionDataset,
  type SchemaCheckOptions,
  checkSchemaOfColumns,
  checkSkew,
  skewVerdict,
  classificationMetrics,
  dataBias,
  detectDrift,
  driftAgainstProfile,
  fairnessMetrics,
  regressionMetrics,
} from "@cairn/core";
import { CairnError } from "../client/errors.js";
import { SDK_VERSION } from "../version.js";
import { type BehaviourCase, type Predict, runBehaviourTests } from "./behaviour.js";
import { type CheckData, type Columns, column, numbers, type StoredReference, storedProfile, toColumns } from "./check-data.js";

/** A dataset version a check used: by id, or the version `run.logDataset()` returned. */
export type CheckDatasetLink = { datasetVersionId: string; role: string } | { datasetVersion: { id: string }; role: string };

interface CheckSpecBase {
  /** Tells several checks of one kind apart (`bias:sex`); a policy rule can name it. */
  name?: string;
  /** The dataset versions the check used, with roles, so the gate can compare like with like. */
  datasets?: CheckDatasetLink[];
}

export interface PerformanceCheckSpec extends CheckSpecBase {
  kind: "performance";
  task: "classification" | "regression";
  data: CheckData;
  label: string;
  prediction: string;
  /** Classification: the positive class's score or probability column (ROC AUC, log loss). */
  score?: string;
  positive?: LabelInput;
  /** The evaluation set; its role defaults to `test` (what metric rules name). */
  dataset?: { datasetVersionId: string; role?: string } | { datasetVersion: { id: string }; role?: string };
}

export interface BiasCheckSpec extends CheckSpecBase {
  kind: "bias";
  data: CheckData;
  group: string;
  label: string;
  prediction: string;
  positive?: LabelInput;
}

export interface DataBiasCheckSpec extends CheckSpecBase, Pick<DataBiasInput, "expected" | "minShare" | "minShareRatio" | "maxBaseRateDifference"> {
  kind: "data_bias";
  data: CheckData;
  group: string;
  label?: string;
  positive?: LabelInput;
  /** Columns whose missing cells make up each group's missing rate (default: every column but the group). */
  columns?: string[];
}

export interface DriftCheckSpec extends CheckSpecBase {
  kind: "drift";
  /** Reference data, or a stored profile (a dataset version from `run.logDataset`): then PSI or Jensen–Shannon. */
  reference: CheckData | StoredReference;
  current: CheckData;
  method?: DriftMethod;
  threshold?: number;
  columns?: string[];
  minSampleSize?: number;
  /** Dataset drift when this share of columns drifted (default 0.5). */
  driftShare?: number;
}

export interface SchemaCheckSpec extends CheckSpecBase {
  kind: "schema";
  /** Reference data, or a stored profile (a dataset version, or a DatasetProfile). */
  reference: CheckData | StoredReference;
  current: CheckData;
  options?: SchemaCheckOptions;
}

export interface BehaviourCheckSpec<I = any, O = any> extends CheckSpecBase {
  kind: "behaviour";
  predict: Predict<I, O>;
  cases: BehaviourCase<I, O>[];
}

export interface SkewCheckSpec extends CheckSpecBase {
  kind: "skew";
  /** Serving data, or the profile of what was served (a stored dataset version, a window's profile). */
  serving: CheckData | StoredReference;
  /**
   * The training profile. `models.check` fills in the profile of the version's `train` dataset
   * when this is left out (and links that dataset, and compares the signature's inputs unless
   * `columns` is given), so serving data that was never stored can still be compared with
   * what the model was trained on.
   */
  training?: StoredReference;
  /** Per-feature thresholds, over the two defaults below. */
  thresholds?: Record<string, number>;
  /** L-infinity threshold for categorical features (default 0.1). */
  categoricalThreshold?: number;
  /** Jensen–Shannon threshold for numerical features (default 0.1). */
  numericalThreshold?: number;
  columns?: string[];
}

export type CheckSpec = PerformanceCheckSpec | BiasCheckSpec | DataBiasCheckSpec | DriftCheckSpec | SchemaCheckSpec | SkewCheckSpec | BehaviourCheckSpec;

export const CHECK_TOOL = { name: "@cairn/sdk", version: SDK_VERSION } as const;

function links(spec: CheckSpec): ModelVersionDataset[] {
  const all: ModelVersionDataset[] = [];
  const add = (l: { datasetVersionId?: string; datasetVersion?: { id: string }; role?: string }, dflt?: string) => {
    const id = l.datasetVersionId ?? l.datasetVersion?.id;
    const role = l.role ?? dflt;
    if (typeof id !== "string") throw new CairnError("check: a dataset link needs `datasetVersionId` or `datasetVersion`");
    if (typeof role !== "string") throw new CairnError(`check: the dataset link to ${id} needs a role`);
    if (!all.some((d) => d.datasetVersionId === id && d.role === role)) all.push({ datasetVersionId: id, role });
  };
  if (spec.kind === "performance" && spec.dataset) add(spec.dataset, "test");
  for (const l of spec.datasets ?? []) add(l);
  return all;
}

/** Whole-report status: a figure-only check (performance, bias) passes unless there was not enough data — the gate applies the bounds. */
const metricStatus = (s: "ok" | "not_enough_data"): CheckStatus => (s === "ok" ? "passed" : "not_enough_data");

async function figures(spec: CheckSpec): Promise<{ status: CheckStatus; figures: Record<string, unknown> }> {
  switch (spec.kind) {
    case "performance": {
      const data = await toColumns(spec.data, "data");
      const report =
        spec.task === "regression"
          ? regressionMetrics({ labels: numbers(data, spec.label, "data"), predictions: numbers(data, spec.prediction, "data") })
          : spec.task === "classification"
            ? classificationMetrics({
                labels: column(data, spec.label, "data") as ArrayLike<LabelInput>,
                predictions: column(data, spec.prediction, "data") as ArrayLike<LabelInput>,
                ...(spec.score !== undefined ? { scores: numbers(data, spec.score, "data") } : {}),
                ...(spec.positive !== undefined ? { positive: spec.positive } : {}),
              })
            : undefined;
      if (!report) throw new CairnError('check: performance needs task "classification" or "regression"');
      return { status: metricStatus(report.status), figures: report };
    }
    case "bias": {
      const data = await toColumns(spec.data, "data");
      const report = fairnessMetrics({
        groups: column(data, spec.group, "data") as ArrayLike<LabelInput>,
        labels: column(data, spec.label, "data") as ArrayLike<LabelInput>,
        predictions: column(data, spec.prediction, "data") as ArrayLike<LabelInput>,
        ...(spec.positive !== undefined ? { positive: spec.positive } : {}),
      });
      return { status: metricStatus(report.status), figures: report };
    }
    case "data_bias": {
      const data = await toColumns(spec.data, "data");
      const names = spec.columns ?? Object.keys(data).filter((n) => n !== spec.group);
      const report = dataBias({
        groups: column(data, spec.group, "data") as ArrayLike<LabelInput>,
        ...(spec.label !== undefined ? { labels: column(data, spec.label, "data") as ArrayLike<LabelInput> } : {}),
        ...(spec.positive !== undefined ? { positive: spec.positive } : {}),
        columns: Object.fromEntries(names.map((n) => [n, column(data, n, "data")])),
        ...(spec.expected !== undefined ? { expected: spec.expected } : {}),
        ...(spec.minShare !== undefined ? { minShare: spec.minShare } : {}),
        ...(spec.minShareRatio !== undefined ? { minShareRatio: spec.minShareRatio } : {}),
        ...(spec.maxBaseRateDifference !== undefined ? { maxBaseRateDifference: spec.maxBaseRateDifference } : {}),
      });
      return { status: report.status === "not_enough_data" ? "not_enough_data" : report.passed ? "passed" : "failed", figures: report };
    }
    case "drift": {
      const current = await toColumns(spec.current, "current");
      const profile = storedProfile(spec.reference);
      const opts = {
        ...(spec.threshold !== undefined ? { threshold: spec.threshold } : {}),
        ...(spec.columns !== undefined ? { columns: spec.columns } : {}),
        ...(spec.minSampleSize !== undefined ? { minSampleSize: spec.minSampleSize } : {}),
        ...(spec.driftShare !== undefined ? { driftShare: spec.driftShare } : {}),
      };
      let report: ReturnType<typeof detectDrift>;
      try {
        if (profile) {
          if (spec.method !== undefined && spec.method !== "psi" && spec.method !== "jensenshannon") throw new CairnError(`check: drift against a stored profile uses psi or jensenshannon, not ${spec.method}`);
          report = driftAgainstProfile(profile, current as DriftColumns, { ...opts, ...(spec.method ? { method: spec.method } : {}) });
        } else {
          const reference = await toColumns(spec.reference as CheckData, "reference");
          report = detectDrift(reference as DriftColumns, current as DriftColumns, { ...opts, ...(spec.method ? { method: spec.method } : {}) });
        }
      } catch (err) {
        if (err instanceof DriftInputError) throw new CairnError(`check: drift: ${err.message}`, { cause: err });
        throw err;
      }
      const judged = report.columns.some((c) => c.drifted !== null);
      return { status: report.drifted ? "failed" : judged ? "passed" : "not_enough_data", figures: report };
    }
    case "schema": {
      const current = await toColumns(spec.current, "current");
      const reference: Columns | ReturnType<typeof storedProfile> = storedProfile(spec.reference) ?? (await toColumns(spec.reference as CheckData, "reference"));
      const report = checkSchemaOfColumns(reference!, current, spec.options);
      return { status: report.passed ? "passed" : "failed", figures: report };
    }
    case "skew": {
      const training = spec.training === undefined ? undefined : storedProfile(spec.training);
      if (!training) throw new CairnError("check: skew needs the training profile (`training`: a dataset version with its profile, or a DatasetProfile)");
      const serving: DatasetProfile | Columns = storedProfile(spec.serving) ?? (await toColumns(spec.serving as CheckData, "serving"));
      let report: ReturnType<typeof checkSkew>;
      try {
        report = checkSkew(training, serving, {
          ...(spec.thresholds !== undefined ? { thresholds: spec.thresholds } : {}),
          ...(spec.categoricalThreshold !== undefined ? { categoricalThreshold: spec.categoricalThreshold } : {}),
          ...(spec.numericalThreshold !== undefined ? { numericalThreshold: spec.numericalThreshold } : {}),
          ...(spec.columns !== undefined ? { columns: spec.columns } : {}),
        });
      } catch (err) {
        // core names the column and row of a bad value (or a column that cannot be compared) in a RangeError.
        if (err instanceof RangeError) throw new CairnError(`check: ${err.message}`, { cause: err });
        throw err;
      }
      // A feature missing at serving counts as skewed; otherwise no verdict at all is not a pass.
      return { status: skewVerdict(report), figures: report };
    }
    case "behaviour": {
      const report = await runBehaviourTests(spec.predict, spec.cases);
      return { status: report.passed ? "passed" : "failed", figures: report };
    }
    default:
      throw new CairnError(`check: unknown kind ${JSON.stringify((spec as { kind?: unknown }).kind)} (performance, bias, data_bias, drift, schema, skew, behaviour; record other checks with recordCheck)`);
  }
}

/**
 * Runs a check locally with the core check functions and returns the result to record:
 * the report as `figures`, a status (performance and bias: `passed` unless there was not
 * enough data, since their bounds live in the promotion policy; drift: `failed` on
 * dataset drift; data_bias, schema and skew: their verdict; behaviour: every case passed),
 * the dataset links and the SDK as the tool.
 */
export async function runCheck(spec: CheckSpec): Promise<CreateCheckResult> {
  if (spec === null || typeof spec !== "object") throw new CairnError("check: pass a check spec ({ kind, … })");
  const datasets = links(spec);
  const { status, figures: report } = await figures(spec);
  return {
    kind: spec.kind,
    ...(spec.name !== undefined ? { name: spec.name } : {}),
    status,
    figures: report,
    datasets,
    tool: { ...CHECK_TOOL },
  };
}
