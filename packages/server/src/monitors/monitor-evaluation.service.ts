import { type AlertPayload, durationMs, uuidv7 } from "@cairn/core";
import { sql } from "drizzle-orm";
import { type AuditActor, auditQueryFromOrm, recordAudit } from "../audit/audit.service.js";
import { rows } from "../db/client.js";
import { computeMonitoringReport, labelPendingHours } from "../monitoring/monitoring.service.js";
import { DAY_MS, HOUR_MS } from "../monitoring/report-range.js";
import type { ServerContext } from "../server-context.js";
import { aliasHolder, retrainSection } from "./alert-payload.js";
import { ALERT_COLUMNS, ALERT_FROM, type AlertRow, type MonitorRow, monitorRule, monitorWebhooks, toAlert } from "./monitor-rows.js";
import { evaluateRule } from "./rule-evaluation.js";

/** Who writes what the scheduler decides, in the audit log. */
export const SCHEDULER_ACTOR: AuditActor = { keyId: null, name: "scheduler" };

/** The longest history a report may span (see report-range.ts), in days. */
const MAX_REPORT_DAYS = 400;

export type EvaluationOutcome =
  | { verdict: "fired"; alertId: string; deliveries: number }
  | { verdict: "ok" | "cooldown" | "not_enough_data" | "no_version"; message: string };

/**
 * Judges the latest complete window of the version the monitor's alias points at (and the
 * trailing windows, for volume), from the stored window aggregates through the monitoring
 * report. A firing verdict stores an alert with its figures and one pending delivery per
 * webhook — unless an alert of this monitor fired within the cool-down — in one transaction.
 */
export async function evaluateMonitor(ctx: ServerContext, monitor: MonitorRow, now = Date.now()): Promise<EvaluationOutcome> {
  const rule = monitorRule(monitor);
  const holder = await aliasHolder(ctx.db.orm, monitor.model_id, monitor.alias);
  if (!holder) return { verdict: "no_version", message: `${monitor.model}@${monitor.alias} points at no version` };
  const size = monitor.window === "1d" ? DAY_MS : HOUR_MS;
  const to = Math.floor(now / size) * size;
  const maxWindows = monitor.window === "1d" ? MAX_REPORT_DAYS : MAX_REPORT_DAYS * 24;
  const count = Math.min(rule.type === "volume" ? rule.trailingWindows + 1 : 1, maxWindows);
  const report = await computeMonitoringReport(ctx.db.orm, {
    projectId: monitor.project_id,
    model: { id: monitor.model_id, name: monitor.model },
    version: holder.version,
    from: new Date(to - count * size).toISOString(),
    to: new Date(to).toISOString(),
    window: monitor.window === "1d" ? "1d" : "1h",
    labelPendingHours: labelPendingHours(ctx),
    now,
    ...(rule.type === "drift" && rule.method ? { method: rule.method } : {}),
  });
  const minSamples = Number(monitor.min_samples);
  const verdict = evaluateRule(rule, report.windows, minSamples);
  if (verdict.kind === "not_enough_data" || verdict.kind === "ok") return { verdict: verdict.kind, message: verdict.message };
  const judged = report.windows[report.windows.length - 1]!;

  return ctx.db.orm.transaction(async (tx) => {
    // The row lock orders this with any other evaluation of the monitor (a lease that ran out mid-way).
    await tx.execute(sql`select id from monitors where id = ${monitor.id}::uuid for update`);
    const cooldownMs = durationMs(monitor.cooldown);
    const [recent] = await rows<{ id: string }>(
      tx,
      sql`select id::text as id from alerts where monitor_id = ${monitor.id}::uuid and fired_at > now() - make_interval(secs => ${cooldownMs / 1000}) limit 1`,
    );
    if (recent) return { verdict: "cooldown" as const, message: `alert ${recent.id} fired within the cool-down (${monitor.cooldown})` };
    const alertId = uuidv7();
    const figures = {
      rule,
      observed: verdict.observed,
      bound: verdict.bound,
      comparison: verdict.comparison,
      sampleSize: verdict.sampleSize,
      minSamples,
      window: { size: monitor.window, start: judged.start, end: judged.end },
      alias: monitor.alias,
      version: holder.version,
      ...verdict.extra,
    };
    await tx.execute(
      sql`insert into alerts (id, project_id, monitor_id, model_version_id, status, figures, message, window_start, window_end)
          values (${alertId}::uuid, ${monitor.project_id}::uuid, ${monitor.id}::uuid, ${holder.id}::uuid, 'open', ${JSON.stringify(figures)}::text::jsonb,
                  ${`${monitor.name}: ${verdict.message}`}, ${judged.start}::timestamptz, ${judged.end}::timestamptz)`,
    );
    const [alertRow] = await rows<AlertRow>(tx, sql`select ${ALERT_COLUMNS} from ${ALERT_FROM} where a.id = ${alertId}::uuid`);
    const alert = toAlert(alertRow!);
    const [project] = await rows<{ name: string }>(tx, sql`select name from projects where id = ${monitor.project_id}::uuid`);
    const retrain = monitor.retrain ? await retrainSection(tx, monitor.model, monitor.alias, holder, alert) : undefined;
    const webhooks = monitorWebhooks(monitor);
    for (const w of webhooks) {
      const deliveryId = uuidv7();
      const payload: AlertPayload = { type: retrain ? "retrain" : "alert", deliveryId, project: project!.name, alert, ...(retrain ? { retrain } : {}) };
      await tx.execute(
        sql`insert into webhook_deliveries (id, monitor_id, alert_id, url, payload, status, next_attempt_at)
            values (${deliveryId}::uuid, ${monitor.id}::uuid, ${alertId}::uuid, ${w.url}, ${JSON.stringify(payload)}::text::jsonb, 'pending', now())`,
      );
    }
    await recordAudit(auditQueryFromOrm(tx), SCHEDULER_ACTOR, {
      action: "alert.fire",
      subject: { kind: "alert", id: alertId },
      projectId: monitor.project_id,
      after: { monitorId: monitor.id, status: "open", figures, deliveries: webhooks.length },
    });
    return { verdict: "fired" as const, alertId, deliveries: webhooks.length };
  });
}
