import { sql } from "drizzle-orm";
import { rows } from "../db/client.js";
import type { ServerContext } from "../server-context.js";
import type { StoredWebhook } from "./monitor-rows.js";
import { type AttemptResult, attemptDelivery } from "./webhook-sender.js";
import type { Lookup, WebhookAllowlist } from "./webhook-target.js";

const MAX_BACKOFF_MS = 3_600_000;
/** A claimed delivery is not picked up by another replica for this long (longer than one attempt can take). */
const CLAIM_MS = 5 * 60_000;

/** Delay before retry `attempt` (1-based): base, 2×base, 4×base … capped at an hour. */
export function retryDelayMs(baseMs: number, attempt: number): number {
  return Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, attempt - 1));
}

interface ClaimedDelivery {
  id: string;
  url: string;
  payload: string;
  attempts: number;
  webhooks: string;
}

/**
 * Due pending deliveries, claimed with SKIP LOCKED and pushed out of reach (next_attempt_at
 * moves ahead) in one statement, so with several replicas each delivery is attempted by one.
 */
async function claimDueDeliveries(ctx: ServerContext, limit: number): Promise<ClaimedDelivery[]> {
  return rows<ClaimedDelivery>(
    ctx.db.orm,
    sql`with due as (
          select id from webhook_deliveries where status = 'pending' and next_attempt_at <= now()
          order by next_attempt_at limit ${limit} for update skip locked
        ), claimed as (
          update webhook_deliveries d set next_attempt_at = now() + make_interval(secs => ${CLAIM_MS / 1000})
          from due where d.id = due.id
          returning d.id, d.url, d.payload, d.attempts, d.monitor_id
        )
        select c.id::text as id, c.url, c.payload::text as payload, c.attempts::int as attempts, coalesce(mo.webhooks, '[]'::jsonb)::text as webhooks
        from claimed c left join monitors mo on mo.id = c.monitor_id`,
  );
}

async function recordAttempt(ctx: ServerContext, d: ClaimedDelivery, result: AttemptResult): Promise<"delivered" | "retry" | "failed" | "refused"> {
  const attempts = d.attempts + 1;
  const outcome = result.outcome === "retry" && attempts >= ctx.config.webhookMaxAttempts ? "failed" : result.outcome;
  const status = outcome === "retry" ? "pending" : outcome;
  const error = result.outcome === "delivered" ? null : result.outcome === "retry" && outcome === "failed" ? `${result.error} (gave up after ${attempts} attempts)` : result.error;
  const next = outcome === "retry" ? sql`now() + make_interval(secs => ${retryDelayMs(ctx.config.webhookRetryBaseMs, attempts) / 1000})` : sql`next_attempt_at`;
  await ctx.db.orm.execute(
    sql`update webhook_deliveries set status = ${status}, attempts = ${attempts}, last_status_code = ${result.statusCode}, last_error = ${error},
          latency_ms = ${result.latencyMs === null ? null : Math.round(result.latencyMs)}, next_attempt_at = ${next},
          delivered_at = ${outcome === "delivered" ? sql`now()` : sql`null`}
        where id = ${d.id}::uuid`,
  );
  return outcome;
}

/**
 * Sends every due delivery (a batch at a time) and records each attempt. The secret is read
 * from the monitor at send time; a URL no longer on the monitor is given up.
 */
export async function sendDueDeliveries(ctx: ServerContext, allowlist: WebhookAllowlist, lookup?: Lookup): Promise<number> {
  let sent = 0;
  for (;;) {
    if (ctx.state.shuttingDown) return sent;
    const batch = await claimDueDeliveries(ctx, 20);
    if (batch.length === 0) return sent;
    await Promise.all(
      batch.map(async (d) => {
        const webhook = (JSON.parse(d.webhooks) as StoredWebhook[]).find((w) => w.url === d.url);
        const result: AttemptResult = webhook
          ? await attemptDelivery({ url: d.url, body: d.payload, deliveryId: d.id, secret: webhook.secret, allowlist, timeoutMs: ctx.config.webhookTimeoutMs, ...(lookup ? { lookup } : {}) })
          : { outcome: "failed", statusCode: null, latencyMs: null, error: "the webhook was removed from the monitor" };
        const outcome = await recordAttempt(ctx, d, result);
        ctx.ops.webhookDeliveries.inc({ outcome });
        if (result.latencyMs !== null && result.statusCode !== null) ctx.ops.webhookDuration.observe(result.latencyMs / 1000);
        if (outcome !== "delivered") ctx.log.warn({ deliveryId: d.id, url: d.url, outcome, statusCode: result.statusCode, error: result.outcome === "delivered" ? undefined : result.error }, "webhook not delivered");
        sent++;
      }),
    );
  }
}
