import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startTestServer, type TestDriver, type TestServer } from "@cairn/server/testing";
import { afterAll, beforeAll } from "vitest";

export const SDK_DIST = fileURLToPath(new URL("../../dist/index.js", import.meta.url));
export const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

const made: string[] = [];
/** A fresh temp dir (never ~/.cairn), removed by cleanupTmp(). */
export function tmp(prefix = "cairn-sdk-e2e-"): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}
export function cleanupTmp(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

let n = 0;
/** A project name unique to this test, so tests never share state. */
export const projectName = (label: string): string => `${label}-${Date.now().toString(36)}-${++n}`;

export async function pointCount(srv: TestServer, runId: string): Promise<number> {
  const [row] = await srv.query<{ n: number }>(
    "select count(*)::int as n from metric_points p join metric_series s on s.id = p.series_id where s.run_id = $1",
    [runId],
  );
  return row!.n;
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `node <args>` and collects its output; `onStdout` sees output as it arrives. */
export function runNode(
  args: string[],
  opts: { env?: Record<string, string>; onStdout?: (chunk: string, kill: (s: NodeJS.Signals) => void, stdoutSoFar: string) => void; timeoutMs?: number } = {},
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const env: Record<string, string | undefined> = { ...process.env, CAIRN_URL: undefined, CAIRN_API_KEY: process.env.CAIRN_API_KEY, CAIRN_PROJECT: undefined, ...opts.env };
    const child = spawn(process.execPath, args, { env: env as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      opts.onStdout?.(d.toString(), (s) => child.kill(s), stdout);
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

/**
 * One real server per test file and driver; the SDK (here and in child processes, which
 * inherit the environment) uses its admin key, since every /api/v1 call needs one.
 */
export function serverPerFile(driver: TestDriver, onStart: (srv: TestServer) => void): void {
  let srv: TestServer | undefined;
  beforeAll(async () => {
    srv = await startTestServer({ driver });
    process.env.CAIRN_API_KEY = srv.apiKey;
    onStart(srv);
  });
  afterAll(async () => {
    await srv?.close();
    cleanupTmp();
  });
}
