import { z } from "zod";
import { IsoDateTime, PageInfo, ProjectName, Text, Uuid } from "./common.js";

export const Project = z
  .object({
    id: Uuid,
    name: z.string(),
    description: z.string(),
    createdAt: IsoDateTime,
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
