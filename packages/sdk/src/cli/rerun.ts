import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { constants } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { type ParamValue, type Params, Params as ParamsSchema, type Run } from "@cairn/core";
import { CairnError } from "../client/errors.js";
import { processEnv } from "../config.js";
import { gitState, repoRoot } from "../reproducibility/git.js";
import { shellCommand, shellQuote } from "../reproducibility/shell.js";
import { type CliValues, EXIT_OK, UsageError } from "./main.js";
import { cliClient } from "./reproduce.js";

/**
 * `--set` values are typed the way a script would have written them: `true`/`false` are
 * booleans, decimal numbers are numbers, a JSON string literal (`'"0.5"'`) forces a string,
 * anything else is a string.
 */
export function parseSetValue(raw: string): ParamValue {
  if (raw === "true") return true;
  if (raw === "false") return false;
  if (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(raw)) {
    const n = Number(raw);
    if (Number.isFinite(n)) return n;
  }
  if (raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"')) {
    try {
      const v: unknown = JSON.parse(raw);
      if (typeof v === "string") return v;
    } catch {
      // not a JSON string: keep it as written
    }
  }
  return raw;
}

export function parseSets(sets: readonly string[]): Params {
  const out: Params = {};
  for (const s of sets) {
    const eq = s.indexOf("=");
    if (eq <= 0) throw new UsageError(`--set needs key=value, got "${s}"`);
    out[s.slice(0, eq)] = parseSetValue(s.slice(eq + 1));
  }
  const parsed = ParamsSchema.safeParse(out);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError(`--set ${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
}

interface Launch {
  cwd: string;
  entry: string;
  args: string[];
}

/** Where and how to start the recorded entry in the current checkout. */
async function locate(run: Run): Promise<{ launch: Launch; warnings: string[] }> {
  const src = run.source;
  if (!src?.entry) throw new CairnError(`run ${run.id} recorded no entry script (capture was off, or it did not run from a script): nothing to rerun`);
  const warnings: string[] = [];
  let cwd: string;
  let entry: string;
  if (isAbsolute(src.entry)) {
    entry = src.entry;
    cwd = src.cwd && isAbsolute(src.cwd) && existsSync(src.cwd) ? src.cwd : dirname(entry);
  } else {
    const root = await repoRoot(process.cwd());
    if (!root) throw new CairnError(`run this inside a checkout of ${src.remote ?? "the run's repository"}: the entry ${src.entry} is recorded relative to the repository root`);
    entry = join(root, src.entry);
    cwd = join(root, src.cwd ?? ".");
    if (!existsSync(cwd)) {
      warnings.push(`the run's working directory ${src.cwd} does not exist in this checkout; using the repository root`);
      cwd = root;
    }
    const { state } = await gitState(root, 5_000);
    if (src.commit && state.commit !== src.commit) {
      warnings.push(`this checkout is at ${state.commit ?? "no commit"}, the run used ${src.commit} (git checkout ${src.commit} to match)`);
    }
    if (state.dirty) warnings.push("this checkout has uncommitted changes");
  }
  if (src.dirty) warnings.push(`the recorded run had uncommitted changes (see cairn reproduce ${run.id})`);
  if (!existsSync(entry)) throw new CairnError(`the entry script ${entry} does not exist in this checkout`);
  return { launch: { cwd, entry, args: [...(src.execArgv ?? []), entry, ...(src.argv ?? [])] }, warnings };
}

export async function rerunCommand(values: CliValues & { set?: string[]; "dry-run"?: boolean }, rest: string[]): Promise<number> {
  if (rest.length !== 1) throw new UsageError("rerun needs exactly one run id");
  const overrides = parseSets(values.set ?? []);
  const c = cliClient(values);
  const run = await c.runs.get(rest[0]!);
  const project = await c.projects.get(run.projectId);
  const { launch, warnings } = await locate(run);
  for (const w of warnings) console.error(`warning: ${w}`);
  const params: Params = { ...run.params, ...overrides };
  const rerunEnv: Record<string, string> = {
    CAIRN_RERUN_OF: run.id,
    CAIRN_PARAMS: JSON.stringify(params),
    CAIRN_PROJECT: project.name,
    CAIRN_URL: c.url,
  };
  if (values["dry-run"]) {
    console.log(shellCommand(["cd", launch.cwd]));
    console.log([...Object.entries(rerunEnv).map(([k, v]) => `${k}=${shellQuote(v)}`), shellCommand(["node", ...launch.args])].join(" "));
    return EXIT_OK;
  }
  return spawnInherit(launch, { ...processEnv(), ...rerunEnv });
}

/** Starts the script with our stdio; resolves with its exit code (128 + signal number when killed). */
function spawnInherit(launch: Launch, env: Record<string, string | undefined>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, launch.args, { cwd: launch.cwd, env: env as NodeJS.ProcessEnv, stdio: "inherit" });
    // Ctrl-C reaches the child through the terminal; a signal sent only to us is passed on.
    const forward = (s: NodeJS.Signals) => child.kill(s);
    process.on("SIGINT", forward);
    process.on("SIGTERM", forward);
    const done = () => {
      process.off("SIGINT", forward);
      process.off("SIGTERM", forward);
    };
    child.on("error", (err) => {
      done();
      reject(err);
    });
    child.on("close", (code, signal) => {
      done();
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}

