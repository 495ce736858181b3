import type { GcResult } from "@cairn/core";
import { sql } from "drizzle-orm";
import { auditQueryFromOrm, recordAudit } from "../audit/audit.service.js";
import type { Actor } from "../auth/actor.js";
import { SYSTEM_ACTOR } from "../auth/keys.service.js";
import { rows } from "../db/client.js";
import { purgeExpiredDeletions } from "../deletion/purge.service.js";
import type { ServerContext } from "../server-context.js";

/** Temporary uploads and unrecorded objects younger than this are never touched: an upload may still own them. */
export const STALE_TEMP_MS = 86_400_000;
const BATCH = 500;
const DRY_RUN_LIST_MAX = 10_000;

export interface GcOptions {
  dryRun: boolean;
  graceMs: number;
  purgeExpired: boolean;
}

// A model version's files are frozen copies: they keep their blobs after the run's artifacts are gone.
const unreferenced = (graceMs: number) =>
  sql`b.touched_at < now() - make_interval(secs => ${graceMs / 1000}::float8)
      and not exists (select 1 from artifacts a where a.sha256 = b.sha256)
      and not exists (select 1 from model_version_files f where f.sha256 = b.sha256)`;

/**
 * Removes blobs no artifact or model version file references and no upload touched within the grace period.
 * Each batch deletes the objects while holding its rows' locks (`for update skip locked`):
 * an upload or link upserts the same row first, so it either waits for the batch to finish
 * (and then stores the object again) or makes the batch skip the row. Then stale temporary
 * uploads, then objects with no row at all (left by a crash between write and commit).
 */
export async function collectGarbage(ctx: ServerContext, actor: Actor | "system", options: GcOptions): Promise<GcResult> {
  const purged = options.purgeExpired && !options.dryRun ? await purgeExpiredDeletions(ctx, actor) : { runs: 0, projects: 0 };
  const result: GcResult = { dryRun: options.dryRun, blobs: [], reclaimedBytes: 0, purgedRuns: purged.runs, purgedProjects: purged.projects, staleTempFiles: 0, orphanObjects: 0 };
  if (options.dryRun) {
    const found = await rows<{ sha256: string; size: number }>(
      ctx.db.orm,
      sql`select b.sha256, greatest(b.size, 0)::float8 as size from blobs b where ${unreferenced(options.graceMs)} order by b.touched_at limit ${DRY_RUN_LIST_MAX}`,
    );
    result.blobs = found.map((b) => ({ sha256: b.sha256, size: Number(b.size) }));
  } else {
    for (;;) {
      const batch = await ctx.db.orm.transaction(async (tx) => {
        const locked = await rows<{ sha256: string; size: number }>(
          tx,
          sql`select b.sha256, greatest(b.size, 0)::float8 as size from blobs b where ${unreferenced(options.graceMs)}
              order by b.touched_at limit ${BATCH} for update skip locked`,
        );
        if (locked.length === 0) return locked;
        await ctx.blobStore.deleteMany(locked.map((b) => b.sha256));
        await tx.execute(sql`delete from blobs where sha256 = any(${sql.param(locked.map((b) => b.sha256))}::text[])`);
        return locked;
      });
      result.blobs.push(...batch.map((b) => ({ sha256: b.sha256, size: Number(b.size) })));
      if (batch.length < BATCH) break;
    }
  }
  result.reclaimedBytes = result.blobs.reduce((n, b) => n + b.size, 0);
  result.staleTempFiles = await ctx.blobStore.cleanTemp(STALE_TEMP_MS, options.dryRun);
  result.orphanObjects = await sweepOrphans(ctx, Math.max(options.graceMs, STALE_TEMP_MS), options.dryRun);
  if (!options.dryRun) {
    await ctx.db.orm.transaction((tx) =>
      recordAudit(auditQueryFromOrm(tx), actor === "system" ? SYSTEM_ACTOR : actor, {
        action: "gc.run",
        subject: { kind: "system", id: "gc" },
        after: {
          blobs: result.blobs.length,
          reclaimedBytes: result.reclaimedBytes,
          purgedRuns: result.purgedRuns,
          purgedProjects: result.purgedProjects,
          staleTempFiles: result.staleTempFiles,
          orphanObjects: result.orphanObjects,
          graceMs: options.graceMs,
        },
      }),
    );
  }
  return result;
}

/** Objects in the store with no blobs row, older than `olderThanMs`. */
async function sweepOrphans(ctx: ServerContext, olderThanMs: number, dryRun: boolean): Promise<number> {
  let count = 0;
  let batch: string[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const known = await rows<{ sha256: string }>(ctx.db.orm, sql`select sha256 from blobs where sha256 = any(${sql.param(batch)}::text[])`);
    const knownSet = new Set(known.map((k) => k.sha256));
    const orphans = batch.filter((s) => !knownSet.has(s));
    count += orphans.length;
    if (!dryRun && orphans.length > 0) await ctx.blobStore.deleteMany(orphans);
    batch = [];
  };
  for await (const key of ctx.blobStore.list()) {
    if (Date.now() - key.modifiedAt.getTime() < olderThanMs) continue;
    batch.push(key.sha256);
    if (batch.length >= 1000) await flush();
  }
  await flush();
  return count;
}

/** The periodic job: purge expired deletions, then collect garbage. Never overlaps itself. */
export function startArtifactMaintenance(ctx: ServerContext): () => void {
  const every = ctx.config.maintenanceIntervalMs;
  if (every <= 0) return () => {};
  let running = false;
  const timer = setInterval(() => {
    if (running || ctx.state.shuttingDown) return;
    running = true;
    collectGarbage(ctx, "system", { dryRun: false, graceMs: ctx.config.gcGraceMs, purgeExpired: true })
      .then((r) => ctx.log.info({ blobs: r.blobs.length, reclaimedBytes: r.reclaimedBytes, purgedRuns: r.purgedRuns, purgedProjects: r.purgedProjects }, "maintenance done"))
      .catch((err: unknown) => ctx.log.error({ err }, "maintenance failed"))
      .finally(() => {
        running = false;
      });
  }, every);
  timer.unref();
  return () => clearInterval(timer);
}
