import { sql } from "drizzle-orm";
import { type Executor, rows } from "../db/client.js";

/** How long a label may wait for its prediction before it is reported as orphaned (CAIRN_LABEL_PENDING_HOURS). */
export const DEFAULT_LABEL_PENDING_HOURS = 168;

/**
 * Labels of the project still waiting for their prediction after the pending period. A
 * label names only a prediction id, so until it is matched it belongs to no model: the
 * count is the project's.
 */
export async function countOrphanedLabels(db: Executor, projectId: string, pendingHours: number, now = Date.now()): Promise<number> {
  const before = new Date(now - pendingHours * 3_600_000).toISOString();
  const [row] = await rows<{ n: number | string }>(
    db,
    sql`select count(*)::int as n from prediction_labels where not matched and received_at < ${before}::timestamptz and project_id = ${projectId}::uuid`,
  );
  return Number(row?.n ?? 0);
}
