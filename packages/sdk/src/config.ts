/**
 * The only module that reads the environment. Every default the SDK takes from
 * `CAIRN_*` variables is resolved here, once, and only when `process` exists
 * (in a browser there is no environment: explicit options or built-in defaults apply).
 */
export const DEFAULT_URL = "http://127.0.0.1:8642";

export interface EnvConfig {
  url: string;
  apiKey: string | undefined;
  project: string | undefined;
  /** Undefined outside Node: the spool is Node-only. */
  spoolDir: string | undefined;
  /** `CAIRN_RERUN_OF`: set by `cairn rerun` for the script it starts. */
  rerunOf: string | undefined;
  /** `CAIRN_PARAMS` (JSON): the params `cairn rerun` passes to the script it starts. */
  rerunParams: string | undefined;
  /** `CAIRN_CACHE_DIR`, else `~/.cache/cairn` (Node only): where `models.load` keeps downloaded versions, under `models/`. */
  cacheDir: string | undefined;
}

interface ProcessLike {
  env?: Record<string, string | undefined>;
  versions?: { node?: string };
}

function proc(): ProcessLike | undefined {
  return (globalThis as { process?: ProcessLike }).process;
}

/** True when running in Node (where the disk spool and exit hooks are available). */
export function isNode(): boolean {
  return typeof proc()?.versions?.node === "string";
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === "" ? undefined : v;
}

/** Reads `CAIRN_URL`, `CAIRN_API_KEY`, `CAIRN_PROJECT`, `CAIRN_SPOOL_DIR` (default `~/.cairn/spool`). */
export function readEnv(): EnvConfig {
  const env = proc()?.env ?? {};
  const home = nonEmpty(env.HOME) ?? nonEmpty(env.USERPROFILE);
  const spoolDir = nonEmpty(env.CAIRN_SPOOL_DIR) ?? (isNode() && home ? `${home.replace(/[\\/]+$/, "")}/.cairn/spool` : undefined);
  return {
    url: stripSlash(nonEmpty(env.CAIRN_URL) ?? DEFAULT_URL),
    apiKey: nonEmpty(env.CAIRN_API_KEY),
    project: nonEmpty(env.CAIRN_PROJECT),
    spoolDir,
    rerunOf: nonEmpty(env.CAIRN_RERUN_OF),
    rerunParams: nonEmpty(env.CAIRN_PARAMS),
    cacheDir: nonEmpty(env.CAIRN_CACHE_DIR) ?? (isNode() && home ? `${home.replace(/[\\/]+$/, "")}/.cache/cairn` : undefined),
  };
}

/** The whole environment (empty outside Node), for the capture's allowlist of variables. */
export function processEnv(): Readonly<Record<string, string | undefined>> {
  return proc()?.env ?? {};
}

export function stripSlash(url: string): string {
  return url.replace(/\/+$/, "");
}
