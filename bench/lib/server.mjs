// Starting Cairn servers for the benchmark: in a child process (the headline: SDK and
// server on separate event loops, as in production) or in this process.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Every server the bench starts gets this admin key as its bootstrap token, and the SDK
 * (here and in child processes, through the environment) sends it: the figures include
 * authentication, as in production.
 */
export const BENCH_API_KEY = (process.env.CAIRN_API_KEY ??= `cairn_bench_${Math.random().toString(36).slice(2)}${Date.now().toString(36)}xxxxxxxx`);

/**
 * The baseline for the auth + audit overhead figure: authentication off (the server allows
 * it on loopback only) and audit off (an operator switch for benchmarking; a server that does
 * not know CAIRN_AUDIT ignores it, which the bench detects from the audit log it leaves).
 */
export const NO_AUTH_AUDIT_ENV = Object.freeze({ CAIRN_AUTH: "off", CAIRN_AUDIT: "off" });

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const SERVER_MAIN = path.join(root, "packages/server/dist/main.js");

async function waitReady(url, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/readyz`);
      await res.text();
      if (res.status === 200) return;
    } catch {}
    if (Date.now() > deadline) throw new Error(`server at ${url} not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Spawns `node packages/server/dist/main.js`. `databaseUrl` undefined → embedded PGlite in
 * `dataDir`. `cpuProfDir` runs the child with --cpu-prof (written on SIGTERM exit).
 */
export async function startChildServer({ dataDir, databaseUrl, cpuProfDir, env = {}, timeoutMs = 60_000 }) {
  fs.mkdirSync(dataDir, { recursive: true });
  const args = [];
  if (cpuProfDir) {
    fs.mkdirSync(cpuProfDir, { recursive: true });
    args.push("--cpu-prof", `--cpu-prof-dir=${cpuProfDir}`);
  }
  args.push(SERVER_MAIN);
  const child = spawn(process.execPath, args, {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      CAIRN_PORT: "0",
      CAIRN_HOST: "127.0.0.1",
      CAIRN_DATA_DIR: dataDir,
      CAIRN_LOG_LEVEL: "warn",
      CAIRN_BOOTSTRAP_TOKEN: BENCH_API_KEY,
      ...(databaseUrl ? { CAIRN_DATABASE_URL: databaseUrl } : {}),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL"); // never leave a half-started server writing to the data dir
      reject(new Error(`server did not start in ${timeoutMs} ms:\n${stderr}`));
    }, timeoutMs);
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d) => {
      stderr += d;
      const m = /running at (http:\/\/\S+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.stdout.resume();
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before listening:\n${stderr}`));
    });
  });
  await waitReady(url, child, timeoutMs);
  return {
    url,
    pid: child.pid,
    get stderr() {
      return stderr;
    },
    /** Port the server listens on. */
    port: Number(new URL(url).port),
    /** Sends a signal (SIGKILL for a crash) and waits for the process to be gone. */
    async kill(signal = "SIGKILL") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill(signal);
      await exited;
    },
    /** SIGTERM, then wait for exit (the --cpu-prof file is written on a clean exit). */
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** The server in this process (same event loop as the SDK): a secondary figure. */
export async function startInProcessServer({ dataDir, databaseUrl }) {
  const { startServer, loadConfig } = await import("@cairn/server");
  const srv = await startServer(
    loadConfig({
      CAIRN_PORT: "0",
      CAIRN_HOST: "127.0.0.1",
      CAIRN_DATA_DIR: dataDir,
      CAIRN_LOG_LEVEL: "silent",
      CAIRN_BOOTSTRAP_TOKEN: BENCH_API_KEY,
      ...(databaseUrl ? { CAIRN_DATABASE_URL: databaseUrl } : {}),
    }),
  );
  return { url: srv.url, pid: process.pid, close: () => srv.close(), ctx: srv.ctx };
}

/** Small JSON-over-HTTP helper (always reads the body: unread bodies pin keep-alive sockets). */
export async function api(url, method, p, body) {
  const res = await fetch(url + p, {
    method,
    headers: { authorization: `Bearer ${BENCH_API_KEY}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${p} → ${res.status}: ${text.slice(0, 500)}`);
  return text ? JSON.parse(text) : undefined;
}
