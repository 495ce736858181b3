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

export const RunSearchQuery = z.object({
  filter: Text(10_000).optional(),
  orderBy: Text(1000).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  cursor: z.string().max(2000).optional(),
});
export type RunSearchQuery = z.infer<typeof RunSearchQuery>;

export const Heartbeat = z.object({ heartbeatAt: IsoDateTime, status: RunStatus }).meta({ id: "Heartbeat" });
export type Heartbeat = z.infer<typeof Heartbeat>;

