import type { Alert, Monitor, MonitorRule, WebhookDelivery } from "@cairn/core";
import { sql } from "drizzle-orm";

/**
 * Raw rows of monitors, alerts and deliveries, shaped alike by both drivers: ids as text,
 * timestamps as epoch ms (float8), jsonb as text parsed here.
 */
const json = <T>(v: unknown): T => (typeof v === "string" ? JSON.parse(v) : v) as T;
const iso = (ms: number | string) => new Date(Number(ms)).toISOString();
const isoOrNull = (ms: number | string | null) => (ms === null ? null : iso(ms));
const ms = (column: string) => `(extract(epoch from ${column}) * 1000)::float8`;

/** What the monitors table keeps per webhook: the secret signs deliveries and never leaves the server. */
export interface StoredWebhook {
  url: string;
  secret?: string | undefined;
}

export const MONITOR_COLUMNS = sql.raw(`mo.id::text as id, mo.project_id::text as project_id, mo.model_id::text as model_id, m.name as model,
  mo.name, mo.alias, mo.rule::text as rule, mo."window", mo.min_samples, mo.cooldown, mo.webhooks::text as webhooks, mo.retrain, mo.enabled,
  mo.validation_errors::text as validation_errors, ${ms("mo.last_evaluated_at")} as last_evaluated_ms, ${ms("mo.created_at")} as created_ms`);

export interface MonitorRow {
  id: string;
  project_id: string;
  model_id: string;
  model: string;
  name: string;
  alias: string;
  rule: string;
  window: string;
  min_samples: number;
  cooldown: string;
  webhooks: string;
  retrain: boolean;
  enabled: boolean;
  validation_errors: string;
  last_evaluated_ms: number | string | null;
  created_ms: number | string;
}

export const monitorWebhooks = (r: MonitorRow): StoredWebhook[] => json<StoredWebhook[]>(r.webhooks);
export const monitorRule = (r: MonitorRow): MonitorRule => json<MonitorRule>(r.rule);

export function toMonitor(r: MonitorRow): Monitor {
  return {
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    model: r.model,
    alias: r.alias,
    rule: monitorRule(r),
    window: r.window as Monitor["window"],
    minSamples: Number(r.min_samples),
    cooldown: r.cooldown,
    webhooks: monitorWebhooks(r).map((w) => ({ url: w.url, hasSecret: typeof w.secret === "string" && w.secret.length > 0 })),
    retrain: r.retrain,
    enabled: r.enabled,
    validationErrors: json<string[]>(r.validation_errors),
    lastEvaluatedAt: isoOrNull(r.last_evaluated_ms),
    createdAt: iso(r.created_ms),
  };
}

export const ALERT_COLUMNS = sql.raw(`a.id::text as id, a.project_id::text as project_id, a.monitor_id::text as monitor_id, mo.name as monitor_name,
  m.name as model, v.version as version, a.status, a.figures::text as figures, a.message, ${ms("a.fired_at")} as fired_ms,
  ${ms("a.window_start")} as window_start_ms, ${ms("a.window_end")} as window_end_ms, a.acknowledged_by, ${ms("a.acknowledged_at")} as acknowledged_ms,
  a.resolved_by, ${ms("a.resolved_at")} as resolved_ms`);

/** The joins ALERT_COLUMNS reads from (alias `a`). */
export const ALERT_FROM = sql.raw(`alerts a join monitors mo on mo.id = a.monitor_id join registered_models m on m.id = mo.model_id
  left join model_versions v on v.id = a.model_version_id`);

export interface AlertRow {
  id: string;
  project_id: string;
  monitor_id: string;
  monitor_name: string;
  model: string;
  version: number | null;
  status: string;
  figures: string;
  message: string;
  fired_ms: number | string;
  window_start_ms: number | string;
  window_end_ms: number | string;
  acknowledged_by: string | null;
  acknowledged_ms: number | string | null;
  resolved_by: string | null;
  resolved_ms: number | string | null;
}

export function toAlert(r: AlertRow): Alert {
  return {
    id: r.id,
    projectId: r.project_id,
    monitorId: r.monitor_id,
    monitorName: r.monitor_name,
    model: r.model,
    version: r.version === null ? null : Number(r.version),
    status: r.status as Alert["status"],
    figures: json<Record<string, unknown>>(r.figures),
    message: r.message,
    firedAt: iso(r.fired_ms),
    windowStart: iso(r.window_start_ms),
    windowEnd: iso(r.window_end_ms),
    acknowledgedBy: r.acknowledged_by,
    acknowledgedAt: isoOrNull(r.acknowledged_ms),
    resolvedBy: r.resolved_by,
    resolvedAt: isoOrNull(r.resolved_ms),
  };
}

export const DELIVERY_COLUMNS = sql.raw(`d.id::text as id, d.monitor_id::text as monitor_id, d.alert_id::text as alert_id, d.url, d.status, d.attempts,
  d.last_status_code, d.last_error, d.latency_ms, ${ms("d.created_at")} as created_ms, ${ms("d.delivered_at")} as delivered_ms`);

export interface DeliveryRow {
  id: string;
  monitor_id: string;
  alert_id: string | null;
  url: string;
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  latency_ms: number | null;
  created_ms: number | string;
  delivered_ms: number | string | null;
}

export function toDelivery(r: DeliveryRow): WebhookDelivery {
  return {
    id: r.id,
    monitorId: r.monitor_id,
    alertId: r.alert_id,
    url: r.url,
    status: r.status as WebhookDelivery["status"],
    attempts: Number(r.attempts),
    lastStatusCode: r.last_status_code === null ? null : Number(r.last_status_code),
    lastError: r.last_error,
    latencyMs: r.latency_ms === null ? null : Number(r.latency_ms),
    createdAt: iso(r.created_ms),
    deliveredAt: isoOrNull(r.delivered_ms),
  };
}
