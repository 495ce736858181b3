// Node-only: loaded by init() through a dynamic import().
import { RunEnvironment, RunSource } from "@cairn/core";
import type { z } from "zod";
import { dirname, resolve } from "node:path";
import { processEnv } from "../config.js";
import { captureEntry } from "./entry.js";
import { type GitDiff, gitDiff, gitState, repoRoot } from "./git.js";
import { captureMachine } from "./machine.js";
import { DIFF_ARTIFACT, type CaptureOptions } from "./options.js";
import { capturePackage } from "./packages.js";
import { pickEnv } from "./redact.js";

export interface Captured {
  source?: RunSource;
  environment?: RunEnvironment;
  /** The dirty diff, to store as the artifact named in `source.diffArtifact`. */
  diff?: GitDiff;
}

const DEFAULT_TIMEOUT_MS = 2_000;
const DEFAULT_MAX_DIFF_BYTES = 1 << 20;

/** Resolves with undefined when `p` takes longer than `ms` or fails. */
function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((res) => {
    const t = setTimeout(() => res(undefined), Math.max(0, ms));
    t.unref();
    p.then(
      (v) => {
        clearTimeout(t);
        res(v);
      },
      () => {
        clearTimeout(t);
        res(undefined);
      },
    );
  });
}

/**
 * Drops the fields the contract refuses (an argv of 5,000 items, a 3 kB path), so what the
 * capture found can never make the run's creation fail; undefined when nothing is left.
 */
function fit<S extends z.ZodType<object>>(schema: S, value: Record<string, unknown>): z.output<S> | undefined {
  const v = { ...value };
  for (let i = 0; i < 20; i++) {
    if (Object.keys(v).length === 0) return undefined;
    const r = schema.safeParse(v);
    if (r.success) return r.data;
    for (const issue of r.error.issues) delete v[String(issue.path[0])];
  }
  return undefined;
}

/**
 * Captures the code and the machine a run starts on. Each item runs in parallel within one
 * deadline; anything missing (no git binary, not a repository, a slow disk) is left out.
 * Never throws.
 */
export async function captureRun(opts: CaptureOptions = {}, extraEnv: readonly string[] = []): Promise<Captured> {
  try {
    return await captureUnsafe(opts, extraEnv);
  } catch {
    return {};
  }
}

async function captureUnsafe(opts: CaptureOptions, extraEnv: readonly string[]): Promise<Captured> {
  const deadline = Date.now() + (opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const left = () => deadline - Date.now();
  const on = (k: keyof CaptureOptions) => opts[k] !== false;
  const argv1 = process.argv[1];
  const entryDir = argv1 ? dirname(resolve(argv1)) : process.cwd();

  const root = on("git") ? await within(repoRoot(entryDir, left()), left()) : undefined;
  const [git, pkg] = await Promise.all([
    root && on("git") ? within(gitState(root, left()), left()) : undefined,
    on("packages") ? within(capturePackage(entryDir, root), left()) : undefined,
  ]);
  const wantDiff = root !== undefined && git?.state.dirty === true && on("diff");
  const diff = wantDiff ? await within(gitDiff(root, git.untracked, opts.maxDiffBytes ?? DEFAULT_MAX_DIFF_BYTES, left()), left()) : undefined;

  const source: RunSource = {};
  if (git) {
    const { root: _root, ...state } = git.state;
    Object.assign(source, state);
  }
  if (diff) {
    source.diffArtifact = DIFF_ARTIFACT;
    if (diff.truncated) source.diffTruncated = true;
  }
  if (on("entry")) {
    const e = captureEntry(root, argv1);
    if (e.entry !== undefined) source.entry = e.entry;
    source.argv = e.argv;
    if (e.execArgv.length > 0) source.execArgv = e.execArgv;
    source.cwd = e.cwd;
    source.command = e.command;
  }

  const environment: RunEnvironment = {};
  if (on("machine")) Object.assign(environment, captureMachine());
  if (pkg) Object.assign(environment, pkg);
  if (on("env")) {
    const env = pickEnv(processEnv(), extraEnv);
    if (Object.keys(env).length > 0) environment.env = env;
  }

  const out: Captured = {};
  const s = fit(RunSource, source);
  const e = fit(RunEnvironment, environment);
  if (s) out.source = s;
  if (e) out.environment = e;
  if (diff && s?.diffArtifact) out.diff = diff;
  return out;
}
