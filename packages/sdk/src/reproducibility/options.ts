import { type ParamValue, type Params, Params as ParamsSchema, Uuid } from "@cairn/core";
import { CairnError } from "../client/errors.js";

/** What `init()` captures about the code and the machine; every item is on unless set to false. */
export interface CaptureOptions {
  /** Commit, branch, remote (credentials stripped) and dirty flag. */
  git?: boolean;
  /** When the tree is dirty, `git diff HEAD` and the untracked file names as the artifact `_cairn/git.diff`. */
  diff?: boolean;
  /** Entry script, argv, Node flags, working directory and the command that re-runs it. */
  entry?: boolean;
  /** Node version, OS, arch, CPU model and count, total memory, host name. */
  machine?: boolean;
  /** Nearest package.json name and version, lockfile hash, resolved direct dependencies. */
  packages?: boolean;
  /** Allowlisted environment variables (never secrets). */
  env?: boolean;
  /** Everything not captured within this time is left out (ms). Default 2,000. */
  timeoutMs?: number;
  /** Size cap of the stored diff (bytes). Default 1 MiB. */
  maxDiffBytes?: number;
}

/** Where the dirty diff is stored among the run's artifacts. */
export const DIFF_ARTIFACT = "_cairn/git.diff";

/** What `cairn rerun` hands to the script it starts, through the environment. */
export interface RerunEnv {
  rerunOf?: string;
  params?: Params;
}

/** Parses `CAIRN_RERUN_OF` and `CAIRN_PARAMS`; throws a CairnError naming the variable when invalid. */
export function parseRerunEnv(rerunOf: string | undefined, params: string | undefined): RerunEnv {
  const out: RerunEnv = {};
  if (rerunOf !== undefined) {
    if (!Uuid.safeParse(rerunOf.toLowerCase()).success) throw new CairnError("init: CAIRN_RERUN_OF must be a run id (UUID)");
    out.rerunOf = rerunOf.toLowerCase();
  }
  if (params !== undefined) {
    let value: unknown;
    try {
      value = JSON.parse(params);
    } catch {
      throw new CairnError("init: CAIRN_PARAMS must be a JSON object of params");
    }
    const parsed = ParamsSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new CairnError(`init: invalid CAIRN_PARAMS ${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`);
    }
    out.params = parsed.data;
  }
  return out;
}

/**
 * The params a run starts with. Precedence, lowest first: the script's `init({ params })`,
 * the seed (as `seed`, unless the script set one), then the params `cairn rerun` passes
 * (the recorded run's params with the `--set` overrides), so a rerun replays the recorded
 * configuration even though the script hard-codes its own defaults.
 */
export function mergeParams(explicit: Params | undefined, seed: ParamValue | undefined, rerun: Params | undefined): Params | undefined {
  if (explicit === undefined && seed === undefined && rerun === undefined) return undefined;
  const out: Params = { ...explicit };
  if (seed !== undefined && !("seed" in out)) out.seed = seed;
  return { ...out, ...rerun };
}
