import { z } from "zod";

/**
 * Result shapes of the data and model checks (issue 5), shared by core, the server, the
 * SDK and the CLI. One section per check family.
 */

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

