import { ArtifactList, RunDatasetList } from "@cairn/core";
import { Cairn } from "../client/cairn.js";
import { seg } from "../client/http.js";
import { type PlanDataset, planDatasets, renderPlan, reproducePlan } from "../reproducibility/plan.js";
import { type CliValues, EXIT_OK, UsageError } from "./main.js";

export const REPRODUCE_HELP = `  cairn reproduce <run-id> [--json]                 print the steps that reproduce a run (checkout, install, command, data)
  cairn rerun <run-id> [--set key=value …] [--dry-run]
                                                   run the recorded command again in this checkout, as a new run`;

export const REPRODUCE_OPTIONS = {
  set: { type: "string", multiple: true },
  "dry-run": { type: "boolean" },
} as const;

export function cliClient(values: CliValues): Cairn {
  return new Cairn(values.url !== undefined ? { url: values.url } : {});
}

/** The datasets the run read and wrote; null when the server has no such endpoint. */
async function runDatasets(c: Cairn, runId: string): Promise<PlanDataset[] | null> {
  try {
    const res = await c.transport.raw("GET", `/api/v1/runs/${seg(runId)}/datasets`);
    if (res.status >= 400) return null;
    const parsed = RunDatasetList.safeParse(res.body);
    return parsed.success ? planDatasets(parsed.data.datasets) : null;
  } catch {
    return null;
  }
}

/** Whether the run's stored diff is there (it is not when the server was away at the run's start). */
async function hasArtifact(c: Cairn, runId: string, path: string): Promise<boolean> {
  try {
    const folder = path.slice(0, path.lastIndexOf("/") + 1);
    const res = await c.transport.raw("GET", `/api/v1/runs/${seg(runId)}/artifacts`, { searchParams: { prefix: folder, recursive: "true" } });
    const parsed = ArtifactList.safeParse(res.body);
    return res.status < 400 && parsed.success && parsed.data.artifacts.some((a) => a.path === path);
  } catch {
    return false;
  }
}

export async function reproduceCommand(values: CliValues, rest: string[]): Promise<number> {
  if (rest.length !== 1) throw new UsageError("reproduce needs exactly one run id");
  const c = cliClient(values);
  const run = await c.runs.get(rest[0]!);
  const diff = run.source?.diffArtifact;
  const [project, datasets, diffStored] = await Promise.all([c.projects.get(run.projectId), runDatasets(c, run.id), diff ? hasArtifact(c, run.id, diff) : false]);
  const plan = reproducePlan(run, project.name, datasets, process.version, { diffStored });
  console.log(values.json ? JSON.stringify(plan, null, 2) : renderPlan(plan));
  return EXIT_OK;
}
