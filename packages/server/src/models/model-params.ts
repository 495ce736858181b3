import { ModelVersionRef } from "@cairn/core";
import { z } from "zod";
import { ProjectParam } from "../projects/projects.routes.js";

// The name is checked in the service (a 400 naming `path.name`), as dataset names are.
export const ModelParam = ProjectParam.extend({ name: z.string().min(1).max(1000).describe("Model name") });
export const VersionParam = ModelParam.extend({ version: ModelVersionRef.describe("Version number, or `latest` (the newest version not archived)") });
