import type { Params, Run, RunDataset } from "@cairn/core";
import type { z } from "zod";
import { DIFF_ARTIFACT } from "./options.js";
import { shellCommand, shellQuote } from "./shell.js";

export interface ReproduceStep {
  title: string;
  /** Shell commands, in order (already quoted). */
  commands: string[];
  notes: string[];
}

export interface PlanDataset {
  name: string;
  version: number;
  digest: string;
  direction: "input" | "output";
  role: string;
}

/** What `cairn reproduce --json` prints: the steps and the facts they come from. */
export interface ReproducePlan {
  runId: string;
  project: string;
  name: string;
  commit: string | null;
  remote: string | null;
  dirty: boolean;
  node: string | null;
  lockfile: string | null;
  lockfileHash: string | null;
  command: string | null;
  cwd: string | null;
  params: Params;
  /** null when the server has no run-datasets endpoint (older server). */
  datasets: PlanDataset[] | null;
  warnings: string[];
  steps: ReproduceStep[];
}

/** `https://host/org/repo.git` → `repo` (the directory `git clone` makes). */
export function cloneDir(remote: string): string {
  const last = remote.replace(/[/\\]+$/, "").split(/[/:\\]/).pop() ?? "";
  const name = last.replace(/\.git$/, "");
  return name === "" ? "repo" : name;
}

function installCommand(lockfile: string): string {
  const base = lockfile.split("/").pop();
  if (base === "pnpm-lock.yaml") return "pnpm install --frozen-lockfile";
  if (base === "yarn.lock") return "yarn install --frozen-lockfile";
  return "npm ci";
}

const major = (v: string): string => v.replace(/^v/, "").split(".")[0] ?? v;

/** The exact steps to reproduce `run`, from what its `init()` recorded. Pure. */
export function reproducePlan(run: Run, project: string, datasets: PlanDataset[] | null, currentNode: string, opts: { diffStored?: boolean } = {}): ReproducePlan {
  const src = run.source ?? {};
  const env = run.environment ?? {};
  const warnings: string[] = [];
  const steps: ReproduceStep[] = [];
  const dirty = src.dirty === true;

  const code: ReproduceStep = { title: "Get the code", commands: [], notes: [] };
  if (src.remote) {
    const dir = cloneDir(src.remote);
    code.commands.push(shellCommand(["git", "clone", src.remote, dir]), shellCommand(["cd", dir]));
  } else code.notes.push("No git remote was recorded: start from your own clone of the repository.");
  if (src.commit) code.commands.push(shellCommand(["git", "checkout", src.commit]));
  else warnings.push("The run recorded no git commit: the exact code version is unknown.");
  steps.push(code);

  if (dirty) {
    const patch: ReproduceStep = { title: "Apply the uncommitted changes the run had", commands: [], notes: [] };
    if (src.diffArtifact && opts.diffStored !== false) {
      const file = `cairn-${run.id}.diff`;
      warnings.push(`The working tree had uncommitted changes when the run started; they are stored as artifact ${src.diffArtifact}.`);
      patch.commands.push(shellCommand(["cairn", "artifacts", "download", run.id, src.diffArtifact, file]), shellCommand(["git", "apply", file]));
      patch.notes.push(`Untracked files are only listed (as "# untracked:" lines at the top of ${file}), not included.`);
      if (src.diffTruncated) warnings.push("The stored diff was cut at its size cap: `git apply` will fail on it; recreate the missing part by hand.");
    } else warnings.push(`The working tree had uncommitted changes when the run started, and they were not stored (no ${src.diffArtifact ?? DIFF_ARTIFACT} artifact): the exact code cannot be restored.`);
    steps.push(patch);
  }

  const install: ReproduceStep = { title: "Install the dependencies", commands: [], notes: [] };
  if (env.node) {
    install.notes.push(`The run used Node ${env.node}${currentNode === env.node ? "." : ` (you have ${currentNode}).`}`);
    if (major(env.node) !== major(currentNode)) warnings.push(`The run used Node ${env.node}; this machine has ${currentNode}.`);
  }
  if (env.lockfile) {
    install.commands.push(installCommand(env.lockfile));
    if (env.lockfileHash) install.notes.push(`Lockfile ${env.lockfile} had ${env.lockfileHash}; compare with: sha256sum ${shellQuote(env.lockfile)}`);
  } else install.notes.push("No lockfile was recorded: dependency versions may differ.");
  if (env.dependencies && Object.keys(env.dependencies).length > 0) {
    install.notes.push(`Resolved direct dependencies: ${Object.entries(env.dependencies).map(([k, v]) => `${k}@${v}`).join(", ")}`);
  }
  steps.push(install);

  const exec: ReproduceStep = { title: "Run the command", commands: [], notes: [] };
  if (src.cwd && src.cwd !== "." && !src.cwd.startsWith("/")) exec.commands.push(shellCommand(["cd", src.cwd]));
  if (src.command) {
    const vars = Object.entries(env.env ?? {}).filter(([k]) => !k.startsWith("CAIRN_"));
    exec.commands.push([...vars.map(([k, v]) => `${k}=${shellQuote(v)}`), src.command].join(" "));
  } else warnings.push("No command was recorded (entry capture was off).");
  const params = Object.entries(run.params);
  if (params.length > 0) exec.notes.push(`Params the run used: ${params.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(" ")}`);
  if (env.seed !== undefined) exec.notes.push(`Seed: ${String(env.seed)}`);
  exec.notes.push(`Or: ${shellCommand(["cairn", "rerun", run.id])} (passes the recorded params; --set key=value changes one).`);
  steps.push(exec);

  const data: ReproduceStep = { title: "Use the same data", commands: [], notes: [] };
  if (datasets === null) data.notes.push("This server does not report the datasets a run used.");
  else if (datasets.length === 0) data.notes.push("The run recorded no datasets.");
  else for (const d of datasets) data.notes.push(`${d.direction} ${d.role}: ${d.name} v${d.version} ${d.digest}`);
  steps.push(data);

  return {
    runId: run.id,
    project,
    name: run.name,
    commit: src.commit ?? null,
    remote: src.remote ?? null,
    dirty,
    node: env.node ?? null,
    lockfile: env.lockfile ?? null,
    lockfileHash: env.lockfileHash ?? null,
    command: src.command ?? null,
    cwd: src.cwd ?? null,
    params: run.params,
    datasets,
    warnings,
    steps,
  };
}

/** The plan as commented shell, ready to read or paste. */
export function renderPlan(plan: ReproducePlan): string {
  const out = [`# Reproduce run ${plan.runId} "${plan.name}" (project ${plan.project})`];
  for (const w of plan.warnings) out.push(`# WARNING: ${w}`);
  plan.steps.forEach((s, i) => {
    out.push("", `# ${i + 1}. ${s.title}`);
    for (const n of s.notes) out.push(`#    ${n}`);
    out.push(...s.commands);
  });
  return out.join("\n");
}

export function planDatasets(list: readonly z.infer<typeof RunDataset>[]): PlanDataset[] {
  return list.map((d) => ({ name: d.datasetVersion.name, version: d.datasetVersion.version, digest: d.datasetVersion.digest, direction: d.direction, role: d.role }));
}
