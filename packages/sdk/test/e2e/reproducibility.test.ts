import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import type { Run } from "@cairn/core";
import { testDrivers, type TestServer } from "@cairn/server/testing";
import { describe, expect, it } from "vitest";
import { Cairn } from "../../src/client/cairn.js";
import { CLI, SDK_DIST, projectName, serverPerFile, tmp } from "./helpers.js";

/**
 * A training script as a user writes it: hard-coded defaults, values read back from
 * `run.params` (so `cairn rerun --set` can change them), exit code from a param.
 */
const TRAIN = `const { init } = await import(process.env.SDK_PATH);
const extra = JSON.parse(process.env.INIT_OPTS ?? "{}");
const run = await init({ params: { lr: 0.1, epochs: 2 }, ...extra });
for (let e = 0; e < Number(run.params.epochs); e++) run.log({ loss: Number(run.params.lr) / (e + 1) });
console.log(JSON.stringify({ runId: run.id, params: run.params }));
await run.finish();
if (typeof run.params.exit === "number") process.exitCode = run.params.exit;
`;

/** A port nothing listens on: connections are refused, like a server that is down. */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

const git = (cwd: string, ...args: string[]): string => execFileSync("git", args, { cwd, encoding: "utf8" }).trim();

/** A committed repository holding a package with one installed dependency and a lockfile. */
function makeRepo(): string {
  const dir = tmp("cairn-repro-");
  git(dir, "init", "-q", "-b", "main");
  git(dir, "config", "user.name", "Test");
  git(dir, "config", "user.email", "test@example.com");
  git(dir, "config", "commit.gpgsign", "false");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "trainer", version: "1.2.3", dependencies: { "left-pad": "^1.0.0" } }));
  writeFileSync(join(dir, "package-lock.json"), '{"lockfileVersion":3}\n');
  writeFileSync(join(dir, ".gitignore"), "node_modules\n");
  mkdirSync(join(dir, "node_modules", "left-pad"), { recursive: true });
  writeFileSync(join(dir, "node_modules", "left-pad", "package.json"), JSON.stringify({ name: "left-pad", version: "1.3.0" }));
  writeFileSync(join(dir, "README.md"), "# trainer\n");
  mkdirSync(join(dir, "src"));
  writeFileSync(join(dir, "src", "train.mjs"), TRAIN);
  git(dir, "add", ".");
  git(dir, "commit", "-q", "-m", "initial");
  return dir;
}

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cwd: string, args: string[], env: Record<string, string | undefined> = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, SDK_PATH: SDK_DIST, INIT_OPTS: undefined, ...env } as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function scriptOutput(r: Result): { runId: string; params: Record<string, unknown> } {
  const line = r.stdout.split("\n").find((l) => l.startsWith("{"));
  if (!line) throw new Error(`no output (exit ${r.code}): ${r.stderr}`);
  return JSON.parse(line) as { runId: string; params: Record<string, unknown> };
}

describe.each(testDrivers)("reproducible runs (%s)", (driver) => {
  let srv: TestServer;
  let client: Cairn;
  serverPerFile(driver, (s) => {
    srv = s;
    client = new Cairn({ url: s.url });
  });

  const env = (project: string, extra: Record<string, string> = {}) => ({ CAIRN_URL: srv.url, CAIRN_PROJECT: project, CAIRN_SPOOL_DIR: tmp(), ...extra });

  async function artifact(runId: string, path: string): Promise<string> {
    const res = await fetch(`${srv.url}/api/v1/runs/${runId}/artifacts/${path}`, { headers: { authorization: `Bearer ${srv.apiKey}` } });
    expect(res.status).toBe(200);
    return res.text();
  }

  async function artifactPaths(runId: string): Promise<string[]> {
    const res = await fetch(`${srv.url}/api/v1/runs/${runId}/artifacts?recursive=true`, { headers: { authorization: `Bearer ${srv.apiKey}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { artifacts: { path: string }[] };
    return body.artifacts.map((a) => a.path);
  }

  it("init() records git, entry, machine, package and the dirty diff, which applies to a clean clone", async () => {
    const repo = makeRepo();
    git(repo, "remote", "add", "origin", "https://alice:s3cret-pw@example.com/org/trainer.git");
    writeFileSync(join(repo, "README.md"), "# trainer\n\nchanged, not committed\n");
    writeFileSync(join(repo, "notes.txt"), "untracked\n");
    const r = await run(repo, ["src/train.mjs", "--epochs", "2", "a b"], env(projectName("capture")));
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const { runId } = scriptOutput(r);
    const stored = await client.runs.get(runId);

    expect(stored.source).toEqual({
      commit: git(repo, "rev-parse", "HEAD"),
      branch: "main",
      remote: "https://example.com/org/trainer.git",
      dirty: true,
      diffArtifact: "_cairn/git.diff",
      entry: "src/train.mjs",
      argv: ["--epochs", "2", "a b"],
      cwd: ".",
      command: "node src/train.mjs --epochs 2 'a b'",
    });
    expect(JSON.stringify(stored)).not.toContain("s3cret-pw");
    expect(stored.environment).toMatchObject({
      node: process.version,
      arch: process.arch,
      hostname: hostname(),
      packageName: "trainer",
      packageVersion: "1.2.3",
      lockfile: "package-lock.json",
      lockfileHash: `sha256:${createHash("sha256").update('{"lockfileVersion":3}\n').digest("hex")}`,
      dependencies: { "left-pad": "1.3.0" },
    });
    expect(stored.environment?.os).toMatch(new RegExp(`^${process.platform} `));
    expect(stored.environment?.cpuCount).toBeGreaterThan(0);
    expect(stored.environment?.memoryBytes).toBeGreaterThan(1e8);

    const diff = await artifact(runId, "_cairn/git.diff");
    expect(diff).toContain("# untracked: notes.txt");
    expect(diff).toContain("+changed, not committed");
    const clone = join(tmp("cairn-clone-"), "c");
    git(dirname(clone), "clone", "-q", repo, clone);
    writeFileSync(join(clone, "run.diff"), diff);
    git(clone, "apply", "run.diff");
    expect(readFileSync(join(clone, "README.md"), "utf8")).toBe("# trainer\n\nchanged, not committed\n");
  });

  it("never records secrets: planted AWS_SECRET_ACCESS_KEY and MY_SERVICE_TOKEN (even allowlisted) appear nowhere", async () => {
    const repo = makeRepo();
    writeFileSync(join(repo, "README.md"), "dirty\n");
    const planted = {
      AWS_SECRET_ACCESS_KEY: "planted-aws-secret-value-123",
      MY_SERVICE_TOKEN: "planted-service-token-456",
      MY_VAR: "visible-value",
      NODE_ENV: "test",
      INIT_OPTS: JSON.stringify({ captureEnv: ["MY_SERVICE_TOKEN", "AWS_SECRET_ACCESS_KEY", "MY_VAR"] }),
    };
    const r = await run(repo, ["src/train.mjs"], env(projectName("secrets"), planted));
    expect(r.code).toBe(0);
    const { runId } = scriptOutput(r);
    const stored = await client.runs.get(runId);
    expect(stored.environment?.env).toMatchObject({ MY_VAR: "visible-value", NODE_ENV: "test" });

    const paths = await artifactPaths(runId);
    expect(paths).toContain("_cairn/git.diff");
    const everything = [JSON.stringify(stored), ...(await Promise.all(paths.map((p) => artifact(runId, p))))].join("\n");
    for (const needle of ["AWS_SECRET_ACCESS_KEY", "planted-aws-secret-value-123", "MY_SERVICE_TOKEN", "planted-service-token-456", "CAIRN_API_KEY", srv.apiKey]) {
      expect(everything).not.toContain(needle);
    }
  });

  it("opt-outs: capture: false, per item, and the seed", async () => {
    const repo = makeRepo();
    writeFileSync(join(repo, "README.md"), "dirty\n");
    const project = projectName("optout");
    const none = scriptOutput(await run(repo, ["src/train.mjs"], env(project, { INIT_OPTS: JSON.stringify({ capture: false, seed: 42 }) })));
    const noneRun = await client.runs.get(none.runId);
    expect(noneRun.source).toBeNull();
    expect(noneRun.environment).toEqual({ seed: 42 });
    expect(noneRun.params).toEqual({ lr: 0.1, epochs: 2, seed: 42 });

    const some = scriptOutput(await run(repo, ["src/train.mjs"], env(project, { INIT_OPTS: JSON.stringify({ capture: { git: false, env: false, packages: false } }) })));
    const someRun = await client.runs.get(some.runId);
    expect(someRun.source).toMatchObject({ entry: join(repo, "src", "train.mjs"), cwd: repo });
    expect(someRun.source).not.toHaveProperty("commit");
    expect(someRun.environment).toMatchObject({ node: process.version });
    expect(someRun.environment).not.toHaveProperty("env");
    expect(someRun.environment).not.toHaveProperty("packageName");
    expect(await artifactPaths(some.runId)).toEqual([]);

    const noDiff = scriptOutput(await run(repo, ["src/train.mjs"], env(project, { INIT_OPTS: JSON.stringify({ capture: { diff: false } }) })));
    const noDiffRun = await client.runs.get(noDiff.runId);
    expect(noDiffRun.source).toMatchObject({ dirty: true, commit: git(repo, "rev-parse", "HEAD") });
    expect(noDiffRun.source).not.toHaveProperty("diffArtifact");
    expect(await artifactPaths(noDiff.runId)).toEqual([]);
  });

  it("outside a repository and without a git binary the run starts anyway, without git fields", async () => {
    const dir = tmp("cairn-norepo-");
    writeFileSync(join(dir, "train.mjs"), TRAIN);
    const t0 = Date.now();
    const r = await run(dir, ["train.mjs"], env(projectName("nogit"), { PATH: dirname(process.execPath) }));
    expect(r.code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(15_000);
    const stored = await client.runs.get(scriptOutput(r).runId);
    expect(stored.source).toEqual({ entry: join(dir, "train.mjs"), argv: [], cwd: dir, command: "node train.mjs" });
    expect(stored.environment?.node).toBe(process.version);
  });

  it("cairn reproduce prints checkout, patch, install, command, params and datasets", async () => {
    const repo = makeRepo();
    git(repo, "remote", "add", "origin", "https://bob:tok@example.com/org/trainer.git");
    writeFileSync(join(repo, "README.md"), "dirty\n");
    const project = projectName("repro");
    const { runId } = scriptOutput(await run(repo, ["src/train.mjs", "--fast"], env(project, { NODE_ENV: "production" })));
    const commit = git(repo, "rev-parse", "HEAD");
    // The run read a dataset version (recorded through the API, as the SDK's logDataset does).
    const digest = `sha256:${createHash("sha256").update(runId).digest("hex")}`;
    const auth = { authorization: `Bearer ${srv.apiKey}`, "content-type": "application/json" };
    const version = (await (
      await fetch(`${srv.url}/api/v1/projects/${project}/datasets/census/versions`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify({ digest, rowCount: 3, schema: { columns: [{ name: "age", type: "numerical", nullable: false }] } }),
      })
    ).json()) as { id: string };
    const link = await fetch(`${srv.url}/api/v1/runs/${runId}/inputs`, { method: "POST", headers: auth, body: JSON.stringify({ datasetVersionId: version.id, role: "train" }) });
    expect(link.status).toBe(201);

    const text = await run(repo, [CLI, "reproduce", runId, "--url", srv.url]);
    expect(text.code).toBe(0);
    const lines = text.stdout.split("\n");
    for (const expected of [
      "git clone https://example.com/org/trainer.git trainer",
      "cd trainer",
      `git checkout ${commit}`,
      `cairn artifacts download ${runId} _cairn/git.diff cairn-${runId}.diff`,
      `git apply cairn-${runId}.diff`,
      "npm ci",
    ]) {
      expect(lines).toContain(expected);
    }
    // The command, prefixed with the allowlisted variables the run had (LANG, TZ, … as set here).
    expect(text.stdout).toMatch(/^(\S+=\S+ )*NODE_ENV=production node src\/train\.mjs --fast$/m);
    expect(text.stdout).toContain("# WARNING: The working tree had uncommitted changes");
    expect(text.stdout).toContain(`Params the run used: lr=0.1 epochs=2`);
    expect(text.stdout).toContain(`sha256:${createHash("sha256").update('{"lockfileVersion":3}\n').digest("hex")}`);
    expect(text.stdout).toContain(`The run used Node ${process.version}.`);
    expect(lines).toContain(`#    input train: census v1 ${digest}`);

    const json = await run(repo, [CLI, "reproduce", runId, "--json", "--url", srv.url]);
    const plan = JSON.parse(json.stdout) as { commit: string; dirty: boolean; params: unknown; datasets: unknown; steps: { title: string; commands: string[] }[] };
    expect(plan).toMatchObject({ commit, dirty: true, params: { lr: 0.1, epochs: 2 } });
    expect(plan.datasets).toEqual([{ name: "census", version: 1, digest, direction: "input", role: "train" }]);
    expect(plan.steps.map((s) => s.title)).toEqual(["Get the code", "Apply the uncommitted changes the run had", "Install the dependencies", "Run the command", "Use the same data"]);
  });

  it("a dirty run started while the server was away: exits on time, syncs later, and reproduce says the diff is missing", async () => {
    const repo = makeRepo();
    writeFileSync(join(repo, "README.md"), "dirty\n");
    const spool = tmp();
    const down = await run(repo, ["src/train.mjs"], { CAIRN_URL: `http://127.0.0.1:${await deadPort()}`, CAIRN_PROJECT: projectName("away"), CAIRN_SPOOL_DIR: spool, INIT_OPTS: JSON.stringify({ flushDeadlineMs: 1_000 }) });
    expect(down.code).toBe(0);
    const { runId } = scriptOutput(down);
    expect((await run(repo, [CLI, "sync", "--spool-dir", spool, "--url", srv.url])).code).toBe(0);
    expect((await client.runs.get(runId)).source).toMatchObject({ dirty: true, diffArtifact: "_cairn/git.diff" });

    const text = await run(repo, [CLI, "reproduce", runId, "--url", srv.url]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("# WARNING: The working tree had uncommitted changes when the run started, and they were not stored");
    expect(text.stdout).not.toContain("git apply");
  });

  it("cairn rerun --set lr=0.5 starts the recorded script as a new run linked to the old one", async () => {
    const repo = makeRepo();
    const project = projectName("rerun");
    const first = scriptOutput(await run(repo, ["src/train.mjs"], env(project, { INIT_OPTS: JSON.stringify({ seed: 1 }) })));
    expect(first.params).toEqual({ lr: 0.1, epochs: 2, seed: 1 });
    writeFileSync(join(repo, "README.md"), "newer\n");
    git(repo, "commit", "-q", "-am", "newer");

    const dry = await run(repo, [CLI, "rerun", first.runId, "--set", "lr=0.5", "--dry-run", "--url", srv.url]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`CAIRN_RERUN_OF=${first.runId}`);
    expect(JSON.parse(/CAIRN_PARAMS='([^']*)'/.exec(dry.stdout)?.[1] ?? "null")).toEqual({ lr: 0.5, epochs: 2, seed: 1 });
    expect(dry.stdout).toContain(`node ${join(repo, "src", "train.mjs")}`);

    // From a subdirectory of the checkout: the script still runs in the recorded working directory.
    const rerun = await run(join(repo, "src"), [CLI, "rerun", first.runId, "--set", "lr=0.5", "--set", "exit=3", "--set", "seed=7", "--url", srv.url], {
      CAIRN_PROJECT: undefined,
      CAIRN_SPOOL_DIR: tmp(),
      INIT_OPTS: JSON.stringify({ seed: 1 }),
    });
    expect(rerun.code).toBe(3); // the script's exit code comes through
    expect(rerun.stderr).toContain(`warning: this checkout is at ${git(repo, "rev-parse", "HEAD")}, the run used`);
    const second = scriptOutput(rerun);
    expect(second.params).toEqual({ lr: 0.5, epochs: 2, exit: 3, seed: 7 });
    const stored: Run = await client.runs.get(second.runId);
    expect(stored).toMatchObject({ retrainedFrom: first.runId, params: { lr: 0.5, epochs: 2, exit: 3, seed: 7 }, status: "finished" });
    expect(stored.environment?.seed).toBe(7); // the seed the rerun was given, not the script's default
    expect(stored.metrics.loss).toMatchObject({ count: 2, max: 0.5 });
    expect(stored.source?.commit).toBe(git(repo, "rev-parse", "HEAD"));
    // …and lineage shows the edge old run → rerun.
    const graph = await client.lineage("run", first.runId, { direction: "down" });
    expect(graph.edges).toContainEqual(expect.objectContaining({ from: { kind: "run", id: first.runId }, to: { kind: "run", id: second.runId }, relation: "retrained_from" }));

    const usage = await run(repo, [CLI, "rerun", first.runId, "--set", "nokey", "--url", srv.url]);
    expect(usage.code).toBe(2);
    const outside = await run(tmp(), [CLI, "rerun", first.runId, "--url", srv.url]);
    expect(outside.code).toBe(1);
    expect(outside.stderr).toContain("inside a checkout");
  });
});
