import { z } from "zod";

/**
 * Result shapes of the data and model checks (issue 5), shared by core, the server, the
 * SDK and the CLI. One section per check family.
 */

// ---- Schema and data quality (checks/schema) ----

export const SchemaFindingKind = z.enum([
  "column_added",
  "column_removed",
  "type_changed",
  "new_categories",
  "missing_increase",
  "out_of_range",
  "constant_column",
  "duplicated_column",
  "row_count_change",
]);
export type SchemaFindingKind = z.infer<typeof SchemaFindingKind>;

/** `error` fails the check; `warning` is reported and does not. */
export const FindingSeverity = z.enum(["error", "warning"]);
export type FindingSeverity = z.infer<typeof FindingSeverity>;

const FindingValue = z.union([z.number(), z.string(), z.boolean(), z.null(), z.array(z.string()), z.record(z.string(), z.number())]);

export const SchemaFinding = z
  .object({
    /** The column the finding is about; null for dataset-level findings (row count). */
    column: z.string().nullable(),
    kind: SchemaFindingKind,
    severity: FindingSeverity,
    observed: FindingValue,
    expected: FindingValue,
    message: z.string(),
  })
  .strict()
  .meta({ id: "SchemaFinding" });
export type SchemaFinding = z.infer<typeof SchemaFinding>;

export const SchemaReport = z
  .object({
    /** True when no finding is an error. */
    passed: z.boolean(),
    referenceRows: z.number().int().min(0).nullable(),
    currentRows: z.number().int().min(0),
    findings: z.array(SchemaFinding),
  })
  .strict()
  .meta({ id: "SchemaReport" });
export type SchemaReport = z.infer<typeof SchemaReport>;

// ---- Training/serving skew (checks/skew) ----

export const SkewStatus = z.enum(["ok", "skewed", "not_enough_data", "missing_in_serving"]);

export const SkewColumn = z
  .object({
    column: z.string(),
    type: z.enum(["numerical", "categorical"]),
    /** `linf`: L-infinity distance of category shares (TFDV); `jensenshannon`: base-2 JS distance over the training decile bins. */
    method: z.enum(["linf", "jensenshannon"]),
    /** null when there is not enough data (fewer than 2 values on a side). */
    distance: z.number().min(0).nullable(),
    threshold: z.number().min(0),
    skewed: z.boolean(),
    status: SkewStatus,
    trainingCount: z.number().int().min(0),
    servingCount: z.number().int().min(0),
    trainingMissing: z.number().int().min(0),
    servingMissing: z.number().int().min(0),
    /** The category (linf) or bin index (jensenshannon) that differs most, for the message. */
    worst: z.string().nullable(),
  })
  .strict()
  .meta({ id: "SkewColumn" });
export type SkewColumn = z.infer<typeof SkewColumn>;

export const SkewReport = z
  .object({
    passed: z.boolean(),
    columns: z.array(SkewColumn),
    skewedColumns: z.array(z.string()),
  })
  .strict()
  .meta({ id: "SkewReport" });
export type SkewReport = z.infer<typeof SkewReport>;

// ---- Performance, model bias / fairness and data bias (checks/performance, checks/bias) ----

/** `not_enough_data`: fewer than 2 usable rows (or groups); the figures are then null. */
export const MetricStatus = z.enum(["ok", "not_enough_data"]);
export type MetricStatus = z.infer<typeof MetricStatus>;

/** A figure that is undefined for this data (e.g. ROC AUC with one class present) is null. */
const Metric = z.number().nullable();

export const ConfusionMatrix = z
  .object({
    /** Class labels as text, in sklearn's sorted order. */
    labels: z.array(z.string()),
    /** matrix[true][predicted] counts, as sklearn's confusion_matrix. */
    matrix: z.array(z.array(z.number().int().min(0))),
  })
  .strict()
  .meta({ id: "ConfusionMatrix" });
export type ConfusionMatrix = z.infer<typeof ConfusionMatrix>;

export const ClassificationReport = z
  .object({
    task: z.literal("classification"),
    status: MetricStatus,
    /** Rows used (label and prediction both present). */
    count: z.number().int().min(0),
    /** Rows excluded for a missing label or prediction. */
    missing: z.number().int().min(0),
    /** `binary`: precision/recall/f1 are the positive class's; `macro`: unweighted means over classes. */
    average: z.enum(["binary", "macro"]),
    positive: z.string().nullable(),
    accuracy: Metric,
    precision: Metric,
    recall: Metric,
    f1: Metric,
    macroPrecision: Metric,
    macroRecall: Metric,
    macroF1: Metric,
    rocAuc: Metric,
    logLoss: Metric,
    confusionMatrix: ConfusionMatrix,
    /** Why a figure is null or how it was defined (zero division, one class, missing scores). */
    notes: z.array(z.string()),
  })
  .strict()
  .meta({ id: "ClassificationReport" });
export type ClassificationReport = z.infer<typeof ClassificationReport>;

export const RegressionReport = z
  .object({
    task: z.literal("regression"),
    status: MetricStatus,
    count: z.number().int().min(0),
    missing: z.number().int().min(0),
    mae: Metric,
    rmse: Metric,
    r2: Metric,
    mape: Metric,
    notes: z.array(z.string()),
  })
  .strict()
  .meta({ id: "RegressionReport" });
export type RegressionReport = z.infer<typeof RegressionReport>;

export const PerformanceReport = z.discriminatedUnion("task", [ClassificationReport, RegressionReport]).meta({ id: "PerformanceReport" });
export type PerformanceReport = z.infer<typeof PerformanceReport>;

export const BiasGroup = z
  .object({
    count: z.number().int().min(0),
    selectionRate: Metric,
    truePositiveRate: Metric,
    falsePositiveRate: Metric,
    accuracy: Metric,
  })
  .strict()
  .meta({ id: "BiasGroup" });
export type BiasGroup = z.infer<typeof BiasGroup>;

export const BiasReport = z
  .object({
    status: MetricStatus,
    positive: z.string().nullable(),
    /** Rows excluded for a missing group, label or prediction. */
    missing: z.number().int().min(0),
    groups: z.record(z.string(), BiasGroup),
    demographicParityDifference: Metric,
    demographicParityRatio: Metric,
    equalOpportunityDifference: Metric,
    equalizedOddsDifference: Metric,
    notes: z.array(z.string()),
  })
  .strict()
  .meta({ id: "BiasReport" });
export type BiasReport = z.infer<typeof BiasReport>;

export const DataBiasGroup = z
  .object({
    count: z.number().int().min(0),
    share: z.number().min(0).max(1),
    expectedShare: Metric,
    /** Share of rows with a positive label among the group's labelled rows; null without a label column. */
    baseRate: Metric,
    /** Share of missing cells over the checked columns of the group's rows. */
    missingRate: Metric,
  })
  .strict()
  .meta({ id: "DataBiasGroup" });
export type DataBiasGroup = z.infer<typeof DataBiasGroup>;

export const DataBiasFlag = z
  .object({
    kind: z.enum(["share_below_bound", "share_below_expected", "base_rate_difference"]),
    /** The group (null for the across-groups base-rate gap). */
    group: z.string().nullable(),
    observed: z.number(),
    bound: z.number(),
    message: z.string(),
  })
  .strict()
  .meta({ id: "DataBiasFlag" });
export type DataBiasFlag = z.infer<typeof DataBiasFlag>;

export const DataBiasReport = z
  .object({
    status: MetricStatus,
    passed: z.boolean(),
    count: z.number().int().min(0),
    /** Rows whose sensitive value is missing (not a group). */
    missingGroup: z.number().int().min(0),
    groups: z.record(z.string(), DataBiasGroup),
    /** max − min base rate across groups. */
    baseRateDifference: Metric,
    flags: z.array(DataBiasFlag),
    notes: z.array(z.string()),
  })
  .strict()
  .meta({ id: "DataBiasReport" });
export type DataBiasReport = z.infer<typeof DataBiasReport>;

// ---- Drift (checks/drift) ----

export const DriftMethod = z.enum(["ks", "chi2", "wasserstein", "psi", "jensenshannon"]);
export type DriftMethod = z.infer<typeof DriftMethod>;

/** `not_enough_data`: fewer present values than the minimum sample size on a side; no verdict then. */
export const DriftStatus = z.enum(["ok", "drift", "not_enough_data"]);
export type DriftStatus = z.infer<typeof DriftStatus>;

export const DriftColumn = z
  .object({
    column: z.string(),
    type: z.enum(["numerical", "categorical"]),
    method: DriftMethod,
    /** ks: D; chi2: χ²; wasserstein: distance / reference std; psi; jensenshannon: distance (base 2). null without enough data. */
    statistic: z.number().nullable(),
    /** ks and chi2 only. */
    pValue: z.number().min(0).max(1).nullable(),
    /** ks, chi2: drift when p < threshold; the others: when statistic ≥ threshold. */
    threshold: z.number(),
    drifted: z.boolean().nullable(),
    status: DriftStatus,
    /** Present (non-missing) values used on each side. */
    referenceSize: z.number().int().min(0),
    currentSize: z.number().int().min(0),
    referenceMissing: z.number().int().min(0),
    currentMissing: z.number().int().min(0),
  })
  .strict()
  .meta({ id: "DriftColumn" });
export type DriftColumn = z.infer<typeof DriftColumn>;

export const DriftReport = z
  .object({
    columns: z.array(DriftColumn),
    /** Drifted columns / columns with a verdict (0 when none has one). */
    driftedShare: z.number().min(0).max(1),
    /** driftedShare ≥ the dataset threshold (default 0.5). */
    drifted: z.boolean(),
  })
  .strict()
  .meta({ id: "DriftReport" });
export type DriftReport = z.infer<typeof DriftReport>;
