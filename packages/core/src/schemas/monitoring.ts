import { z } from "zod";
import { EpochMs, IsoDateTime, PageInfo, Text, Uuid, UuidV7 } from "./common.js";
import { ColumnProfile } from "./datasets.js";
import { AliasName, Duration, ModelName } from "./models.js";

/**
 * Production monitoring (issue 6): predictions and delayed labels, per-window aggregates,
 * the monitoring report, monitors, alerts and webhook deliveries. One contract for the
 * server, the SDK and the UI.
 */

// ---- Predictions and labels ----

/** Lone UTF-16 surrogates and NUL cannot be stored in PostgreSQL's jsonb: refused up front, as a 400 naming the field. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
export const isJsonbSafeText = (s: string): boolean => !s.includes("\u0000") && !LONE_SURROGATE.test(s);
const StoredText = (max: number, min = 0) => z.string().min(min, "must not be empty").max(max, `must be at most ${max} characters`).refine(isJsonbSafeText, "must not contain NUL characters or lone surrogates");

/** A feature value: a flat scalar (null = missing). Nested objects and arrays are refused (400 naming the index). */
export const FeatureValue = z.union([z.number(), StoredText(10_000), z.boolean(), z.null()]);
export type FeatureValue = z.infer<typeof FeatureValue>;

export const FeatureName = StoredText(1000, 1);
export const Features = z.record(FeatureName, FeatureValue);
export type Features = z.infer<typeof Features>;

/** The model's output: a scalar (class or value) or a flat object of scalars (`{label, probabilities…}` flattened). */
export const PredictionOutput = z.union([FeatureValue, z.record(FeatureName, FeatureValue)]);
export type PredictionOutput = z.infer<typeof PredictionOutput>;

export const PredictionIn = z
  .object({
    /** Client UUIDv7: a re-sent prediction is stored once. Its time also places the row in a partition. */
    id: UuidV7,
    model: ModelName,
    version: z.number().int().min(1),
    /** Milliseconds since the epoch; the id's time when omitted. */
    timestamp: EpochMs.optional(),
    features: Features,
    output: PredictionOutput,
    /** A score for the positive class or a confidence, for score distributions and ROC AUC. */
    score: z.number().optional(),
    latencyMs: z.number().min(0).optional(),
  })
  .strict()
  .meta({ id: "PredictionIn" });
export type PredictionIn = z.infer<typeof PredictionIn>;

export const MAX_PREDICTIONS_PER_BATCH = 10_000;

export const LogPredictions = z
  .object({ predictions: z.array(PredictionIn).min(1).max(MAX_PREDICTIONS_PER_BATCH) })
  .strict()
  .meta({ id: "LogPredictions" });
export type LogPredictions = z.infer<typeof LogPredictions>;

/**
 * The same batch in columns, for one model version (what the SDK sends: writing doubles as
 * JSON text costs a serving process more than anything else it does per prediction). The
 * server checks it with `parsePredictionColumns` (core/monitoring/prediction-columns.ts),
 * which documents the layout; this schema describes it for the OpenAPI document.
 */
export const LogPredictionsColumnar = z
  .object({
    columns: z
      .object({
        model: ModelName,
        version: z.number().int().min(1),
        count: z.number().int().min(1).max(MAX_PREDICTIONS_PER_BATCH),
        /** The `count` ids (UUIDv7, 36 characters each) one after another. */
        ids: z.string(),
        /** Per-row number columns at the start of `numbers`, in this order (NaN = absent). */
        present: z.array(z.enum(["timestamp", "score", "latencyMs"])).max(3),
        /** `"numbers"`: outputs are a float64 column of `numbers` after the `present` ones; else one output per row. */
        outputs: z.union([z.literal("numbers"), z.array(PredictionOutput)]),
        /** Names of the numeric feature columns, written row by row at the end of `numbers`. */
        features: z.array(FeatureName),
        /** Base64 of little-endian float64s: the `present` columns, the outputs when numeric, then count × features.length feature values (non-finite = null). */
        numbers: z.string(),
      })
      .strict(),
    /** [row, features] of rows with features beyond the columns (merged with them). */
    extra: z.array(z.tuple([z.number().int().min(0), Features])).optional(),
    /** [row, features] of rows whose features are these alone (the columns' values of the row are ignored). */
    own: z.array(z.tuple([z.number().int().min(0), Features])).optional(),
  })
  .strict()
  .meta({ id: "LogPredictionsColumnar" });
export type LogPredictionsColumnar = z.infer<typeof LogPredictionsColumnar>;

export const LogPredictionsResult = z
  .object({
    accepted: z.number().int().min(0),
    /** Ids already stored (a retried batch): not counted twice anywhere. */
    duplicates: z.number().int().min(0),
  })
  .meta({ id: "LogPredictionsResult" });
export type LogPredictionsResult = z.infer<typeof LogPredictionsResult>;

export const LabelValue = z.union([z.number(), StoredText(10_000), z.boolean()]);

export const LabelIn = z
  .object({
    predictionId: UuidV7,
    label: LabelValue,
    /** When the ground truth became known; now when omitted. */
    timestamp: EpochMs.optional(),
  })
  .strict()
  .meta({ id: "LabelIn" });
export type LabelIn = z.infer<typeof LabelIn>;

export const LogLabels = z
  .object({ labels: z.array(LabelIn).min(1).max(MAX_PREDICTIONS_PER_BATCH) })
  .strict()
  .meta({ id: "LogLabels" });
export type LogLabels = z.infer<typeof LogLabels>;

export const LogLabelsResult = z
  .object({
    accepted: z.number().int().min(0),
    /** Labels whose prediction is not stored yet: kept pending, joined when it arrives, reported as orphaned after the pending period. */
    pending: z.number().int().min(0),
  })
  .meta({ id: "LogLabelsResult" });
export type LogLabelsResult = z.infer<typeof LogLabelsResult>;

// ---- Monitoring report ----

export const MonitoringWindowSize = z.enum(["1h", "1d"]);
export type MonitoringWindowSize = z.infer<typeof MonitoringWindowSize>;

/** Drift statistic of numerical features: Jensen–Shannon distance (threshold 0.1) or PSI (0.2), both over the training deciles. */
export const MonitoringDriftMethod = z.enum(["psi", "jensenshannon"]);
export type MonitoringDriftMethod = z.infer<typeof MonitoringDriftMethod>;

export const MonitoringQuery = z.object({
  from: IsoDateTime.optional().describe("Start (inclusive, widened to a whole UTC window); 24 h before `to` when omitted (30 days for window=1d)"),
  to: IsoDateTime.optional().describe("End (exclusive, widened to a whole UTC window); now when omitted"),
  window: MonitoringWindowSize.default("1h"),
  version: z.coerce.number().int().min(1).optional().describe("One version; all versions of the model when omitted"),
  method: MonitoringDriftMethod.default("jensenshannon").describe("Drift statistic of numerical features over the training profile's decile bins (categorical features always use L-infinity)"),
});
export type MonitoringQuery = z.input<typeof MonitoringQuery>;

export const SchemaViolationKind = z.enum(["missing_field", "unknown_field", "type_mismatch", "out_of_range", "unseen_category"]);
export type SchemaViolationKind = z.infer<typeof SchemaViolationKind>;

export const LatencySummary = z.object({ p50: z.number().nullable(), p95: z.number().nullable(), p99: z.number().nullable(), count: z.number().int() });

export const FeatureDrift = z
  .object({
    feature: z.string(),
    type: z.enum(["numerical", "categorical"]),
    /** psi / jensenshannon over the training profile's bins; linf over category shares (TFDV). */
    method: z.enum(["psi", "jensenshannon", "linf"]),
    statistic: z.number().nullable(),
    threshold: z.number(),
    drifted: z.boolean(),
    status: z.enum(["ok", "drift", "not_enough_data"]),
    count: z.number().int().min(0),
    missing: z.number().int().min(0),
  })
  .meta({ id: "FeatureDrift" });
export type FeatureDrift = z.infer<typeof FeatureDrift>;

export const WindowPerformance = z
  .object({
    task: z.enum(["classification", "regression"]),
    /** Labelled predictions in the window. */
    count: z.number().int().min(0),
    accuracy: z.number().nullable().optional(),
    precision: z.number().nullable().optional(),
    recall: z.number().nullable().optional(),
    f1: z.number().nullable().optional(),
    mae: z.number().nullable().optional(),
    rmse: z.number().nullable().optional(),
  })
  .meta({ id: "WindowPerformance" });
export type WindowPerformance = z.infer<typeof WindowPerformance>;

export const MonitoringWindow = z
  .object({
    start: IsoDateTime,
    end: IsoDateTime,
    count: z.number().int().min(0),
    latencyMs: LatencySummary,
    /** Score distribution: quantiles and mean; null without scores. */
    score: z.object({ mean: z.number().nullable(), p50: z.number().nullable(), p95: z.number().nullable() }).nullable(),
    /** Output distribution: class shares for categorical outputs, quantiles for numerical. */
    output: z.record(z.string(), z.number()),
    schemaViolations: z.object({
      total: z.number().int().min(0),
      /** Predictions with at least one violation / count. */
      rate: z.number().min(0).max(1).nullable(),
      byKind: z.record(z.string(), z.number().int()),
      byFeature: z.record(z.string(), z.number().int()),
    }),
    labels: z.object({ count: z.number().int().min(0), coverage: z.number().min(0).max(1).nullable() }),
    performance: WindowPerformance.nullable(),
    drift: z.object({ features: z.array(FeatureDrift), driftedShare: z.number().nullable(), drifted: z.boolean() }),
  })
  .meta({ id: "MonitoringWindow" });
export type MonitoringWindow = z.infer<typeof MonitoringWindow>;

export const MonitoringReport = z
  .object({
    model: z.string(),
    version: z.number().int().nullable(),
    window: MonitoringWindowSize,
    from: IsoDateTime,
    to: IsoDateTime,
    /** The training profile drift is measured against (the version's dataset with role train), null when none is stored. */
    reference: z.object({ datasetVersionId: Uuid, name: z.string(), version: z.number().int() }).nullable(),
    windows: z.array(MonitoringWindow),
    /** Labels received for predictions that never arrived within the pending period. */
    orphanedLabels: z.number().int().min(0),
  })
  .meta({ id: "MonitoringReport" });
export type MonitoringReport = z.infer<typeof MonitoringReport>;

/** A window's feature distributions side by side with the training profile (the UI's drift heatmap click). */
export const FeatureDistributionQuery = z.object({ feature: FeatureName, start: IsoDateTime.optional().describe("Any instant in the window; the current window when omitted"), window: MonitoringWindowSize.default("1h"), version: z.coerce.number().int().min(1).optional() });
export const FeatureDistribution = z
  .object({ feature: z.string(), reference: ColumnProfile.nullable(), current: ColumnProfile.nullable() })
  .meta({ id: "FeatureDistribution" });

// ---- Monitors, alerts, webhooks ----

export const MonitorRule = z
  .discriminatedUnion("type", [
    /** One feature's drift statistic (or, without `feature`, the share of drifted features) above the bound. */
    z
      .object({
        type: z.literal("drift"),
        feature: FeatureName.optional(),
        max: z.number().min(0),
        /** Statistic of numerical features (categorical ones always use L-infinity); PSI is steadier on small windows. */
        method: MonitoringDriftMethod.optional(),
      })
      .strict(),
    /** A performance metric over labelled predictions below `min` (or above `max` for errors). */
    z
      .object({ type: z.literal("performance"), metric: z.enum(["accuracy", "precision", "recall", "f1", "mae", "rmse"]), min: z.number().optional(), max: z.number().optional() })
      .strict()
      .refine((r) => r.min !== undefined || r.max !== undefined, { message: "needs min or max", path: ["min"] }),
    z.object({ type: z.literal("latency"), percentile: z.enum(["p50", "p95", "p99"]).default("p95"), max: z.number().min(0) }).strict(),
    /** Volume below `minRatio` × the trailing average of the previous `trailingWindows` windows. */
    z.object({ type: z.literal("volume"), minRatio: z.number().min(0).max(1), trailingWindows: z.number().int().min(1).max(720).default(24) }).strict(),
    z.object({ type: z.literal("schema_violation_rate"), max: z.number().min(0).max(1) }).strict(),
  ])
  .meta({ id: "MonitorRule" });
export type MonitorRule = z.infer<typeof MonitorRule>;

export const WebhookTarget = z
  .object({
    url: Text(2000, 1).url("must be an http(s) URL"),
    /** HMAC-SHA256 key for `X-Cairn-Signature`; write-only (never returned). */
    secret: Text(500, 16).optional(),
  })
  .strict();

export const CreateMonitor = z
  .object({
    name: Text(200, 1),
    model: ModelName,
    /** Which version to watch: the holder of this alias at evaluation time (default `production`). */
    alias: AliasName.default("production"),
    rule: MonitorRule,
    window: MonitoringWindowSize.default("1h"),
    /** Below this many predictions (or labelled predictions for performance rules) in the window, no verdict. */
    minSamples: z.number().int().min(1).max(1_000_000_000).default(100),
    /** No new alert for this monitor while one fired within this time. */
    cooldown: Duration.default("1h"),
    webhooks: z.array(WebhookTarget).max(10).default([]),
    /** Send the retrain payload (model, production version, training run, `cairn rerun` command, dataset digests, window). */
    retrain: z.boolean().default(false),
    enabled: z.boolean().default(true),
  })
  .strict()
  .meta({ id: "CreateMonitor" });
export type CreateMonitor = z.input<typeof CreateMonitor>;

export const UpdateMonitor = CreateMonitor.partial().omit({ model: true }).strict().meta({ id: "UpdateMonitor" });
export type UpdateMonitor = z.input<typeof UpdateMonitor>;

export const Monitor = z
  .object({
    id: Uuid,
    projectId: Uuid,
    name: z.string(),
    model: z.string(),
    alias: z.string(),
    rule: MonitorRule,
    window: MonitoringWindowSize,
    minSamples: z.number().int(),
    cooldown: z.string(),
    webhooks: z.array(z.object({ url: z.string(), hasSecret: z.boolean() })),
    retrain: z.boolean(),
    enabled: z.boolean(),
    /** Why a webhook target is refused (private address not allowlisted, …); the monitor is saved and still evaluated. */
    validationErrors: z.array(z.string()),
    lastEvaluatedAt: IsoDateTime.nullable(),
    createdAt: IsoDateTime,
  })
  .meta({ id: "Monitor" });
export type Monitor = z.infer<typeof Monitor>;

export const MonitorList = PageInfo.extend({ monitors: z.array(Monitor) }).meta({ id: "MonitorList" });

export const AlertStatus = z.enum(["open", "acknowledged", "resolved"]);
export type AlertStatus = z.infer<typeof AlertStatus>;

export const Alert = z
  .object({
    id: Uuid,
    projectId: Uuid,
    monitorId: Uuid,
    monitorName: z.string(),
    model: z.string(),
    version: z.number().int().nullable(),
    status: AlertStatus,
    /** What fired it: observed value, bound, window, sample size, the rule. */
    figures: z.record(z.string(), z.unknown()),
    message: z.string(),
    firedAt: IsoDateTime,
    windowStart: IsoDateTime,
    windowEnd: IsoDateTime,
    acknowledgedBy: z.string().nullable(),
    acknowledgedAt: IsoDateTime.nullable(),
    resolvedBy: z.string().nullable(),
    resolvedAt: IsoDateTime.nullable(),
  })
  .meta({ id: "Alert" });
export type Alert = z.infer<typeof Alert>;

export const AlertList = PageInfo.extend({ alerts: z.array(Alert) }).meta({ id: "AlertList" });
export const AlertListQuery = z.object({
  status: AlertStatus.optional(),
  model: ModelName.optional(),
  monitorId: Uuid.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  cursor: z.string().max(2000).optional(),
});
export const UpdateAlert = z
  .object({ status: z.enum(["acknowledged", "resolved"]), note: Text(5000).optional() })
  .strict()
  .meta({ id: "UpdateAlert" });

export const WebhookDelivery = z
  .object({
    id: Uuid,
    monitorId: Uuid,
    alertId: Uuid.nullable(),
    url: z.string(),
    status: z.enum(["pending", "delivered", "failed", "refused"]),
    attempts: z.number().int().min(0),
    lastStatusCode: z.number().int().nullable(),
    lastError: z.string().nullable(),
    latencyMs: z.number().nullable(),
    createdAt: IsoDateTime,
    deliveredAt: IsoDateTime.nullable(),
  })
  .meta({ id: "WebhookDelivery" });
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;
export const WebhookDeliveryList = PageInfo.extend({ deliveries: z.array(WebhookDelivery) }).meta({ id: "WebhookDeliveryList" });

/** The JSON a monitor's webhook receives (signed: `X-Cairn-Signature: sha256=<hex HMAC of the body>`). */
export const AlertPayload = z
  .object({
    type: z.enum(["alert", "retrain"]),
    deliveryId: Uuid,
    project: z.string(),
    alert: Alert,
    /** Present for `retrain`: what a CI job needs to retrain without a human. */
    retrain: z
      .object({
        model: z.string(),
        alias: z.string(),
        version: z.number().int(),
        trainingRunId: Uuid.nullable(),
        rerunCommand: z.string().nullable(),
        datasets: z.array(z.object({ role: z.string(), name: z.string(), version: z.number().int(), digest: z.string() })),
        referenceDigest: z.string().nullable(),
        window: z.object({ start: IsoDateTime, end: IsoDateTime }),
      })
      .optional(),
  })
  .meta({ id: "AlertPayload" });
export type AlertPayload = z.infer<typeof AlertPayload>;

/**
 * An alias move as pushed to `client.models.watch` (server-sent event `alias`). The first
 * event of a stream is the current state: `moveId`/`movedAt` are null when the alias has
 * never moved (it exists only through its policy).
 */
export const AliasEvent = z
  .object({ model: z.string(), alias: z.string(), version: z.number().int().nullable(), previousVersion: z.number().int().nullable(), movedAt: IsoDateTime.nullable(), moveId: Uuid.nullable() })
  .meta({ id: "AliasEvent" });
export type AliasEvent = z.infer<typeof AliasEvent>;

export const PredictionRecord = z
  .object({
    id: UuidV7,
    modelVersionId: Uuid,
    timestamp: IsoDateTime,
    features: Features,
    output: PredictionOutput,
    score: z.number().nullable(),
    latencyMs: z.number().nullable(),
    label: LabelValue.nullable(),
  })
  .meta({ id: "PredictionRecord" });
