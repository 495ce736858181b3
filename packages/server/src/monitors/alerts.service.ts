import { type Alert, type AlertList, type AlertListQuery, isUuid, type UpdateAlert, type WebhookDeliveryList } from "@cairn/core";
import { sql } from "drizzle-orm";
import type { z } from "zod";
import { auditQueryFromOrm, recordAudit } from "../audit/audit.service.js";
import type { Actor } from "../auth/actor.js";
import { liveProject } from "../datasets/dataset-rows.js";
import { type Executor, rows } from "../db/client.js";
import { decodeCursor, encodeCursor } from "../http/cursor.js";
import { ConflictError, NotFoundError } from "../http/errors.js";
import type { ServerContext } from "../server-context.js";
import { ALERT_COLUMNS, ALERT_FROM, type AlertRow, DELIVERY_COLUMNS, type DeliveryRow, toAlert, toDelivery } from "./monitor-rows.js";

type Args = { ctx: ServerContext; actor: Actor; projectRef: string };

const isIdCursor = (v: unknown): v is { id: string } => typeof v === "object" && v !== null && typeof (v as { id?: unknown }).id === "string" && isUuid((v as { id: string }).id);

async function findAlert(db: Executor, projectId: string, id: string, forUpdate = false): Promise<AlertRow> {
  if (!isUuid(id)) throw new NotFoundError("alert", id);
  const [row] = await rows<AlertRow>(
    db,
    sql`select ${ALERT_COLUMNS} from ${ALERT_FROM} where a.id = ${id}::uuid and a.project_id = ${projectId}::uuid ${forUpdate ? sql`for update of a` : sql``}`,
  );
  if (!row) throw new NotFoundError("alert", id);
  return row;
}

/** Newest first (alert ids are UUIDv7, so id order is firing order). */
export async function listAlerts({ ctx, actor, projectRef, query }: Args & { query: z.infer<typeof AlertListQuery> }): Promise<z.infer<typeof AlertList>> {
  const before = query.cursor ? decodeCursor(query.cursor, isIdCursor).id : undefined;
  const project = await liveProject(ctx.db.orm, actor, projectRef, "reader");
  const monitorId = query.monitorId?.toLowerCase();
  const found = await rows<AlertRow>(
    ctx.db.orm,
    sql`select ${ALERT_COLUMNS} from ${ALERT_FROM} where a.project_id = ${project.id}::uuid
        ${query.status !== undefined ? sql`and a.status = ${query.status}` : sql``}
        ${query.model !== undefined ? sql`and m.name = ${query.model}` : sql``}
        ${monitorId !== undefined ? sql`and a.monitor_id = ${monitorId}::uuid` : sql``}
        ${before !== undefined ? sql`and a.id < ${before}::uuid` : sql``}
        order by a.id desc limit ${query.limit + 1}`,
  );
  const page = found.slice(0, query.limit);
  return { alerts: page.map(toAlert), nextCursor: found.length > query.limit ? encodeCursor({ id: page[page.length - 1]!.id }) : null };
}

export async function getAlert({ ctx, actor, projectRef, id }: Args & { id: string }): Promise<Alert> {
  const project = await liveProject(ctx.db.orm, actor, projectRef, "reader");
  return toAlert(await findAlert(ctx.db.orm, project.id, id));
}

/**
 * open → acknowledged → resolved (open → resolved directly too); resolved is final. Saying
 * again what the alert already is changes nothing (a retried request is not an error);
 * going back is a 409.
 */
export async function updateAlert({ ctx, actor, projectRef, id, input }: Args & { id: string; input: z.infer<typeof UpdateAlert> }): Promise<Alert> {
  return ctx.db.orm.transaction(async (tx) => {
    const project = await liveProject(tx, actor, projectRef, "writer");
    const before = toAlert(await findAlert(tx, project.id, id, true));
    if (before.status === input.status) return before;
    if (before.status === "resolved") throw new ConflictError("the alert is resolved; resolved is final", [{ path: "status", message: "the alert is resolved already" }]);
    if (before.status === "acknowledged" && input.status !== "resolved") throw new ConflictError("an acknowledged alert can only be resolved", [{ path: "status", message: "must be resolved" }]);
    await tx.execute(
      input.status === "acknowledged"
        ? sql`update alerts set status = 'acknowledged', acknowledged_by = ${actor.name}, acknowledged_at = now() where id = ${id}::uuid`
        : sql`update alerts set status = 'resolved', resolved_by = ${actor.name}, resolved_at = now() where id = ${id}::uuid`,
    );
    const after = toAlert(await findAlert(tx, project.id, id));
    await recordAudit(auditQueryFromOrm(tx), actor, {
      action: `alert.${input.status === "acknowledged" ? "acknowledge" : "resolve"}`,
      subject: { kind: "alert", id },
      projectId: project.id,
      before: { status: before.status },
      after: {
        status: after.status,
        ...(after.status === "acknowledged" ? { acknowledgedBy: after.acknowledgedBy, acknowledgedAt: after.acknowledgedAt } : { resolvedBy: after.resolvedBy, resolvedAt: after.resolvedAt }),
        ...(input.note !== undefined ? { note: input.note } : {}),
      },
    });
    return after;
  });
}

/** The monitor's delivery log, newest first. */
export async function listDeliveries({ ctx, actor, projectRef, monitorId, limit, cursor }: Args & { monitorId: string; limit: number; cursor?: string | undefined }): Promise<z.infer<typeof WebhookDeliveryList>> {
  const before = cursor ? decodeCursor(cursor, isIdCursor).id : undefined;
  const project = await liveProject(ctx.db.orm, actor, projectRef, "reader");
  if (!isUuid(monitorId)) throw new NotFoundError("monitor", monitorId);
  const [monitor] = await rows<{ id: string }>(ctx.db.orm, sql`select id::text as id from monitors where id = ${monitorId}::uuid and project_id = ${project.id}::uuid`);
  if (!monitor) throw new NotFoundError("monitor", monitorId);
  const found = await rows<DeliveryRow>(
    ctx.db.orm,
    sql`select ${DELIVERY_COLUMNS} from webhook_deliveries d where d.monitor_id = ${monitorId}::uuid
        ${before !== undefined ? sql`and d.id < ${before}::uuid` : sql``}
        order by d.id desc limit ${limit + 1}`,
  );
  const page = found.slice(0, limit);
  return { deliveries: page.map(toDelivery), nextCursor: found.length > limit ? encodeCursor({ id: page[page.length - 1]!.id }) : null };
}
