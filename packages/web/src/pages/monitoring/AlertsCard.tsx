import type { Alert } from "@cairn/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ApiError, api, seg } from "../../api/client.js";
import { canWrite, useWhoAmI } from "../../app/Shell.js";
import { EmptyState, QueryView } from "../../components/States.js";
import { StatusBadge } from "../../components/StatusBadge.js";
import { Time } from "../../components/Time.js";
import { formatDateTime } from "../../components/format.js";

type StatusFilter = "active" | "open" | "acknowledged" | "resolved" | "all";
const FILTERS: { value: StatusFilter; label: string }[] = [
  { value: "active", label: "Open and acknowledged" },
  { value: "open", label: "Open" },
  { value: "acknowledged", label: "Acknowledged" },
  { value: "resolved", label: "Resolved" },
  { value: "all", label: "All" },
];

/** A drift alert's feature and window, for the heatmap's detail. */
export interface DriftTarget {
  feature: string;
  start: string;
  window: "1h" | "1d";
}

/** The feature and window a drift alert judged (from the figures it keeps), when it names one feature. */
function driftTarget(alert: Alert): DriftTarget | undefined {
  const rule = alert.figures.rule as { type?: unknown; feature?: unknown } | undefined;
  const window = alert.figures.window as { size?: unknown } | undefined;
  if (rule?.type !== "drift" || typeof rule.feature !== "string") return undefined;
  return { feature: rule.feature, start: alert.windowStart, window: window?.size === "1d" ? "1d" : "1h" };
}

export const alertsKey = (project: string, model: string) => ["monitoring-alerts", project, model] as const;

/**
 * The model's alerts, newest first, with the lifecycle buttons for writers
 * (open → acknowledged → resolved; the server refuses going back with a 409, shown inline).
 */
export function AlertsCard({ project, model, onShowDrift }: { project: string; model: string; onShowDrift: (d: DriftTarget) => void }) {
  const [filter, setFilter] = useState<StatusFilter>("active");
  const me = useWhoAmI();
  const writer = canWrite(me);
  const query = useQuery({
    queryKey: [...alertsKey(project, model), filter],
    queryFn: ({ signal }) =>
      api.get<{ alerts: Alert[]; nextCursor: string | null }>(
        `/projects/${seg(project)}/alerts`,
        { model, limit: 200, status: filter === "active" || filter === "all" ? undefined : filter },
        signal,
      ),
    refetchInterval: 60_000,
    select: (d) => ({ ...d, alerts: filter === "active" ? d.alerts.filter((a) => a.status !== "resolved") : d.alerts }),
  });
  return (
    <section className="card" aria-labelledby="alerts-title">
      <div className="row">
        <h2 id="alerts-title">Alerts</h2>
        <span className="spacer" />
        <label className="inline small">
          Show
          <select value={filter} onChange={(e) => setFilter(e.target.value as StatusFilter)}>
            {FILTERS.map((f) => (
              <option key={f.value} value={f.value}>
                {f.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <QueryView query={query} rows={3}>
        {(data) =>
          data.alerts.length === 0 ? (
            <EmptyState title={filter === "active" ? "No open alerts" : "No alerts"}>
              <p className="small">
                Monitors raise alerts when a rule holds on the latest complete window (drift, accuracy, latency, volume, schema violations). Create one with{" "}
                <code>{`client.monitors.create({ name, model: "${model}", rule: { type: "drift", feature, max: 0.1 } })`}</code>.
              </p>
            </EmptyState>
          ) : (
            <ul className="alert-list">
              {data.alerts.map((a) => (
                <AlertItem key={a.id} project={project} model={model} alert={a} writer={writer} onShowDrift={onShowDrift} />
              ))}
            </ul>
          )
        }
      </QueryView>
    </section>
  );
}

function AlertItem({ project, model, alert, writer, onShowDrift }: { project: string; model: string; alert: Alert; writer: boolean; onShowDrift: (d: DriftTarget) => void }) {
  const drift = driftTarget(alert);
  const client = useQueryClient();
  const update = useMutation({
    mutationFn: (status: "acknowledged" | "resolved") => api.patch<Alert>(`/projects/${seg(project)}/alerts/${seg(alert.id)}`, { status }),
    onSuccess: () => client.invalidateQueries({ queryKey: alertsKey(project, model) }),
  });
  const error = update.error instanceof ApiError ? update.error.fieldMessage : update.error ? String(update.error) : undefined;
  return (
    <li className="alert-item" data-alert-id={alert.id} data-status={alert.status} aria-label={`Alert ${alert.monitorName}: ${alert.status}`}>
      <div className="row">
        <StatusBadge status={alert.status} />
        <strong>{alert.monitorName}</strong>
        {alert.version !== null && <span className="badge">v{alert.version}</span>}
        <span className="muted small">
          fired <Time iso={alert.firedAt} />
        </span>
        <span className="spacer" />
        {drift && (
          <button type="button" className="link" onClick={() => onShowDrift(drift)}>
            Show the distributions of {drift.feature}
          </button>
        )}
        {writer && alert.status === "open" && (
          <button type="button" disabled={update.isPending} onClick={() => update.mutate("acknowledged")}>
            Acknowledge
          </button>
        )}
        {writer && alert.status !== "resolved" && (
          <button type="button" disabled={update.isPending} onClick={() => update.mutate("resolved")}>
            Resolve
          </button>
        )}
      </div>
      <p className="alert-message">{alert.message}</p>
      <p className="muted small">
        Window {formatDateTime(alert.windowStart)} – {formatDateTime(alert.windowEnd)}
        {alert.acknowledgedAt && (
          <>
            {" · "}acknowledged by {alert.acknowledgedBy ?? "someone"} <Time iso={alert.acknowledgedAt} />
          </>
        )}
        {alert.resolvedAt && (
          <>
            {" · "}resolved by {alert.resolvedBy ?? "someone"} <Time iso={alert.resolvedAt} />
          </>
        )}
      </p>
      {error && (
        <p className="alert bad small" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}
