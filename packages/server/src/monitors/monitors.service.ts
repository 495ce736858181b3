import { CreateMonitor, isUuid, type Monitor, type MonitorList, UpdateMonitor, uuidv7 } from "@cairn/core";
import { sql } from "drizzle-orm";
import type { z } from "zod";
import { auditQueryFromOrm, recordAudit } from "../audit/audit.service.js";
import type { Actor } from "../auth/actor.js";
import { liveProject } from "../datasets/dataset-rows.js";
import { type Executor, rows } from "../db/client.js";
import { decodeCursor, encodeCursor } from "../http/cursor.js";
import { NotFoundError, ValidationError } from "../http/errors.js";
import { requireModel } from "../models/model-rows.js";
import type { ServerContext } from "../server-context.js";
import { MONITOR_COLUMNS, type MonitorRow, monitorWebhooks, type StoredWebhook, toMonitor } from "./monitor-rows.js";
import { urlProblem, vetWebhookUrl, WebhookAllowlist } from "./webhook-target.js";

type Args = { ctx: ServerContext; actor: Actor; projectRef: string };

const MONITOR_FROM = sql.raw(`monitors mo join registered_models m on m.id = mo.model_id`);

async function findMonitor(db: Executor, projectId: string, id: string, forUpdate = false): Promise<MonitorRow> {
  if (!isUuid(id)) throw new NotFoundError("monitor", id);
  const [row] = await rows<MonitorRow>(
    db,
    sql`select ${MONITOR_COLUMNS} from ${MONITOR_FROM} where mo.id = ${id}::uuid and mo.project_id = ${projectId}::uuid ${forUpdate ? sql`for update of mo` : sql``}`,
  );
  if (!row) throw new NotFoundError("monitor", id);
  return row;
}

/** A URL that is not http(s) is bad input (400); a refused address is not: see `webhookValidationErrors`. */
function checkWebhookUrls(webhooks: readonly StoredWebhook[]): void {
  const errors = webhooks.flatMap((w, i) => {
    const problem = urlProblem(w.url);
    return problem ? [{ path: `webhooks[${i}].url`, message: problem }] : [];
  });
  if (errors.length > 0) throw new ValidationError(`invalid webhook: ${errors[0]!.path}: ${errors[0]!.message}`, errors);
}

/**
 * Why each refused webhook target is refused right now. The monitor is saved anyway (the
 * operator may allowlist the host later, or DNS may change); deliveries are vetted again
 * when they are sent.
 */
export async function webhookValidationErrors(ctx: ServerContext, webhooks: readonly StoredWebhook[]): Promise<string[]> {
  const allowlist = new WebhookAllowlist(ctx.config.webhookAllowlist);
  const found = await Promise.all(
    webhooks.map(async (w, i) => {
      const v = await Promise.race([
        vetWebhookUrl(w.url, allowlist),
        new Promise<{ ok: false; reason: string }>((resolve) => setTimeout(() => resolve({ ok: false, reason: `${w.url}: the host did not resolve within 3 s` }), 3_000).unref()),
      ]);
      return v.ok ? [] : [`webhooks[${i}]: ${v.reason}`];
    }),
  );
  return found.flat();
}

/** What an audit event may show of a monitor: everything but the secrets. */
const audited = (m: Monitor) => ({ ...m, lastEvaluatedAt: undefined });

export async function createMonitor({ ctx, actor, projectRef, input }: Args & { input: z.input<typeof CreateMonitor> }): Promise<Monitor> {
  const m = CreateMonitor.parse(input);
  const webhooks: StoredWebhook[] = m.webhooks.map((w) => ({ url: w.url, ...(w.secret ? { secret: w.secret } : {}) }));
  checkWebhookUrls(webhooks);
  // Who may write here is settled before any DNS lookup is made on the caller's behalf.
  await liveProject(ctx.db.orm, actor, projectRef, "writer");
  const validationErrors = await webhookValidationErrors(ctx, webhooks);
  return ctx.db.orm.transaction(async (tx) => {
    const project = await liveProject(tx, actor, projectRef, "writer");
    const model = await requireModel(tx, project.id, m.model);
    const id = uuidv7();
    await tx.execute(
      sql`insert into monitors (id, project_id, model_id, name, alias, rule, "window", min_samples, cooldown, webhooks, retrain, enabled, validation_errors)
          values (${id}::uuid, ${project.id}::uuid, ${model.id}::uuid, ${m.name}, ${m.alias}, ${JSON.stringify(m.rule)}::text::jsonb, ${m.window}, ${m.minSamples},
                  ${m.cooldown}, ${JSON.stringify(webhooks)}::text::jsonb, ${m.retrain}, ${m.enabled}, ${JSON.stringify(validationErrors)}::text::jsonb)`,
    );
    const monitor = toMonitor(await findMonitor(tx, project.id, id));
    await recordAudit(auditQueryFromOrm(tx), actor, { action: "monitor.create", subject: { kind: "monitor", id }, projectId: project.id, after: audited(monitor) });
    return monitor;
  });
}

const isIdCursor = (v: unknown): v is { id: string } => typeof v === "object" && v !== null && typeof (v as { id?: unknown }).id === "string" && isUuid((v as { id: string }).id);

export async function listMonitors({ ctx, actor, projectRef, model, limit, cursor }: Args & { model?: string | undefined; limit: number; cursor?: string | undefined }): Promise<z.infer<typeof MonitorList>> {
  const after = cursor ? decodeCursor(cursor, isIdCursor).id : undefined;
  const project = await liveProject(ctx.db.orm, actor, projectRef, "reader");
  const found = await rows<MonitorRow>(
    ctx.db.orm,
    sql`select ${MONITOR_COLUMNS} from ${MONITOR_FROM} where mo.project_id = ${project.id}::uuid
        ${model !== undefined ? sql`and m.name = ${model}` : sql``}
        ${after !== undefined ? sql`and mo.id > ${after}::uuid` : sql``}
        order by mo.id limit ${limit + 1}`,
  );
  const page = found.slice(0, limit);
  return { monitors: page.map(toMonitor), nextCursor: found.length > limit ? encodeCursor({ id: page[page.length - 1]!.id }) : null };
}

export async function getMonitor({ ctx, actor, projectRef, id }: Args & { id: string }): Promise<Monitor> {
  const project = await liveProject(ctx.db.orm, actor, projectRef, "reader");
  return toMonitor(await findMonitor(ctx.db.orm, project.id, id));
}

/**
 * Changes the given fields. `webhooks` replaces the list; an entry sent without `secret`
 * keeps the secret a stored entry of the same URL had, since secrets are never returned
 * and a read-modify-write must not drop them.
 */
export async function updateMonitor({ ctx, actor, projectRef, id, input }: Args & { id: string; input: z.input<typeof UpdateMonitor> }): Promise<Monitor> {
  const patch = UpdateMonitor.parse(input);
  let webhooks: StoredWebhook[] | undefined;
  let validationErrors: string[] | undefined;
  if (patch.webhooks !== undefined) {
    await liveProject(ctx.db.orm, actor, projectRef, "writer");
    webhooks = patch.webhooks.map((w) => ({ url: w.url, ...(w.secret ? { secret: w.secret } : {}) }));
    checkWebhookUrls(webhooks);
    validationErrors = await webhookValidationErrors(ctx, webhooks);
  }
  return ctx.db.orm.transaction(async (tx) => {
    const project = await liveProject(tx, actor, projectRef, "writer");
    const beforeRow = await findMonitor(tx, project.id, id, true);
    const before = toMonitor(beforeRow);
    if (webhooks) {
      const kept = new Map(monitorWebhooks(beforeRow).filter((w) => w.secret).map((w) => [w.url, w.secret!]));
      webhooks = webhooks.map((w) => (w.secret || !kept.has(w.url) ? w : { ...w, secret: kept.get(w.url) }));
    }
    const sets = [
      patch.name !== undefined ? sql`name = ${patch.name}` : undefined,
      patch.alias !== undefined ? sql`alias = ${patch.alias}` : undefined,
      patch.rule !== undefined ? sql`rule = ${JSON.stringify(patch.rule)}::text::jsonb` : undefined,
      patch.window !== undefined ? sql`"window" = ${patch.window}` : undefined,
      patch.minSamples !== undefined ? sql`min_samples = ${patch.minSamples}` : undefined,
      patch.cooldown !== undefined ? sql`cooldown = ${patch.cooldown}` : undefined,
      webhooks !== undefined ? sql`webhooks = ${JSON.stringify(webhooks)}::text::jsonb` : undefined,
      validationErrors !== undefined ? sql`validation_errors = ${JSON.stringify(validationErrors)}::text::jsonb` : undefined,
      patch.retrain !== undefined ? sql`retrain = ${patch.retrain}` : undefined,
      patch.enabled !== undefined ? sql`enabled = ${patch.enabled}` : undefined,
    ].filter((s) => s !== undefined);
    if (sets.length === 0) return before;
    await tx.execute(sql`update monitors set ${sql.join([...sets, sql`updated_at = now()`], sql`, `)} where id = ${id}::uuid`);
    const after = toMonitor(await findMonitor(tx, project.id, id));
    await recordAudit(auditQueryFromOrm(tx), actor, { action: "monitor.update", subject: { kind: "monitor", id }, projectId: project.id, before: audited(before), after: audited(after) });
    return after;
  });
}

/** Removes the monitor with its alerts and delivery log (they describe a rule that no longer exists). */
export async function deleteMonitor({ ctx, actor, projectRef, id }: Args & { id: string }): Promise<Monitor> {
  return ctx.db.orm.transaction(async (tx) => {
    const project = await liveProject(tx, actor, projectRef, "writer");
    const before = toMonitor(await findMonitor(tx, project.id, id, true));
    await tx.execute(sql`delete from monitors where id = ${id}::uuid`);
    await recordAudit(auditQueryFromOrm(tx), actor, { action: "monitor.delete", subject: { kind: "monitor", id }, projectId: project.id, before: audited(before) });
    return before;
  });
}
