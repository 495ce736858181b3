import {
  CheckResult,
  CheckResultList,
  type ComputeCheck,
  DatasetVersion,
  signatureSkewColumns,
  type CreateCheckResult,
  type CreateModel,
  type CreateModelVersion,
  GateEvaluation,
  GateEvaluationList,
  ModelAlias,
  ModelAliasList,
  ModelList,
  ModelVersion,
  ModelVersionList,
  type Policy,
  PolicyList,
  PromoteResult,
  RegisteredModel,
  StoredPolicy,
  type UpdateModel,
  type UpdateModelVersion,
  uuidv7,
  encodeArtifactPath,
} from "@cairn/core";
import type { z } from "zod";
import type { Connection } from "../artifacts/types.js";
import { withRetry } from "../artifacts/retry.js";
import { CairnError, InvalidResponseError } from "../client/errors.js";
import { type RequestOptions, seg, type Transport } from "../client/http.js";
import { runCheck, type CheckSpec, type SkewCheckSpec } from "./checks.js";
import { modelsError } from "./errors.js";
import { type LoadOptions, loadModel, type ModelRef } from "./load.js";
import { type ServedModel, servedModel } from "../monitoring/served-model.js";
import type { AliasEvent } from "@cairn/core";
import { type AliasWatch, type WatchOptions, watchAlias } from "./watch.js";

/** Every models call takes the project here; the client's `project` (or `CAIRN_PROJECT`) when omitted. */
export interface ProjectOption {
  project?: string;
}

export interface ModelPageOptions extends ProjectOption {
  limit?: number;
  cursor?: string;
}

export interface ModelVersionsOptions extends ModelPageOptions {
  /** `include` (default): every version; `exclude`: not the archived ones; `only`: just those. */
  archived?: "include" | "exclude" | "only";
}

export interface CheckListOptions extends ModelPageOptions {
  kind?: string;
}

/** `client.models.register()`: a version of model `name` from a run's artifact (a file or a folder). */
export type RegisterOptions = Omit<CreateModelVersion, "id"> & ProjectOption & {
  name: string;
  /** Client UUIDv7; generated when omitted. Retries with the same id never make a second version. */
  id?: string;
  /** How long a failing request is retried (network errors, 5xx, 429), in ms. Default 60,000. */
  retryWindowMs?: number;
};

export interface PromoteOptions extends ProjectOption {
  reason?: string;
  /** Admins only, with a reason: move the alias although rules fail (recorded as an override). */
  force?: boolean;
}

/** A version by number or `"latest"` (the newest version that is not archived). */
export type VersionRef = number | "latest";

/**
 * The model registry and the promotion gate: registered models, their immutable numbered
 * versions, check results, promotion policies, aliases and the gate's evaluations, and
 * `load()` to fetch a version's files into a local cache. A refused promotion throws
 * `GateRefusedError` with the evaluation; other failures the client's usual typed errors.
 */
export class ModelsApi {
  // Every method is async so that a missing project or a bad argument rejects rather than throws.
  constructor(
    private readonly transport: Transport,
    private readonly conn: Connection,
    private readonly defaultProject: string | undefined,
  ) {}

  // ---- Registered models ----

  /** Creates the model, or returns the existing one (its description and tags are then left as they are). */
  async create(opts: CreateModel & ProjectOption): Promise<RegisteredModel> {
    const { project, ...body } = opts;
    return this.call("POST", `${this.projectPath(project)}/models`, RegisteredModel, { json: body });
  }

  async get(name: string, opts: ProjectOption = {}): Promise<RegisteredModel> {
    return this.call("GET", this.modelPath(name, opts.project), RegisteredModel);
  }

  /** One page of the project's models. */
  async list(opts: ModelPageOptions = {}): Promise<ModelList> {
    const { project, ...page } = opts;
    return this.call("GET", `${this.projectPath(project)}/models`, ModelList, { searchParams: { ...page } });
  }

  /** Every model of the project, fetching pages as needed. */
  async *iterate(opts: Omit<ModelPageOptions, "cursor"> = {}): AsyncIterableIterator<RegisteredModel> {
    yield* pages((cursor) => this.list({ ...opts, ...(cursor ? { cursor } : {}) }), (p) => p.models);
  }

  /** Description and tags (a tag set to null is removed). */
  async update(name: string, body: UpdateModel, opts: ProjectOption = {}): Promise<RegisteredModel> {
    return this.call("PATCH", this.modelPath(name, opts.project), RegisteredModel, { json: body });
  }

  // ---- Versions ----

  /**
   * Registers a version from a run's artifact: a file, or a folder (every file below it).
   * The files are frozen with the version. The signature, datasets and metrics default to
   * what the server knows of the run. Retried on network errors and 5xx with the same
   * client id, so a retry never makes a second version.
   */
  async register(opts: RegisterOptions): Promise<ModelVersion> {
    const { project, name, id, retryWindowMs, ...rest } = opts;
    const body: CreateModelVersion = { ...rest, id: id ?? uuidv7() };
    const path = `${this.modelPath(name, project)}/versions`;
    return withRetry(() => this.call("POST", path, ModelVersion, { json: body }), retryWindowMs !== undefined ? { retryWindowMs } : {});
  }

  /** One page of versions, newest first. */
  async versions(name: string, opts: ModelVersionsOptions = {}): Promise<ModelVersionList> {
    const { project, archived, ...page } = opts;
    return this.call("GET", `${this.modelPath(name, project)}/versions`, ModelVersionList, {
      searchParams: { ...page, archived },
    });
  }

  /** Every version (newest first), fetching pages as needed. */
  async *iterateVersions(name: string, opts: Omit<ModelVersionsOptions, "cursor"> = {}): AsyncIterableIterator<ModelVersion> {
    yield* pages((cursor) => this.versions(name, { ...opts, ...(cursor ? { cursor } : {}) }), (p) => p.versions);
  }

  /** A version by number or `"latest"`. */
  async version(name: string, version: VersionRef, opts: ProjectOption = {}): Promise<ModelVersion> {
    return this.call("GET", this.versionPath(name, version, opts.project), ModelVersion);
  }

  /** Versions are immutable: only the description, tags and the archived flag change. */
  async updateVersion(name: string, version: VersionRef, body: UpdateModelVersion, opts: ProjectOption = {}): Promise<ModelVersion> {
    return this.call("PATCH", this.versionPath(name, version, opts.project), ModelVersion, { json: body });
  }

  /** Archives a version: `latest` skips it; it stays readable and loadable by number. */
  async archive(name: string, version: VersionRef, opts: ProjectOption = {}): Promise<ModelVersion> {
    return this.updateVersion(name, version, { archived: true }, opts);
  }

  // ---- Check results ----

  /** Stores a check result computed elsewhere (CI, another tool). Retried safely with a client id. */
  async recordCheck(name: string, version: VersionRef, result: CreateCheckResult, opts: ProjectOption & { retryWindowMs?: number } = {}): Promise<CheckResult> {
    const body = { ...result, id: result.id ?? uuidv7() };
    const path = `${this.versionPath(name, version, opts.project)}/checks`;
    return withRetry(() => this.call("POST", path, CheckResult, { json: body }), opts.retryWindowMs !== undefined ? { retryWindowMs: opts.retryWindowMs } : {});
  }

  /**
   * Runs a check locally with the core check functions (performance, bias, data_bias,
   * drift, schema, skew, behaviour) and records its report as the version's check result.
   * A skew check without `training` compares with the profile of the version's `train` dataset,
   * over the signature's inputs unless `columns` says otherwise.
   *
   * @example
   * await cairn.models.check("churn", 3, { kind: "performance", task: "classification", data: testRows,
   *   label: "churned", prediction: "predicted", dataset: { datasetVersion: testSet, role: "test" } });
   */
  async check(name: string, version: VersionRef, spec: CheckSpec, opts: ProjectOption = {}): Promise<CheckResult> {
    const result = await runCheck(spec?.kind === "skew" && spec.training === undefined ? await this.withTrainingProfile(name, version, spec, opts) : spec);
    return this.recordCheck(name, version, result, opts);
  }

  /** A skew spec completed with the profile of the version's `train` dataset, linked as the check's training data. */
  private async withTrainingProfile(name: string, version: VersionRef, spec: SkewCheckSpec, opts: ProjectOption): Promise<SkewCheckSpec> {
    const v = await this.version(name, version, opts);
    const train = v.datasets.find((d) => d.role === "train");
    if (!train) throw new CairnError(`check: skew: ${v.modelName} v${v.version} has no dataset with role train; pass \`training\` (a dataset version or a DatasetProfile)`);
    const stored = await this.call("GET", `${this.projectPath(opts.project)}/datasets/${seg(train.datasetName)}/versions/${train.version}`, DatasetVersion);
    if (!stored.profile) throw new CairnError(`check: skew: the training dataset ${train.datasetName} v${train.version} was stored without a profile; pass \`training\``);
    const linked = (spec.datasets ?? []).some((d) => ("datasetVersionId" in d ? d.datasetVersionId : d.datasetVersion.id) === train.datasetVersionId);
    // The signature's inputs, not the label the training table also holds (see signatureSkewColumns).
    const inputs = signatureSkewColumns(stored.profile, v.signature?.inputs);
    return {
      ...spec,
      training: stored.profile,
      ...(spec.columns === undefined && inputs ? { columns: inputs } : {}),
      datasets: [...(spec.datasets ?? []), ...(linked ? [] : [{ datasetVersionId: train.datasetVersionId, role: "train" }])],
    };
  }

  /** One page of the version's check results, newest first. */
  async checks(name: string, version: VersionRef, opts: CheckListOptions = {}): Promise<z.output<typeof CheckResultList>> {
    const { project, ...query } = opts;
    return this.call("GET", `${this.versionPath(name, version, project)}/checks`, CheckResultList, { searchParams: { ...query } });
  }

  /**
   * A check the server computes from what it stores and records (source `server`): schema
   * compatibility with an alias holder (`{ kind: "schema", compatibleWith }`), or skew against
   * the training profile of serving data — a stored dataset version (`{ kind: "skew",
   * datasetVersionId }`) or the predictions logged for this version in a time window
   * (`{ kind: "skew", window: { from, to } }`, named `window`; fewer than `minRows`
   * predictions, default 30, is `not_enough_data`).
   */
  async computeCheck(name: string, version: VersionRef, body: ComputeCheck, opts: ProjectOption = {}): Promise<CheckResult> {
    return this.call("POST", `${this.versionPath(name, version, opts.project)}/checks/compute`, CheckResult, { json: body });
  }

  // ---- Policies, aliases and the gate ----

  /** Stores a new revision of the policy for `policy.alias`. */
  async setPolicy(name: string, policy: Policy, opts: ProjectOption = {}): Promise<StoredPolicy> {
    return this.call("PUT", `${this.modelPath(name, opts.project)}/policy`, StoredPolicy, { json: policy });
  }

  /** The current policy of every alias, or of `alias` only. */
  async getPolicy(name: string, alias?: string, opts: ProjectOption = {}): Promise<StoredPolicy[]> {
    const list = await this.call("GET", `${this.modelPath(name, opts.project)}/policy`, PolicyList, { searchParams: { alias } });
    return list.policies;
  }

  /** Every revision of `alias`'s policy, newest first. */
  async policyHistory(name: string, alias: string, opts: ProjectOption = {}): Promise<StoredPolicy[]> {
    const list = await this.call("GET", `${this.modelPath(name, opts.project)}/policy`, PolicyList, { searchParams: { alias, history: "true" } });
    return list.policies;
  }

  /**
   * Moves `alias` to `version` when the alias's policy passes on the stored evidence.
   * Throws `GateRefusedError` (with `.evaluation` and a message listing each failed rule)
   * when it does not; the alias then stays where it was.
   */
  async promote(name: string, version: number, alias: string, opts: PromoteOptions = {}): Promise<PromoteResult> {
    const { project, reason, force } = opts;
    return this.call("PUT", this.aliasPath(name, alias, project), PromoteResult, {
      json: { version, ...(reason !== undefined ? { reason } : {}), ...(force !== undefined ? { force } : {}) },
    });
  }

  /** A dry run of the gate: what `promote` would decide now (stored, but the alias does not move). */
  async evaluate(name: string, version: number, alias: string, opts: ProjectOption = {}): Promise<GateEvaluation> {
    return this.call("POST", `${this.aliasPath(name, alias, opts.project)}/evaluate`, GateEvaluation, { json: { version } });
  }

  /** The alias with the version it points at and its history of moves, newest first. */
  async alias(name: string, alias: string, opts: ProjectOption = {}): Promise<ModelAlias> {
    return this.call("GET", this.aliasPath(name, alias, opts.project), ModelAlias);
  }

  /** Every alias of the model. */
  async aliases(name: string, opts: ProjectOption = {}): Promise<ModelAlias[]> {
    return (await this.call("GET", `${this.modelPath(name, opts.project)}/aliases`, ModelAliasList)).aliases;
  }

  /** Points the alias nowhere (the move is kept in its history with the reason). */
  async removeAlias(name: string, alias: string, opts: ProjectOption & { reason?: string } = {}): Promise<ModelAlias> {
    return this.call("DELETE", this.aliasPath(name, alias, opts.project), ModelAlias, opts.reason !== undefined ? { searchParams: { reason: opts.reason } } : {});
  }

  /** One page of the gate's stored evaluations (promotions and dry runs), newest first. */
  async evaluations(name: string, opts: ModelPageOptions & { alias?: string } = {}): Promise<z.output<typeof GateEvaluationList>> {
    const { project, ...query } = opts;
    return this.call("GET", `${this.modelPath(name, project)}/evaluations`, GateEvaluationList, { searchParams: { ...query } });
  }

  /** One stored evaluation by id (as found in an alias move or a refused promotion). */
  async evaluation(name: string, id: string, opts: ProjectOption = {}): Promise<GateEvaluation> {
    return this.call("GET", `${this.modelPath(name, opts.project)}/evaluations/${seg(id)}`, GateEvaluation);
  }

  // ---- Files ----

  /**
   * Downloads a version's files into a local cache keyed by its digest (once: later loads
   * are served from the cache after checking each file's sha256) and returns where they
   * are. `ref`: an alias (`"production"`), a version number, `"latest"`, or `{ digest }`
   * for a version already cached (works without the server). Node only.
   *
   * @example const { path } = await cairn.models.load("churn", "production");
   */
  async load(name: string, ref: ModelRef, opts: LoadOptions & ProjectOption = {}): Promise<ServedModel> {
    const project = this.resolveProject(opts.project, typeof ref === "object");
    const loaded = await loadModel(
      {
        conn: this.conn,
        resolve: async () => {
          if (typeof ref === "number" || ref === "latest") return this.version(name, ref, { project });
          // Aliases are never numbers, so "3" (from a command line or a config file) can only mean version 3.
          if (typeof ref === "string" && /^[1-9][0-9]{0,9}$/.test(ref)) return this.version(name, Number(ref), { project });
          if (typeof ref !== "string") throw new CairnError("load: pass an alias, a version number, \"latest\" or { digest }");
          const a = await this.alias(name, ref, { project });
          if (!a.modelVersion) throw new CairnError(`load: alias "${ref}" of model "${name}" points at no version`);
          return a.modelVersion;
        },
        fileUrlPath: (v, path) => `${this.versionPath(name, v.version, project)}/files/${encodeArtifactPath(path)}`,
      },
      name,
      ref,
      opts,
    );
    return servedModel(loaded, { url: this.conn.url, apiKey: this.conn.apiKey, project: project === "" ? undefined : project });
  }

  /**
   * Tells serving code when `alias` moves: `onChange` runs once per change of the version it
   * points at (server-sent events, reconnecting, or polling with `transport: "poll"` or when
   * the stream does not get through). Returns a handle; `close()` stops watching.
   *
   * @example
   * cairn.models.watch("fraud", "production", async (e) => { model = await cairn.models.load("fraud", e.version!); }, { version: model.version.version });
   */
  watch(name: string, alias: string, onChange: (event: AliasEvent) => void | Promise<void>, opts: WatchOptions = {}): AliasWatch {
    const { project } = opts;
    const eventsPath = `${this.aliasPath(name, alias, project)}/events`;
    return watchAlias({ url: this.conn.url, apiKey: this.conn.apiKey, eventsPath, readAlias: () => this.alias(name, alias, { project }) }, onChange, opts);
  }

  // ---- Plumbing ----

  private async call<S extends z.ZodType>(method: string, path: string, schema: S, opts?: RequestOptions): Promise<z.output<S>> {
    const res = await this.transport.raw(method, path, opts);
    if (res.status >= 400) throw modelsError(res);
    const parsed = schema.safeParse(res.body);
    if (!parsed.success) throw new InvalidResponseError(`unexpected response from ${method} ${path}: ${parsed.error.message}`);
    return parsed.data;
  }

  private resolveProject(project: string | undefined, optional = false): string {
    const p = project ?? this.defaultProject;
    if (p === undefined && !optional) throw new CairnError("models: pass `project` (or create the client with `project`, or set CAIRN_PROJECT)");
    return p ?? "";
  }

  private projectPath(project: string | undefined): string {
    return `/api/v1/projects/${seg(this.resolveProject(project))}`;
  }

  private modelPath(name: string, project: string | undefined): string {
    return `${this.projectPath(project)}/models/${seg(name)}`;
  }

  private versionPath(name: string, version: VersionRef, project: string | undefined): string {
    return `${this.modelPath(name, project)}/versions/${seg(String(version))}`;
  }

  private aliasPath(name: string, alias: string, project: string | undefined): string {
    return `${this.modelPath(name, project)}/aliases/${seg(alias)}`;
  }
}

async function* pages<P extends { nextCursor: string | null }, T>(fetch: (cursor: string | undefined) => Promise<P>, items: (page: P) => T[]): AsyncIterableIterator<T> {
  let cursor: string | undefined;
  for (;;) {
    const page = await fetch(cursor);
    yield* items(page);
    if (!page.nextCursor) return;
    cursor = page.nextCursor;
  }
}
