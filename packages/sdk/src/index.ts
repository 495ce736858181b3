/**
 * @cairn/sdk — browser-safe entry. The disk spool and process exit hooks are Node-only and
 * live in modules reached only through dynamic `import()` guarded by a Node check, so this
 * entry (and the chunks it statically imports) never references `node:` modules; a test
 * checks the built output. One entry instead of a separate `@cairn/sdk/node` keeps the
 * user-facing API to one import in both environments.
 */
export { init, type InitOptions } from "./run/init.js";
export type { CaptureOptions } from "./reproducibility/options.js";
export { RunHandle, type LogOptions, type FinishStatus } from "./run/run.js";
export type { RunStats } from "./run/sender.js";
export type { SdkErrorEvent } from "./run/reporter.js";
export { Cairn, createClient, type CairnOptions, type PageOptions, type RunSearchOptions, type HistoryOptions, type LineageOptions } from "./client/cairn.js";
export {
  CairnError,
  CairnHttpError,
  CairnNetworkError,
  ConflictError,
  ForbiddenError,
  InvalidResponseError,
  NotFoundError,
  RateLimitedError,
  ServerError,
  UnauthorizedError,
  ValidationError,
} from "./client/errors.js";
export { ArtifactsApi, type ArtifactListOptions, type DownloadResult } from "./artifacts/client.js";
export type { LogArtifactOptions, LogArtifactsOptions } from "./artifacts/run-artifacts.js";
export type { DownloadOptions, TransferOptions, TransferProgress, UploadOptions } from "./artifacts/types.js";
export type { IgnoreOption } from "./artifacts/ignore.js";
export type { Artifact, ArtifactFolder, ArtifactList, GcRequest, GcResult } from "@cairn/core";
export { DatasetsApi, type DatasetVersionsOptions } from "./datasets/client.js";
export type { DatasetData, LogDatasetOptions } from "./datasets/types.js";
export type { ColumnProfile, ColumnSchema, CreateDatasetVersion, Dataset, DatasetProfile, DatasetSchema, DatasetVersion, RunDatasetLink } from "@cairn/core";
export { ModelsApi, type CheckListOptions, type ModelPageOptions, type ModelVersionsOptions, type ProjectOption, type PromoteOptions, type RegisterOptions, type VersionRef } from "./models/client.js";
export { GateRefusedError } from "./models/errors.js";
export { runBehaviourTests, type BehaviourCase, type DirectionalCase, type InvarianceCase, type MinimumFunctionalityCase, type Predict } from "./models/behaviour.js";
export type { BehaviourCheckSpec, BiasCheckSpec, CheckDatasetLink, CheckSpec, DataBiasCheckSpec, DriftCheckSpec, PerformanceCheckSpec, SchemaCheckSpec, SkewCheckSpec } from "./models/checks.js";
export type { CheckData, StoredReference } from "./models/check-data.js";
export type { LoadedModel, LoadOptions, ModelRef } from "./models/load.js";
export type {
  AliasMove,
  BehaviourCaseResult,
  BehaviourReport,
  CheckResult,
  CheckStatus,
  ComputeCheck,
  CreateCheckResult,
  CreateModel,
  CreateModelVersion,
  GateEvaluation,
  ModelAlias,
  ModelList,
  ModelSignature,
  ModelVersion,
  ModelVersionDataset,
  ModelVersionFile,
  ModelVersionList,
  Policy,
  PolicyRule,
  PredictionWindow,
  PromoteResult,
  RegisteredModel,
  RuleOutcome,
  StoredPolicy,
  UpdateModel,
  UpdateModelVersion,
} from "@cairn/core";
export { Monitor } from "./monitoring/monitor.js";
export type { Label, MonitorOptions, MonitorStats, PredictionInput, WrapOptions } from "./monitoring/types.js";
export type { ServedModel } from "./monitoring/served-model.js";
export { LabelsApi, type LogLabelsOptions } from "./monitoring/labels.js";
export { AlertsApi, MonitoringApi, MonitorsApi, type ReportOptions } from "./monitoring/api.js";
export type { AliasWatch, WatchOptions } from "./models/watch.js";
export type { AliasEvent, Features, LabelIn, LogLabelsResult, PredictionOutput } from "@cairn/core";
export { SDK_VERSION } from "./version.js";
// The shapes the query client returns, re-exported (types only) so callers need one import.
export type {
  CreateProject,
  CreateRun,
  MetricHistory,
  MetricPoint,
  MetricSummary,
  MetricSummaryList,
  MetricValue,
  Params,
  ParamValue,
  Problem,
  Project,
  ProjectList,
  Run,
  RunList,
  RunStatus,
  Tags,
  UpdateRun,
} from "@cairn/core";
