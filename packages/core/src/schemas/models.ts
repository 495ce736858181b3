import { z } from "zod";
import { ArtifactPath } from "./artifacts.js";
import { IsoDateTime, isStorableTime, Key, ListQuery, PageInfo, Text, Uuid, UuidV7 } from "./common.js";
import { ColumnSchema, DatasetRole } from "./datasets.js";
import { Tags, TagUpdates } from "./tags.js";

/**
 * The model registry and the promotion gate (issue 5): registered models, immutable
 * numbered versions, stored check results, promotion policies and alias moves with the
 * gate's evaluation. One contract for the server, the SDK, the CLI and the UI.
 */

// ---- Names ----

/** Model names appear in URLs: URL-safe, like project names. */
export const ModelName = Text(200, 1).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "must start with a letter or digit and contain only letters, digits and _ . -");

/** `production`, `staging`, `champion` or any lowercase word; never a number (so `{version}` and aliases cannot be confused). */
export const AliasName = Text(100, 1).regex(/^[a-z][a-z0-9_-]*$/, "must be a lowercase word starting with a letter (letters, digits, _ and -)");

/** A version in a URL: its number or `latest` (the newest version that is not archived). */
export const ModelVersionRef = z
  .string()
  .max(20)
  .regex(/^(?:[1-9][0-9]{0,9}|latest)$/, "must be a version number or `latest`");

// ---- Registered models ----

export const RegisteredModel = z
  .object({
    id: Uuid,
    projectId: Uuid,
    name: z.string(),
    description: z.string(),
    tags: Tags,
    /** Highest version number, null before the first version. */
    latestVersion: z.number().int().nullable(),
    /** alias → version number it points at now. */
    aliases: z.record(z.string(), z.number().int()),
    createdAt: IsoDateTime,
    updatedAt: IsoDateTime,
  })
  .meta({ id: "RegisteredModel" });
export type RegisteredModel = z.infer<typeof RegisteredModel>;

/** Creates the model, or returns the existing one with 200 (description and tags are then left as they are). */
export const CreateModel = z
  .object({ name: ModelName, description: Text(10_000).optional(), tags: Tags.optional() })
  .strict()
  .meta({ id: "CreateModel" });
export type CreateModel = z.infer<typeof CreateModel>;

export const UpdateModel = z
  .object({ description: Text(10_000).optional(), tags: TagUpdates.optional() })
  .strict()
  .meta({ id: "UpdateModel" });
export type UpdateModel = z.infer<typeof UpdateModel>;

export const ModelList = PageInfo.extend({ models: z.array(RegisteredModel) }).meta({ id: "ModelList" });
export type ModelList = z.infer<typeof ModelList>;

// ---- Versions ----

/** Input and output columns of the model; inputs are inferred from the training dataset's schema when not given. */
export const ModelSignature = z
  .object({
    inputs: z.array(ColumnSchema).max(10_000),
    outputs: z.array(ColumnSchema).max(1_000),
  })
  .strict()
  .meta({ id: "ModelSignature" });
export type ModelSignature = z.infer<typeof ModelSignature>;

/** A dataset version the model version was trained or evaluated on, with its role (train, validation, test, …). */
export const ModelVersionDataset = z
  .object({ datasetVersionId: Uuid, role: DatasetRole })
  .strict()
  .meta({ id: "ModelVersionDataset" });
export type ModelVersionDataset = z.infer<typeof ModelVersionDataset>;

/** One file of a version, frozen at registration: the version keeps its bytes even if the run's artifact is overwritten or the run purged. */
export const ModelVersionFile = z
  .object({ path: z.string(), sha256: z.string(), size: z.number().int().min(0) })
  .meta({ id: "ModelVersionFile" });
export type ModelVersionFile = z.infer<typeof ModelVersionFile>;

export const CreateModelVersion = z
  .object({
    /** Client UUIDv7: re-sending the same registration returns the same version (200) instead of a new number. */
    id: UuidV7.optional(),
    runId: Uuid,
    /** A file or a folder (prefix) of the run's artifacts; a folder registers every file under it. */
    artifactPath: ArtifactPath,
    signature: ModelSignature.optional(),
    /** Column of the training data that is the label: left out of the inferred input signature. */
    labelColumn: Text(1000, 1).optional(),
    /** Defaults to the run's input datasets with their roles. */
    datasets: z.array(ModelVersionDataset).max(100).optional(),
    /** Defaults to the latest value of each of the run's metrics at registration. */
    metrics: z.record(Key, z.number()).optional(),
    framework: Text(200).optional(),
    description: Text(10_000).optional(),
    tags: Tags.optional(),
  })
  .strict()
  .meta({ id: "CreateModelVersion" });
export type CreateModelVersion = z.infer<typeof CreateModelVersion>;

export const ModelVersion = z
  .object({
    id: Uuid,
    modelId: Uuid,
    projectId: Uuid,
    modelName: z.string(),
    version: z.number().int().min(1),
    /** Null once the run has been purged; the files stay with the version. */
    runId: Uuid.nullable(),
    artifactPath: z.string(),
    /** sha256 of the single file, or of the folder's manifest (`path\tsha256\n` per file, sorted): the models.load cache key. */
    digest: z.string(),
    files: z.array(ModelVersionFile),
    signature: ModelSignature.nullable(),
    datasets: z.array(ModelVersionDataset.extend({ datasetName: z.string(), version: z.number().int() })),
    metrics: z.record(z.string(), z.number()),
    framework: z.string().nullable(),
    description: z.string(),
    tags: Tags,
    archived: z.boolean(),
    /** Aliases pointing at this version now. */
    aliases: z.array(z.string()),
    createdBy: z.string(),
    createdAt: IsoDateTime,
  })
  .meta({ id: "ModelVersion" });
export type ModelVersion = z.infer<typeof ModelVersion>;

/** Versions are immutable: only the description, tags and the archived flag change. */
export const UpdateModelVersion = z
  .object({ description: Text(10_000).optional(), tags: TagUpdates.optional(), archived: z.boolean().optional() })
  .strict()
  .meta({ id: "UpdateModelVersion" });
export type UpdateModelVersion = z.infer<typeof UpdateModelVersion>;

export const ModelVersionList = PageInfo.extend({ versions: z.array(ModelVersion) }).meta({ id: "ModelVersionList" });
export type ModelVersionList = z.infer<typeof ModelVersionList>;

/** Newest first; archived versions are listed unless `archived=exclude` (`only`: just those). */
export const ModelVersionListQuery = ListQuery.extend({ archived: z.enum(["include", "exclude", "only"]).default("include") });
export type ModelVersionListQuery = z.input<typeof ModelVersionListQuery>;

/** A version's frozen files (what `models.load` downloads) and the digest over them. */
export const ModelVersionFileList = z
  .object({ version: z.number().int().min(1), digest: z.string(), files: z.array(ModelVersionFile) })
  .meta({ id: "ModelVersionFileList" });
export type ModelVersionFileList = z.infer<typeof ModelVersionFileList>;

// ---- Check results ----

/** The built-in kinds the gate knows; any other lowercase word is stored as given. */
export const BUILTIN_CHECK_KINDS = ["performance", "bias", "data_bias", "drift", "schema", "skew", "behaviour"] as const;
export const CheckKind = Text(100, 1).regex(/^[a-z][a-z0-9_-]*$/, "must be a lowercase word (performance, bias, data_bias, drift, schema, skew, behaviour, or your own)");

export const CheckStatus = z.enum(["passed", "failed", "warning", "not_enough_data", "error"]);
export type CheckStatus = z.infer<typeof CheckStatus>;

export const CheckTool = z.object({ name: Text(200, 1), version: Text(100, 1) }).strict();

export const CreateCheckResult = z
  .object({
    /** Client UUIDv7: re-sending the same result stores it once. */
    id: UuidV7.optional(),
    kind: CheckKind,
    /** Free label to tell several checks of one kind apart (`bias:sex`, `drift:2026-11`). */
    name: Text(200).optional(),
    status: CheckStatus,
    /** The check's report (DriftReport, PerformanceReport, BiasReport, a behaviour report, …): what the gate's rules read. */
    figures: z.record(z.string(), z.unknown()),
    /** The dataset versions the check used, with their roles (the performance check's `test` set, drift's `reference` and `current`). */
    datasets: z.array(ModelVersionDataset).max(20).default([]),
    tool: CheckTool.optional(),
  })
  .strict()
  .meta({ id: "CreateCheckResult" });
export type CreateCheckResult = z.input<typeof CreateCheckResult>;

export const CheckResult = z
  .object({
    id: Uuid,
    modelVersionId: Uuid,
    version: z.number().int(),
    kind: z.string(),
    name: z.string().nullable(),
    status: CheckStatus,
    figures: z.record(z.string(), z.unknown()),
    datasets: z.array(ModelVersionDataset),
    tool: CheckTool.nullable(),
    /** `client`: recorded by the SDK/CI; `server`: computed by the server from stored profiles and signatures. */
    source: z.enum(["client", "server"]),
    createdBy: z.string(),
    createdAt: IsoDateTime,
  })
  .meta({ id: "CheckResult" });
export type CheckResult = z.infer<typeof CheckResult>;

export const CheckResultList = PageInfo.extend({ checks: z.array(CheckResult) }).meta({ id: "CheckResultList" });

export const CheckListQuery = z.object({
  kind: CheckKind.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(2000).optional(),
});

/** The longest prediction window a skew check reads (31 days of hourly aggregates with their profiles). */
export const MAX_SKEW_WINDOW_DAYS = 31;

const WindowInstant = z.iso
  .datetime({ offset: true, message: "must be an RFC 3339 date-time with a zone (e.g. 2026-01-31T00:00:00Z)" })
  .refine((s) => isStorableTime(Date.parse(s)), "must be a date-time between the years 1 and 9999");

/**
 * A range of logged predictions by their prediction time: `from` inclusive, `to` exclusive,
 * widened to whole UTC hours (the resolution predictions are aggregated at).
 */
export const PredictionWindow = z
  .object({ from: WindowInstant, to: WindowInstant })
  .strict()
  .superRefine((w, ctx) => {
    // A malformed bound already has its own issue.
    if (!WindowInstant.safeParse(w.from).success || !WindowInstant.safeParse(w.to).success) return;
    const from = Date.parse(w.from);
    const to = Date.parse(w.to);
    if (!(from < to)) ctx.addIssue({ code: "custom", path: ["from"], message: "must be before window.to" });
    else if (to - from > MAX_SKEW_WINDOW_DAYS * 86_400_000) ctx.addIssue({ code: "custom", path: ["from"], message: `must be at most ${MAX_SKEW_WINDOW_DAYS} days before window.to` });
  })
  .meta({ id: "PredictionWindow" });
export type PredictionWindow = z.infer<typeof PredictionWindow>;

/**
 * Checks the server computes from what it stores (`POST …/versions/{v}/checks/compute`):
 * - `schema`: this version's signature against the signature of the version holding `alias`
 *   (inputs it needs that the holder's callers do not send, type changes);
 * - `skew`: serving data against this version's training profile, either a dataset version
 *   (`datasetVersionId`, role `serving`) or the features of the predictions logged for this
 *   version in `window` (exactly one of the two).
 */
export const ComputeCheck = z
  .discriminatedUnion("kind", [
    z.object({ kind: z.literal("schema"), compatibleWith: AliasName }).strict(),
    z
      .object({
        kind: z.literal("skew"),
        datasetVersionId: Uuid.optional(),
        window: PredictionWindow.optional(),
        /** Per-column thresholds; defaults are the skew check's. */
        thresholds: z.record(z.string(), z.number().min(0)).optional(),
        /** Columns to compare; default: the signature's inputs the training profile can compare. */
        columns: z.array(Text(200, 1)).min(1).max(1000).optional(),
        /**
         * Window only: fewer predictions (or present values of a column) than this is "not
         * enough data" rather than a verdict; default 30, the drift checks' minimum sample.
         */
        minRows: z.number().int().min(2).max(1_000_000).optional(),
      })
      .strict()
      .superRefine((c, ctx) => {
        if (c.datasetVersionId !== undefined && c.window !== undefined) ctx.addIssue({ code: "custom", path: ["window"], message: "give either window or datasetVersionId, not both" });
        else if (c.datasetVersionId === undefined && c.window === undefined) ctx.addIssue({ code: "custom", path: ["datasetVersionId"], message: "give datasetVersionId (a stored dataset version) or window (logged predictions)" });
        if (c.minRows !== undefined && c.window === undefined) ctx.addIssue({ code: "custom", path: ["minRows"], message: "applies to a window of predictions only" });
      }),
  ])
  .meta({ id: "ComputeCheck" });
export type ComputeCheck = z.infer<typeof ComputeCheck>;

// ---- Behaviour tests (run by the SDK, recorded as a `behaviour` check) ----

export const BehaviourCaseResult = z
  .object({
    name: z.string(),
    type: z.enum(["invariance", "directional", "minimum_functionality"]),
    passed: z.boolean(),
    /** What was expected and what came out, as text a person reads. */
    expected: z.string(),
    observed: z.string(),
    /** Set when the predict function threw. */
    error: z.string().optional(),
  })
  .strict()
  .meta({ id: "BehaviourCaseResult" });
export type BehaviourCaseResult = z.infer<typeof BehaviourCaseResult>;

export const BehaviourReport = z
  .object({
    passed: z.boolean(),
    total: z.number().int().min(0),
    failedCount: z.number().int().min(0),
    cases: z.array(BehaviourCaseResult),
  })
  .strict()
  .meta({ id: "BehaviourReport" });
export type BehaviourReport = z.infer<typeof BehaviourReport>;

// ---- Promotion policy ----

/** `7d`, `12h`, `30m`, `90s`. */
export const Duration = z.string().regex(/^[1-9][0-9]{0,6}[smhdw]$/, "must be a duration such as 30m, 12h, 7d or 2w");

const Bounds = { min: z.number().optional(), max: z.number().optional() };

/** The version's figure for `metric` on the dataset with role `dataset` (from its newest performance check on that role, else its metrics snapshot) within bounds. */
export const MetricRule = z
  .object({ metric: Key, dataset: DatasetRole, ...Bounds })
  .strict()
  .refine((r) => r.min !== undefined || r.max !== undefined, { message: "needs min or max", path: ["min"] });

/** Not worse than the version holding `notWorseThan`, on the same dataset version, by more than `tolerance`. */
export const RelativeMetricRule = z
  .object({
    metric: Key,
    dataset: DatasetRole,
    notWorseThan: AliasName,
    tolerance: z.number().min(0).default(0),
    /** Defaults by name: losses and errors (loss, logLoss, mae, rmse, mape, error…) are lower-is-better. */
    higherIsBetter: z.boolean().optional(),
  })
  .strict();

/** A figure of the newest check of `check` kind (dot path into its figures, e.g. `demographicParityRatio`, `columns.0.statistic`) within bounds. */
export const CheckFieldRule = z
  .object({ check: CheckKind, name: Text(200).optional(), field: Text(500, 1), ...Bounds })
  .strict()
  .refine((r) => r.min !== undefined || r.max !== undefined, { message: "needs min or max", path: ["min"] });

/** The newest check of `check` kind has status `passed` (behaviour: every case passed). */
export const CheckPassRule = z.object({ check: CheckKind, name: Text(200).optional(), allPass: z.literal(true) }).strict();

/** The version's signature is compatible with the signature of the version holding `compatibleWith` (computed by the gate, stored as a server check). */
export const SchemaCompatibilityRule = z.object({ check: z.literal("schema"), compatibleWith: AliasName }).strict();

/** Every piece of evidence the other rules used is newer than this. */
export const FreshnessRule = z.object({ checksNewerThan: Duration }).strict();

export const PolicyRule = z.union([RelativeMetricRule, MetricRule, SchemaCompatibilityRule, CheckPassRule, CheckFieldRule, FreshnessRule]).meta({ id: "PolicyRule" });
export type PolicyRule = z.infer<typeof PolicyRule>;

export const Policy = z
  .object({ alias: AliasName, rules: z.array(PolicyRule).max(100) })
  .strict()
  .meta({ id: "Policy" });
export type Policy = z.input<typeof Policy>;

export const StoredPolicy = z
  .object({
    modelId: Uuid,
    alias: z.string(),
    /** 1, 2, 3… per (model, alias); every PUT stores a new revision. */
    revision: z.number().int().min(1),
    rules: z.array(PolicyRule),
    createdBy: z.string(),
    createdAt: IsoDateTime,
  })
  .meta({ id: "StoredPolicy" });
export type StoredPolicy = z.infer<typeof StoredPolicy>;

export const PolicyList = z.object({ policies: z.array(StoredPolicy) }).meta({ id: "PolicyList" });
export const PolicyQuery = z.object({
  alias: AliasName.optional(),
  history: z.enum(["true", "false"]).optional().describe("`true`: every revision, newest first"),
});

// ---- The gate ----

export const RuleEvidence = z
  .object({
    /** `check`: a stored check result; `metrics`: the version's metrics snapshot; `signature`: the stored signatures. */
    kind: z.enum(["check", "metrics", "signature"]),
    id: z.string(),
    createdAt: IsoDateTime.nullable(),
  })
  .meta({ id: "RuleEvidence" });

export const RuleOutcome = z
  .object({
    /** Index of the rule in the policy, and the rule as written. */
    index: z.number().int().min(0),
    rule: PolicyRule,
    passed: z.boolean(),
    observed: z.union([z.number(), z.string(), z.boolean(), z.null()]),
    /** The bound it was held to, as text (`≥ 0.9`, `≥ 0.912 (production v3 0.922 − 0.01)`). */
    bound: z.string(),
    /** null: no evidence was found (the rule then fails). */
    evidence: RuleEvidence.nullable(),
    message: z.string(),
  })
  .meta({ id: "RuleOutcome" });
export type RuleOutcome = z.infer<typeof RuleOutcome>;

export const GateEvaluation = z
  .object({
    id: Uuid,
    modelId: Uuid,
    modelName: z.string(),
    alias: z.string(),
    version: z.number().int(),
    /** The version holding the alias when evaluated (what "not worse than" compared with). */
    currentVersion: z.number().int().nullable(),
    policyRevision: z.number().int().nullable(),
    passed: z.boolean(),
    /** An admin moved the alias although rules failed. */
    forced: z.boolean(),
    /** `promote`: a real attempt (the alias moved if `passed` or `forced`); `dry_run`: evaluated only. */
    mode: z.enum(["promote", "dry_run"]),
    rules: z.array(RuleOutcome),
    reason: z.string().nullable(),
    actor: z.string(),
    evaluatedAt: IsoDateTime,
  })
  .meta({ id: "GateEvaluation" });
export type GateEvaluation = z.infer<typeof GateEvaluation>;

export const PromoteRequest = z
  .object({
    version: z.number().int().min(1),
    reason: Text(5_000).optional(),
    /** Admins only, with a reason: move the alias although rules fail (recorded as an override). */
    force: z.boolean().optional(),
  })
  .strict()
  .meta({ id: "PromoteRequest" });
export type PromoteRequest = z.infer<typeof PromoteRequest>;

export const EvaluateRequest = z.object({ version: z.number().int().min(1) }).strict().meta({ id: "EvaluateRequest" });

export const AliasMove = z
  .object({
    id: Uuid,
    alias: z.string(),
    fromVersion: z.number().int().nullable(),
    /** null when the alias was removed. */
    toVersion: z.number().int().nullable(),
    actor: z.string(),
    reason: z.string().nullable(),
    evaluationId: Uuid.nullable(),
    forced: z.boolean(),
    movedAt: IsoDateTime,
  })
  .meta({ id: "AliasMove" });
export type AliasMove = z.infer<typeof AliasMove>;

export const ModelAlias = z
  .object({
    modelId: Uuid,
    modelName: z.string(),
    alias: z.string(),
    /** null when the alias points nowhere (removed, or never set but has a policy). */
    version: z.number().int().nullable(),
    modelVersion: ModelVersion.nullable(),
    /** Newest first. */
    history: z.array(AliasMove),
  })
  .meta({ id: "ModelAlias" });
export type ModelAlias = z.infer<typeof ModelAlias>;

export const PromoteResult = z
  .object({ alias: ModelAlias, evaluation: GateEvaluation })
  .meta({ id: "PromoteResult" });
export type PromoteResult = z.infer<typeof PromoteResult>;

export const GateEvaluationList = PageInfo.extend({ evaluations: z.array(GateEvaluation) }).meta({ id: "GateEvaluationList" });

export const ModelAliasList = z.object({ aliases: z.array(ModelAlias) }).meta({ id: "ModelAliasList" });

export const GateEvaluationQuery = z.object({
  alias: AliasName.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(2000).optional(),
});

/** Removing an alias: why, for its history (a query parameter: DELETE bodies are dropped by some proxies). */
export const RemoveAliasQuery = z.object({ reason: Text(5_000).optional() });
