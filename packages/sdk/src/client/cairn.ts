import {
  ApiKey,
  CreatedKey,
  type GcRequest,
  type GcResult,
  type CreateKey,
  KeyList,
  LineageGraph,
  type LineageKind,
  WhoAmI,
  type CreateProject,
  type CreateRun,
  type DeletedFilter,
  ProjectDeletion,
  RunDeletion,
  Heartbeat,
  LogMetricsResult,
  type MetricPoint,
  MetricHistory,
  MetricHistoryList,
  type MetricHistorySelector,
  MetricSummaryList,
  type Params,
  ParamsResponse,
  Project,
  ProjectList,
  Run,
  RunList,
  type UpdateRun,
} from "@cairn/core";
import { ArtifactsApi, collectGarbage } from "../artifacts/client.js";
import { DatasetsApi } from "../datasets/client.js";
import { ModelsApi } from "../models/client.js";
import { createMonitor } from "../monitoring/create.js";
import { AlertsApi, MonitoringApi, MonitorsApi } from "../monitoring/api.js";
import { LabelsApi } from "../monitoring/labels.js";
import type { Monitor } from "../monitoring/monitor.js";
import type { MonitorOptions } from "../monitoring/types.js";
import { readEnv, stripSlash } from "../config.js";
import { ConflictError } from "./errors.js";
import { Transport, seg } from "./http.js";

/** Options of the query client; `url` and `apiKey` default to `CAIRN_URL` / `CAIRN_API_KEY`. */
export interface CairnOptions {
  url?: string;
  apiKey?: string;
  /** Project of `models.*` calls that do not name one; default `CAIRN_PROJECT`. */
  project?: string;
  /** Per-request timeout in milliseconds (default 30,000). */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface PageOptions {
  limit?: number;
  cursor?: string;
}

export interface ProjectListOptions extends PageOptions {
  /** `"only"` lists the trash (soft-deleted projects, admin only); `"include"` lists both. */
  deleted?: DeletedFilter;
}

export interface RunSearchOptions extends PageOptions {
  /** Project name or id. */
  project: string;
  /** Filter expression, e.g. `metrics.accuracy > 0.9 and params.optimizer = "adam"`. */
  filter?: string;
  /** e.g. `metrics.accuracy desc`. */
  orderBy?: string;
  /** `"only"` lists the trash (soft-deleted runs, with `deletedAt` and `purgeAt`); `"include"` lists both. */
  deleted?: DeletedFilter;
}

export interface LineageOptions {
  direction?: "up" | "down" | "both";
  depth?: number;
}

export interface HistoryOptions {
  maxPoints?: number;
  fromStep?: number;
  toStep?: number;
}

/**
 * Typed client of the Cairn HTTP API. Every call validates the response against the
 * `@cairn/core` schemas and throws typed errors (`NotFoundError`, `ConflictError`,
 * `ValidationError`, ..., `CairnNetworkError`). Unlike `init()`/`run.log()`, it throws:
 * it is meant for queries and tooling, not the training hot path.
 *
 * @example
 * const cairn = new Cairn({ url: "http://127.0.0.1:8642" });
 * const { runs } = await cairn.runs.search({ project: "mnist", filter: "metrics.acc > 0.9" });
 */
export class Cairn {
  /** The underlying transport (shared with runs created from this client). */
  readonly transport: Transport;
  /** A run's artifacts: list, upload, download (streamed from/to disk, Node only), delete. */
  readonly artifacts: ArtifactsApi;
  /** Versioned datasets: list, get, versions, version (by number, `latest` or digest). */
  readonly datasets: DatasetsApi;
  /** The model registry and the promotion gate: register, check, promote, load, watch. */
  readonly models: ModelsApi;
  /** Ground truth for logged predictions, in bulk (awaited; `monitor.logLabel()` is the fire-and-forget form). */
  readonly labels: LabelsApi;
  /** The monitoring report per model: volume, latency, drift against the training profile, labels, accuracy. */
  readonly monitoring: MonitoringApi;
  /** Monitors the server evaluates on a schedule, and their webhook delivery log. */
  readonly monitors: MonitorsApi;
  /** Alerts monitors fired: list, acknowledge, resolve. */
  readonly alerts: AlertsApi;
  private readonly monitorConn: { url: string; apiKey: string | undefined; project: string | undefined };

  constructor(opts: CairnOptions = {}) {
    const env = readEnv();
    this.transport = new Transport({
      url: stripSlash(opts.url ?? env.url),
      apiKey: opts.apiKey ?? env.apiKey,
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
    });
    this.artifacts = new ArtifactsApi(this.transport, { url: this.transport.url, apiKey: opts.apiKey ?? env.apiKey });
    this.datasets = new DatasetsApi(this.transport);
    this.models = new ModelsApi(this.transport, { url: this.transport.url, apiKey: opts.apiKey ?? env.apiKey }, opts.project ?? env.project);
    this.labels = new LabelsApi(this.transport, opts.project ?? env.project);
    this.monitoring = new MonitoringApi(this.transport, opts.project ?? env.project);
    this.monitors = new MonitorsApi(this.transport, opts.project ?? env.project);
    this.alerts = new AlertsApi(this.transport, opts.project ?? env.project);
    this.monitorConn = { url: this.transport.url, apiKey: opts.apiKey ?? env.apiKey, project: opts.project ?? env.project };
  }

  /** Base URL of the server. */
  get url(): string {
    return this.transport.url;
  }

  readonly projects = {
    create: (body: CreateProject): Promise<Project> => this.transport.call("POST", "/api/v1/projects", Project, { json: body }),
    /** By name or id. */
    get: (nameOrId: string): Promise<Project> => this.transport.call("GET", `/api/v1/projects/${seg(nameOrId)}`, Project),
    list: (opts: ProjectListOptions = {}): Promise<ProjectList> =>
      this.transport.call("GET", "/api/v1/projects", ProjectList, { searchParams: { ...opts } }),
    /** Admin: moves the project and all its runs to the trash (hidden everywhere, restorable until purged after the retention period). */
    delete: (nameOrId: string): Promise<ProjectDeletion> => this.transport.call("DELETE", `/api/v1/projects/${seg(nameOrId)}`, ProjectDeletion),
    /** Admin: brings a soft-deleted project back with all its runs (within the retention period). */
    restore: (nameOrId: string): Promise<Project> => this.transport.call("POST", `/api/v1/projects/${seg(nameOrId)}/restore`, Project, { json: {} }),
    /** Admin: removes the project, its runs with all their data, and its datasets now. Cannot be undone. */
    purge: (nameOrId: string): Promise<ProjectDeletion> =>
      this.transport.call("DELETE", `/api/v1/projects/${seg(nameOrId)}`, ProjectDeletion, { searchParams: { purge: "true" } }),
    /** Returns the project, creating it when missing. */
    ensure: async (name: string, description?: string): Promise<Project> => {
      try {
        return await this.projects.create(description === undefined ? { name } : { name, description });
      } catch (err) {
        if (err instanceof ConflictError) return this.projects.get(name);
        throw err;
      }
    },
  };

  readonly runs = {
    /** Creates a run; with a client-generated `id` a repeated create returns the same run. */
    create: (project: string, body: CreateRun = {}): Promise<Run> =>
      this.transport.call("POST", `/api/v1/projects/${seg(project)}/runs`, Run, { json: body }),
    /** A soft-deleted run is a `NotFoundError` unless `includeDeleted`. */
    get: (runId: string, opts: { includeDeleted?: boolean } = {}): Promise<Run> =>
      this.transport.call("GET", `/api/v1/runs/${seg(runId)}`, Run, opts.includeDeleted ? { searchParams: { includeDeleted: "true" } } : {}),
    /** Moves the run to the trash: hidden from lists and lookups, writes refused, restorable until purged after the retention period. */
    delete: (runId: string): Promise<RunDeletion> => this.transport.call("DELETE", `/api/v1/runs/${seg(runId)}`, RunDeletion),
    /** Brings a soft-deleted run back intact (within the retention period). */
    restore: (runId: string): Promise<Run> => this.transport.call("POST", `/api/v1/runs/${seg(runId)}/restore`, Run, { json: {} }),
    /** Maintainer: removes the run and its points, series, artifact records and dataset links now. Cannot be undone. */
    purge: (runId: string): Promise<RunDeletion> =>
      this.transport.call("DELETE", `/api/v1/runs/${seg(runId)}`, RunDeletion, { searchParams: { purge: "true" } }),
    update: (runId: string, body: UpdateRun): Promise<Run> =>
      this.transport.call("PATCH", `/api/v1/runs/${seg(runId)}`, Run, { json: body }),
    heartbeat: (runId: string): Promise<Heartbeat> =>
      this.transport.call("POST", `/api/v1/runs/${seg(runId)}/heartbeat`, Heartbeat, { json: {} }),
    /** One page of runs; an invalid filter throws `ValidationError` with `code === "invalid_filter"`. */
    search: (opts: RunSearchOptions): Promise<RunList> => {
      const { project, ...query } = opts;
      return this.transport.call("GET", `/api/v1/projects/${seg(project)}/runs`, RunList, { searchParams: { ...query } });
    },
    /** The dataset versions a run read (inputs) and produced (outputs), with their roles. */
    datasets: (runId: string) => this.datasets.forRun(runId),
    /** Iterates over every matching run, fetching pages as needed. */
    iterate: (opts: RunSearchOptions): AsyncIterableIterator<Run> => this.iterateRuns(opts),
  };

  readonly params = {
    /** Params are immutable: re-sending a value is a no-op, a different value is a `ConflictError`. */
    log: (runId: string, params: Params): Promise<ParamsResponse> =>
      this.transport.call("POST", `/api/v1/runs/${seg(runId)}/params`, ParamsResponse, { json: { params } }),
  };

  readonly metrics = {
    /** Up to 10,000 points; idempotent on (run, key, step). */
    log: (runId: string, points: MetricPoint[]): Promise<LogMetricsResult> =>
      this.transport.call("POST", `/api/v1/runs/${seg(runId)}/metrics`, LogMetricsResult, { json: { points } }),
    /** Keys with their summaries. */
    list: (runId: string): Promise<MetricSummaryList> =>
      this.transport.call("GET", `/api/v1/runs/${seg(runId)}/metrics`, MetricSummaryList),
    history: (runId: string, key: string, opts: HistoryOptions = {}): Promise<MetricHistory> =>
      this.transport.call("GET", `/api/v1/runs/${seg(runId)}/metrics/${seg(key)}`, MetricHistory, {
        searchParams: { ...opts },
      }),
    /**
     * Many histories in one request (up to 200 series of any runs, e.g. every chart of a page),
     * in the order asked; each is what `history` answers for it with the shared `maxPoints`.
     */
    histories: (series: MetricHistorySelector[], opts: { maxPoints?: number } = {}): Promise<MetricHistory[]> =>
      this.transport
        .call("POST", "/api/v1/metrics/histories", MetricHistoryList, { json: { series, ...(opts.maxPoints === undefined ? {} : { maxPoints: opts.maxPoints }) } })
        .then((r) => r.histories),
  };

  readonly keys = {
    /** Admin only. The returned `secret` is shown this once; the server keeps only its hash. */
    create: (body: CreateKey): Promise<CreatedKey> => this.transport.call("POST", "/api/v1/keys", CreatedKey, { json: body }),
    list: (opts: PageOptions = {}): Promise<KeyList> => this.transport.call("GET", "/api/v1/keys", KeyList, { searchParams: { ...opts } }),
    revoke: (id: string): Promise<ApiKey> => this.transport.call("DELETE", `/api/v1/keys/${seg(id)}`, ApiKey),
  };

  /**
   * The lineage graph around a run, dataset version or artifact: `up` is where it came
   * from, `down` what came of it, `both` (default) the two together; `depth` hops (default 5).
   */
  lineage(kind: LineageKind, id: string, opts: LineageOptions = {}): Promise<LineageGraph> {
    return this.transport.call("GET", `/api/v1/lineage/${seg(kind)}/${seg(id)}`, LineageGraph, { searchParams: { ...opts } });
  }

  /**
   * Admin: removes blobs that no artifact references once they are older than the grace
   * period, after purging soft-deleted runs and projects past retention. `dryRun` (the
   * default) only lists what would go.
   */
  gc(body: GcRequest = {}): Promise<GcResult> {
    return collectGarbage(this.transport, body);
  }

  /**
   * Logs a model version's predictions (and labels) from serving code: `logPrediction()`
   * returns the prediction id at once and never throws for network faults; rows are batched,
   * retried, spooled while the server is away and flushed on `close()` and at exit.
   *
   * @example
   * const monitor = cairn.monitor({ model: "fraud", version: 3 });
   * const id = monitor.logPrediction({ features: { amount: 12.5 }, output: 0, score: 0.1 });
   */
  monitor(opts: MonitorOptions): Monitor {
    return createMonitor(this.monitorConn, opts);
  }

  /** The caller's key, role and projects. */
  whoami(): Promise<WhoAmI> {
    return this.transport.call("GET", "/api/v1/whoami", WhoAmI);
  }

  private async *iterateRuns(opts: RunSearchOptions): AsyncIterableIterator<Run> {
    let cursor = opts.cursor;
    for (;;) {
      const page = await this.runs.search(cursor === undefined ? { ...opts } : { ...opts, cursor });
      yield* page.runs;
      if (!page.nextCursor) return;
      cursor = page.nextCursor;
    }
  }
}

/** Same as `new Cairn(opts)`. */
export function createClient(opts?: CairnOptions): Cairn {
  return new Cairn(opts);
}
