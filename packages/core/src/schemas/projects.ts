import { z } from "zod";
import { IsoDateTime, ListQuery, PageInfo, ProjectName, Text, Uuid } from "./common.js";
import { DeletedFilter } from "./runs.js";

/** A model whose `production` alias is set, and the version it points at. */
export const ProductionModel = z.object({ name: z.string(), version: z.number().int() }).meta({ id: "ProductionModel" });
export type ProductionModel = z.infer<typeof ProductionModel>;

export const Project = z
  .object({
    id: Uuid,
    name: z.string(),
    description: z.string(),
    createdAt: IsoDateTime,
    /** Set while the project is soft-deleted (it and its runs are hidden until restored or purged). */
    deletedAt: IsoDateTime.nullable(),
    /** For a soft-deleted project: when the retention sweep will purge it. */
    purgeAt: IsoDateTime.nullable().optional(),
    /** In the listing: live (not soft-deleted) runs of the project. */
    runCount: z.number().int().optional(),
    /** In the listing: the latest start, heartbeat or end of a live run; null without runs. */
    lastActivityAt: IsoDateTime.nullable().optional(),
    /** In the listing: models whose `production` alias is set, by name. */
    productionModels: z.array(ProductionModel).optional(),
  })
  .meta({ id: "Project" });
export type Project = z.infer<typeof Project>;

export const CreateProject = z
  .object({
    name: ProjectName,
    description: Text(10_000).optional(),
  })
  .strict()
  .meta({ id: "CreateProject" });
export type CreateProject = z.infer<typeof CreateProject>;

export const ProjectList = PageInfo.extend({ projects: z.array(Project) }).meta({ id: "ProjectList" });
export type ProjectList = z.infer<typeof ProjectList>;

export const ProjectListQuery = ListQuery.extend({ deleted: DeletedFilter.default("exclude") });
export type ProjectListQuery = z.infer<typeof ProjectListQuery>;

/** What `DELETE /projects/{project}` did. */
export const ProjectDeletion = z
  .object({
    id: Uuid,
    name: z.string(),
    purged: z.boolean(),
    deletedAt: IsoDateTime.nullable(),
    purgeAt: IsoDateTime.nullable(),
    /** Purge: what was removed with the project. */
    removed: z
      .object({ runs: z.number().int(), datasets: z.number().int(), points: z.number().int(), series: z.number().int(), artifacts: z.number().int() })
      .nullable(),
  })
  .meta({ id: "ProjectDeletion" });
export type ProjectDeletion = z.infer<typeof ProjectDeletion>;
