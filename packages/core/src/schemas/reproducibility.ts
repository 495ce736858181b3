import { z } from "zod";
import { Text, Uuid } from "./common.js";

const Str = Text(2000);

/** The code that ran, captured by the SDK's `init()` (each item can be opted out of). */
export const RunSource = z
  .object({
    commit: Text(100).optional(),
    branch: Str.optional(),
    /** Remote URL with any credentials stripped. */
    remote: Str.optional(),
    dirty: z.boolean().optional(),
    /** Path of the artifact holding `git diff HEAD` when the tree was dirty (size-capped). */
    diffArtifact: Str.optional(),
    /** True when the stored diff was cut at the size cap (it will not apply cleanly). */
    diffTruncated: z.boolean().optional(),
    /** The entry script: relative to the repository root when inside one, else absolute. */
    entry: Str.optional(),
    argv: z.array(Text(10_000)).max(1000).optional(),
    /** Node's own flags (`process.execArgv`, e.g. `--import tsx`), needed to start the entry the same way. */
    execArgv: z.array(Text(10_000)).max(100).optional(),
    /** The command line that re-runs this run (`cairn rerun`). */
    command: Text(20_000).optional(),
    /** Working directory: relative to the repository root when inside one (`.` for the root), else absolute. */
    cwd: Str.optional(),
  })
  .strict()
  .meta({ id: "RunSource" });
export type RunSource = z.infer<typeof RunSource>;

/** Where the run ran: runtime, machine, package and dependencies, allowlisted environment variables, seed. */
export const RunEnvironment = z
  .object({
    node: Text(100).optional(),
    /** Platform and kernel release, e.g. `linux 6.1.0-18-amd64`. */
    os: Str.optional(),
    arch: Text(100).optional(),
    cpuModel: Str.optional(),
    cpuCount: z.number().int().min(0).optional(),
    memoryBytes: z.number().min(0).optional(),
    hostname: Str.optional(),
    packageName: Str.optional(),
    packageVersion: Text(200).optional(),
    /** sha256 of the lockfile next to the nearest package.json (package-lock, pnpm-lock, yarn.lock). */
    lockfileHash: Text(200).optional(),
    /** The lockfile's path, relative to the repository root when inside one. */
    lockfile: Str.optional(),
    /** Resolved versions of the package's direct dependencies. */
    dependencies: z.record(Text(250), Text(200)).optional(),
    /** Allowlisted environment variables (never secrets). */
    env: z.record(Text(250), Text(10_000)).optional(),
    seed: z.union([z.number(), Text(1000)]).optional(),
  })
  .strict()
  .meta({ id: "RunEnvironment" });
export type RunEnvironment = z.infer<typeof RunEnvironment>;

export const RetrainedFrom = Uuid;
