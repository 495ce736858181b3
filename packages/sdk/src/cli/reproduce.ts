import { RunDatasetList } from "@cairn/core";
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

export async function reproduceCommand(values: CliValues, rest: string[]): Promise<number> {
  if (rest.length !== 1) throw new UsageError("reproduce needs exactly one run id");
  const c = cliClient(values);
  const run = await c.runs.get(rest[0]!);
  const [project, datasets] = await Promise.all([c.projects.get(run.projectId), runDatasets(c, run.id)]);
  const plan = reproducePlan(run, project.name, datasets, process.version);
  console.log(values.json ? JSON.stringify(plan, null, 2) : renderPlan(plan));
  return EXIT_OK;
}
