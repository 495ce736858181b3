import { z } from "zod";
import { EpochMs, IsoDateTime, PageInfo, Text, Uuid, UuidV7 } from "./common.js";
import { MetricSummary } from "./metrics.js";
import { Params } from "./params.js";
import { RunEnvironment, RunSource } from "./reproducibility.js";
import { Tags, TagUpdates } from "./tags.js";

export const RunStatus = z.enum(["running", "finished", "failed", "killed", "crashed"]);
export type RunStatus = z.infer<typeof RunStatus>;
export const TERMINAL_STATUSES: readonly RunStatus[] = ["finished", "failed", "killed"];

export const RunName = Text(250, 1);

export const Run = z
  .object({
    id: Uuid,
    projectId: Uuid,
    name: z.string(),
    status: RunStatus,
    parentId: Uuid.nullable(),
    notes: z.string(),
    tags: Tags,
    params: Params,
    createdAt: IsoDateTime,
    startedAt: IsoDateTime,
    endedAt: IsoDateTime.nullable(),
    heartbeatAt: IsoDateTime,
    source: RunSource.nullable(),
    environment: RunEnvironment.nullable(),
    /** The run this one re-executes, if it was started by `cairn rerun`. */
    retrainedFrom: Uuid.nullable(),
    /** Set while the run is soft-deleted (restorable until purged). */
    deletedAt: IsoDateTime.nullable(),
    /** For a soft-deleted run: when the retention sweep will purge it. */
    purgeAt: IsoDateTime.nullable().optional(),
    /** Latest summary per metric key. */
    metrics: z.record(z.string(), MetricSummary),
  })
  .meta({ id: "Run" });
export type Run = z.infer<typeof Run>;

export const CreateRun = z
  .object({
    /** Client-generated UUIDv7: re-sending the same create returns the same run. */
    id: UuidV7.optional(),
    name: RunName.optional(),
    parentId: Uuid.optional(),
    tags: Tags.optional(),
    params: Params.optional(),
    notes: Text(100_000).optional(),
    /** Milliseconds since the epoch; now when omitted (an offline run synced later keeps its real start). */
    startedAt: EpochMs.optional(),
    source: RunSource.optional(),
    environment: RunEnvironment.optional(),
    /** A run in the same project that this one re-executes (lineage edge). */
    retrainedFrom: Uuid.optional(),
  })
  .strict()
  .meta({ id: "CreateRun" });
export type CreateRun = z.infer<typeof CreateRun>;

export const UpdateRun = z
  .object({
    status: RunStatus.exclude(["crashed"]).optional(),
    name: RunName.optional(),
    notes: Text(100_000).optional(),
    /** Merged into the run's tags; null removes a tag. */
    tags: TagUpdates.optional(),
    /** Milliseconds since the epoch; set automatically when a terminal status is set. */
    endedAt: EpochMs.optional(),
  })
  .strict()
  .meta({ id: "UpdateRun" });
export type UpdateRun = z.infer<typeof UpdateRun>;

export const RunList = PageInfo.extend({ runs: z.array(Run) }).meta({ id: "RunList" });
export type RunList = z.infer<typeof RunList>;

/** Which runs or projects a list shows: live ones (default), soft-deleted ones only (the trash), or both. */
export const DeletedFilter = z.enum(["exclude", "only", "include"]).describe("Soft-deleted objects: exclude (default), only (the trash) or include");
export type DeletedFilter = z.infer<typeof DeletedFilter>;

export const RunSearchQuery = z.object({
  filter: Text(10_000).optional(),
  orderBy: Text(1000).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  cursor: z.string().max(2000).optional(),
  deleted: DeletedFilter.default("exclude"),
});

export const GetRunQuery = z.object({
  includeDeleted: z.enum(["true", "false"]).default("false").transform((v) => v === "true").describe("Also return a soft-deleted run"),
});
export type GetRunQuery = z.infer<typeof GetRunQuery>;

/** `DELETE …?purge=true` removes the object now instead of moving it to the trash. */
export const DeleteQuery = z.object({
  purge: z.enum(["true", "false"]).default("false").transform((v) => v === "true").describe("Hard-delete now (maintainer for runs, admin for projects)"),
});
export type DeleteQuery = z.infer<typeof DeleteQuery>;

/** What `DELETE /runs/{runId}` did. */
export const RunDeletion = z
  .object({
    id: Uuid,
    purged: z.boolean(),
    /** Soft delete: when it happened and when the retention sweep purges the run. */
    deletedAt: IsoDateTime.nullable(),
    purgeAt: IsoDateTime.nullable(),
    /** Purge: the rows removed (blobs stay until the artifact GC finds them unused). */
    removed: z
      .object({ points: z.number().int(), rollups: z.number().int(), series: z.number().int(), artifacts: z.number().int(), datasetLinks: z.number().int() })
      .nullable(),
  })
  .meta({ id: "RunDeletion" });
export type RunDeletion = z.infer<typeof RunDeletion>;
export type RunSearchQuery = z.infer<typeof RunSearchQuery>;

export const Heartbeat = z.object({ heartbeatAt: IsoDateTime, status: RunStatus }).meta({ id: "Heartbeat" });
export type Heartbeat = z.infer<typeof Heartbeat>;

