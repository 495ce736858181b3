import {
  Alert,
  AlertList,
  type AlertStatus,
  type CreateMonitor,
  FeatureDistribution,
  Monitor,
  MonitorList,
  MonitoringReport,
  type MonitoringQuery,
  type UpdateMonitor,
  WebhookDeliveryList,
} from "@cairn/core";
import { CairnError } from "../client/errors.js";
import { seg, type Transport } from "../client/http.js";

export interface ProjectOption {
  /** Default: the client's project, else `CAIRN_PROJECT`. */
  project?: string;
}

/** Times as Date, epoch milliseconds or RFC 3339 text. */
type Time = Date | number | string;
const iso = (t: Time | undefined) => (t === undefined ? undefined : typeof t === "string" ? t : new Date(t).toISOString());

export interface ReportOptions extends ProjectOption {
  from?: Time;
  to?: Time;
  window?: MonitoringQuery["window"];
  version?: number;
  /** Drift statistic of numerical features (categorical features always use L-infinity). */
  method?: MonitoringQuery["method"];
}

abstract class ProjectScoped {
  constructor(
    protected readonly transport: Transport,
    private readonly defaultProject: string | undefined,
  ) {}

  protected projectPath(project: string | undefined, what: string): string {
    const p = project ?? this.defaultProject;
    if (p === undefined) throw new CairnError(`${what}: pass \`project\` (or create the client with \`project\`, or set CAIRN_PROJECT)`);
    return `/api/v1/projects/${seg(p)}`;
  }
}

/** `client.monitoring`: what production looks like per window (volume, latency, drift, labels, accuracy). */
export class MonitoringApi extends ProjectScoped {
  /** Per-window figures of a model (one version, or all), with drift against the version's training profile. */
  async report(model: string, opts: ReportOptions = {}): Promise<MonitoringReport> {
    const { project, from, to, ...query } = opts;
    return this.transport.call("GET", `${this.projectPath(project, "monitoring.report")}/models/${seg(model)}/monitoring`, MonitoringReport, {
      searchParams: { ...query, from: iso(from), to: iso(to) },
    });
  }

  /** One feature's distribution in one window beside the training profile's (the drift heatmap's detail). */
  async distribution(model: string, feature: string, opts: ProjectOption & { start?: Time; window?: "1h" | "1d"; version?: number } = {}) {
    const { project, start, ...query } = opts;
    return this.transport.call("GET", `${this.projectPath(project, "monitoring.distribution")}/models/${seg(model)}/monitoring/distribution`, FeatureDistribution, {
      searchParams: { ...query, feature, start: iso(start) },
    });
  }
}

/** `client.monitors`: rules the server evaluates on a schedule, their alerts' webhooks and delivery log. */
export class MonitorsApi extends ProjectScoped {
  async create(body: CreateMonitor, opts: ProjectOption = {}): Promise<Monitor> {
    return this.transport.call("POST", `${this.projectPath(opts.project, "monitors.create")}/monitors`, Monitor, { json: body });
  }

  async list(opts: ProjectOption & { limit?: number; cursor?: string; model?: string } = {}) {
    const { project, ...query } = opts;
    return this.transport.call("GET", `${this.projectPath(project, "monitors.list")}/monitors`, MonitorList, { searchParams: { ...query } });
  }

  async get(id: string, opts: ProjectOption = {}): Promise<Monitor> {
    return this.transport.call("GET", `${this.projectPath(opts.project, "monitors.get")}/monitors/${seg(id)}`, Monitor);
  }

  async update(id: string, body: UpdateMonitor, opts: ProjectOption = {}): Promise<Monitor> {
    return this.transport.call("PATCH", `${this.projectPath(opts.project, "monitors.update")}/monitors/${seg(id)}`, Monitor, { json: body });
  }

  /** Removes the monitor with its alerts and delivery log; resolves with the monitor as it was. */
  async delete(id: string, opts: ProjectOption = {}): Promise<Monitor> {
    return this.transport.call("DELETE", `${this.projectPath(opts.project, "monitors.delete")}/monitors/${seg(id)}`, Monitor);
  }

  /** The webhook calls of a monitor's alerts: status, attempts, last answer, latency. */
  async deliveries(id: string, opts: ProjectOption & { limit?: number; cursor?: string } = {}) {
    const { project, ...query } = opts;
    return this.transport.call("GET", `${this.projectPath(project, "monitors.deliveries")}/monitors/${seg(id)}/deliveries`, WebhookDeliveryList, { searchParams: { ...query } });
  }
}

/** `client.alerts`: what monitors fired, and their lifecycle (open → acknowledged → resolved). */
export class AlertsApi extends ProjectScoped {
  async list(opts: ProjectOption & { status?: AlertStatus; model?: string; monitorId?: string; limit?: number; cursor?: string } = {}) {
    const { project, ...query } = opts;
    return this.transport.call("GET", `${this.projectPath(project, "alerts.list")}/alerts`, AlertList, { searchParams: { ...query } });
  }

  async get(id: string, opts: ProjectOption = {}): Promise<Alert> {
    return this.transport.call("GET", `${this.projectPath(opts.project, "alerts.get")}/alerts/${seg(id)}`, Alert);
  }

  async acknowledge(id: string, opts: ProjectOption & { note?: string } = {}): Promise<Alert> {
    return this.setStatus(id, "acknowledged", opts);
  }

  async resolve(id: string, opts: ProjectOption & { note?: string } = {}): Promise<Alert> {
    return this.setStatus(id, "resolved", opts);
  }

  private setStatus(id: string, status: "acknowledged" | "resolved", opts: ProjectOption & { note?: string }) {
    const body = opts.note === undefined ? { status } : { status, note: opts.note };
    return this.transport.call("PATCH", `${this.projectPath(opts.project, `alerts.${status === "resolved" ? "resolve" : "acknowledge"}`)}/alerts/${seg(id)}`, Alert, { json: body });
  }
}
