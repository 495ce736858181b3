// Node-only.
import { processEnv } from "../config.js";
import { execCapped } from "./exec.js";
import { stripUrlCredentials } from "./redact.js";

export interface GitState {
  root: string;
  commit?: string;
  branch?: string;
  remote?: string;
  dirty?: boolean;
}

export interface GitDiff {
  /** `git diff HEAD --binary`, preceded by `# untracked: <path>` lines (ignored by `git apply`). */
  text: string;
  truncated: boolean;
}

// No prompts for credentials, and `git status` must not take the index lock the user's own
// git commands may need at the same moment.
const GIT_ENV = { ...processEnv(), GIT_TERMINAL_PROMPT: "0", GIT_OPTIONAL_LOCKS: "0", LC_ALL: "C" };

async function git(cwd: string, args: string[], timeoutMs: number, maxBytes = 1 << 20) {
  return execCapped("git", args, { cwd, timeoutMs, maxBytes, env: GIT_ENV });
}

async function gitLine(cwd: string, args: string[], timeoutMs: number): Promise<string | undefined> {
  const r = await git(cwd, args, timeoutMs);
  const out = r.stdout.toString("utf8").trim();
  return r.code === 0 && out !== "" ? out : undefined;
}

/** The repository's top-level directory, or undefined outside a repository (or without git). */
export function repoRoot(dir: string, timeoutMs = 2_000): Promise<string | undefined> {
  return gitLine(dir, ["rev-parse", "--show-toplevel"], timeoutMs);
}

/** `origin` when it exists, else the first remote; credentials stripped. */
async function remoteUrl(root: string, timeoutMs: number): Promise<string | undefined> {
  const out = await gitLine(root, ["config", "--get-regexp", "^remote\\..*\\.url$"], timeoutMs);
  if (!out) return undefined;
  const remotes = out.split("\n").map((l) => {
    const sp = l.indexOf(" ");
    return { name: l.slice(7, sp).replace(/\.url$/, ""), url: l.slice(sp + 1) };
  });
  const chosen = remotes.find((r) => r.name === "origin") ?? remotes[0];
  return chosen ? stripUrlCredentials(chosen.url) : undefined;
}

/** Paths from `git status --porcelain -z`, split into untracked and the rest. */
async function status(root: string, timeoutMs: number): Promise<{ changed: boolean; untracked: string[] } | undefined> {
  const r = await git(root, ["status", "--porcelain=v1", "-z", "--untracked-files=all"], timeoutMs);
  if (r.code !== 0) return undefined;
  const entries = r.stdout.toString("utf8").split("\0").filter((e) => e !== "");
  const untracked = entries.filter((e) => e.startsWith("?? ")).map((e) => e.slice(3));
  return { changed: entries.length > 0, untracked };
}

/** Commit, branch, remote and dirty flag of the repository at `root` (in parallel). */
export async function gitState(root: string, timeoutMs: number): Promise<{ state: GitState; untracked: string[] }> {
  const [commit, branch, remote, st] = await Promise.all([
    gitLine(root, ["rev-parse", "--verify", "-q", "HEAD"], timeoutMs),
    gitLine(root, ["rev-parse", "--abbrev-ref", "HEAD"], timeoutMs),
    remoteUrl(root, timeoutMs),
    status(root, timeoutMs),
  ]);
  const state: GitState = { root };
  if (commit) state.commit = commit;
  if (branch && branch !== "HEAD") state.branch = branch;
  if (remote) state.remote = remote;
  if (st) state.dirty = st.changed;
  return { state, untracked: st?.untracked ?? [] };
}

/** The uncommitted changes, capped at `maxBytes` (with a marker line when cut). */
export async function gitDiff(root: string, untracked: readonly string[], maxBytes: number, timeoutMs: number): Promise<GitDiff | undefined> {
  const header = untracked.map((p) => `# untracked: ${p}\n`).join("");
  const budget = Math.max(0, maxBytes - Buffer.byteLength(header));
  const r = await git(root, ["diff", "HEAD", "--binary", "--no-color", "--no-ext-diff"], timeoutMs, budget);
  if (r.code !== 0) return undefined;
  let text = header + r.stdout.toString("utf8");
  let truncated = r.truncated || budget === 0;
  if (truncated) {
    text = Buffer.from(text).subarray(0, maxBytes).toString("utf8");
    text += `\n# [cairn] diff truncated at ${maxBytes} bytes: it will not apply cleanly\n`;
    truncated = true;
  }
  return { text, truncated };
}
