// Proves the self-hosting configuration (docker-compose.yml) works without Docker: the BUILT
// server is started as a child process with the environment compose gives the `cairn` service,
// pointed at a fresh database on the test PostgreSQL.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import S3rver from "s3rver";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

const TEST_DATABASE_URL = process.env.CAIRN_TEST_DATABASE_URL;
const MAIN_JS = fileURLToPath(new URL("../dist/main.js", import.meta.url));
const COMPOSE_FILE = fileURLToPath(new URL("../../../docker-compose.yml", import.meta.url));

/**
 * The `cairn` service's environment in docker-compose.yml; the test re-points host, database
 * and the S3 endpoint (MinIO there, a local s3rver here) and nothing else.
 */
/* biome-ignore-start lint/suspicious/noTemplateCurlyInString: compose's own substitution syntax, verbatim */
const COMPOSE_ENV = {
  CAIRN_DATABASE_URL: "postgres://cairn:cairn@postgres:5432/cairn",
  CAIRN_HOST: "0.0.0.0",
  CAIRN_LOG_LEVEL: "info",
  CAIRN_BOOTSTRAP_TOKEN: "${CAIRN_BOOTSTRAP_TOKEN:-}",
  CAIRN_ARTIFACT_STORE: "s3://cairn-artifacts/cairn",
  AWS_ENDPOINT_URL_S3: "http://minio:9000",
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "${MINIO_ROOT_USER:-cairn}",
  AWS_SECRET_ACCESS_KEY: "${MINIO_ROOT_PASSWORD:-cairn-minio-secret}",
} as const;
/* biome-ignore-end lint/suspicious/noTemplateCurlyInString: compose's own substitution syntax, verbatim */

/** Stands in for the MinIO service and its bucket-creating one-shot. */
let s3: { server: S3rver; endpoint: string; dir: string } | undefined;

/** What an operator exports before `docker compose up`; compose substitutes it above. */
const BOOTSTRAP_TOKEN = `cairn_selfhost_${randomBytes(24).toString("base64url")}`;

interface Server {
  child: ChildProcess;
  port: number;
  dataDir: string;
  url: string;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcess[] = [];
const databases: string[] = [];
const dirs: string[] = [];
let admin: postgres.Sql | undefined;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A new, empty database on the test PostgreSQL; dropped in afterAll. */
async function freshDatabase(): Promise<string> {
  const name = `cairn_selfhost_${randomBytes(6).toString("hex")}`;
  await admin!.unsafe(`CREATE DATABASE ${name}`);
  databases.push(name);
  const url = new URL(TEST_DATABASE_URL!);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Start `node dist/main.js` with the compose environment (and nothing else named CAIRN_*). */
async function startServer(databaseUrl: string, overrides: Record<string, string> = {}): Promise<Server> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "cairn-selfhost-"));
  dirs.push(dataDir);
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("CAIRN_")));
  const env = {
    ...inherited,
    ...COMPOSE_ENV,
    CAIRN_DATABASE_URL: databaseUrl,
    CAIRN_HOST: "127.0.0.1",
    CAIRN_PORT: String(port),
    // The image sets CAIRN_DATA_DIR=/data; here a temporary directory stands in for the volume.
    CAIRN_DATA_DIR: dataDir,
    CAIRN_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN,
    AWS_ENDPOINT_URL_S3: s3!.endpoint,
    AWS_ACCESS_KEY_ID: "S3RVER",
    AWS_SECRET_ACCESS_KEY: "S3RVER",
    ...overrides,
  };
  const child = spawn(process.execPath, [MAIN_JS], { env, cwd: dataDir, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (err += s));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, port, dataDir, url: `http://127.0.0.1:${port}`, stdout: () => out, stderr: () => err, exited };
}

async function waitReady(server: Server, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      throw new Error(
        `server exited (${server.child.exitCode ?? server.child.signalCode}) before /readyz answered 200\n` +
          `stdout:\n${server.stdout()}\nstderr:\n${server.stderr()}`,
      );
    }
    try {
      const res = await fetch(`${server.url}/readyz`);
      const body = await res.text();
      if (res.status === 200) return;
      last = `${res.status} ${body}`;
    } catch (e) {
      last = String(e);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`/readyz not 200 after ${timeoutMs} ms (last: ${last})\nstdout:\n${server.stdout()}\nstderr:\n${server.stderr()}`);
}

async function api(server: Server, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${BOOTSTRAP_TOKEN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

async function exitWithin(server: Server, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`server still running ${ms} ms later`)), ms);
  });
  try {
    return await Promise.race([server.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** SIGTERM, then the exit status, or an error when the process is still running after `ms`. */
async function stop(server: Server, ms = 10_000) {
  server.child.kill("SIGTERM");
  return exitWithin(server, ms);
}

function logLines(server: Server): unknown[] {
  return server
    .stdout()
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => {
      try {
        return JSON.parse(l) as unknown;
      } catch {
        throw new Error(`stdout line is not JSON: ${l}`);
      }
    });
}

it("the self-hosting test uses the cairn service's CAIRN_* variables from docker-compose.yml", () => {
  // A tiny reader for the one block we need, not a YAML parser: `KEY: value` lines under
  // services.cairn.environment.
  const lines = readFileSync(COMPOSE_FILE, "utf8").split("\n");
  const env: Record<string, string> = {};
  let inCairn = false;
  let inEnv = false;
  for (const line of lines) {
    if (/^ {2}\S/.test(line)) inCairn = /^ {2}cairn:\s*$/.test(line);
    if (/^ {4}\S/.test(line)) inEnv = inCairn && /^ {4}environment:\s*$/.test(line);
    const m = inEnv ? /^ {6}((?:CAIRN|AWS)_[A-Z0-9_]+):\s*(.*?)\s*$/.exec(line) : null;
    if (m) env[m[1]!] = m[2]!.replace(/^["']|["']$/g, "");
  }
  expect(env).toEqual(COMPOSE_ENV);
});

describe.skipIf(!TEST_DATABASE_URL)("self-hosting: the built server with the compose environment", () => {
  beforeAll(async () => {
    if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: build the server first (npm run build)`);
    admin = postgres(TEST_DATABASE_URL!, { max: 1, onnotice: () => {} });
    const dir = mkdtempSync(join(tmpdir(), "cairn-selfhost-s3-"));
    dirs.push(dir);
    const server = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory: dir, configureBuckets: [{ name: "cairn-artifacts", configs: [] }] });
    const addr = (await server.run()) as unknown as { port: number };
    s3 = { server, endpoint: `http://127.0.0.1:${addr.port}`, dir };
  });

  afterEach(() => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
  });

  afterAll(async () => {
    for (const name of databases.splice(0)) {
      await admin?.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
    await admin?.end();
    await s3?.server.close();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("starts, serves the API, logs JSON and exits 0 on SIGTERM", { timeout: 60_000 }, async () => {
    const server = await startServer(await freshDatabase());
    await waitReady(server);

    const health = await fetch(`${server.url}/healthz`);
    await health.text();
    expect(health.status).toBe(200);

    const project = await api(server, "POST", "/api/v1/projects", { name: "selfhost" });
    expect(project.status, JSON.stringify(project.json)).toBeLessThan(300);
    expect(project.json.name).toBe("selfhost");

    const run = await api(server, "POST", "/api/v1/projects/selfhost/runs", { name: "first" });
    expect(run.status, JSON.stringify(run.json)).toBeLessThan(300);
    expect(run.json.name).toBe("first");
    const runId: string = run.json.id;

    const points = [
      { key: "loss", value: 0.5, step: 0 },
      { key: "loss", value: 0.25, step: 1 },
      { key: "accuracy", value: 0.9, step: 1 },
    ];
    const logged = await api(server, "POST", `/api/v1/runs/${runId}/metrics`, { points });
    expect(logged.status, JSON.stringify(logged.json)).toBeLessThan(300);

    const read = await api(server, "GET", `/api/v1/runs/${runId}/metrics`);
    expect(read.status).toBe(200);
    const byKey = Object.fromEntries(
      (read.json.metrics as Array<{ key: string; last: number; count: number; lastStep: number }>).map((m) => [m.key, m]),
    );
    expect(byKey.loss).toMatchObject({ last: 0.25, count: 2, lastStep: 1 });
    expect(byKey.accuracy).toMatchObject({ last: 0.9, count: 1, lastStep: 1 });

    // Artifacts go to the S3 bucket compose creates, not to the container's disk.
    const content = `weights ${randomBytes(8).toString("hex")}`;
    const put = await fetch(`${server.url}/api/v1/runs/${runId}/artifacts/model/weights.txt`, {
      method: "PUT",
      headers: { authorization: `Bearer ${BOOTSTRAP_TOKEN}`, "content-type": "text/plain" },
      body: content,
    });
    expect(put.status, await put.text()).toBe(201);
    const got = await fetch(`${server.url}/api/v1/runs/${runId}/artifacts/model/weights.txt`, { headers: { authorization: `Bearer ${BOOTSTRAP_TOKEN}` } });
    expect(await got.text()).toBe(content);
    const stored = readdirSync(join(s3!.dir, "cairn-artifacts"), { recursive: true }).map(String);
    expect(stored.some((f) => f.startsWith(join("cairn", "blobs")))).toBe(true);
    expect(existsSync(join(server.dataDir, "blobs"))).toBe(false);

    const exit = await stop(server);
    expect(exit, `stderr:\n${server.stderr()}`).toEqual({ code: 0, signal: null });

    const logs = logLines(server);
    expect(logs.length).toBeGreaterThan(0);
    for (const entry of logs) {
      expect(entry).toBeTypeOf("object");
      expect((entry as { msg?: unknown }).msg).toBeTypeOf("string");
    }
    // Secrets never reach the logs: not the bootstrap token, not a key made through the API.
    expect(server.stdout()).not.toContain(BOOTSTRAP_TOKEN);
    expect(server.stderr()).not.toContain(BOOTSTRAP_TOKEN);
  });

  it("prints a generated admin key once, saves it 0600, and keeps it out of the logs", { timeout: 60_000 }, async () => {
    const server = await startServer(await freshDatabase(), { CAIRN_BOOTSTRAP_TOKEN: "" });
    await waitReady(server);
    const file = join(server.dataDir, "admin-token");
    const secret = readFileSync(file, "utf8").trim();
    expect(secret).toMatch(/^cairn_[A-Za-z0-9_-]{43}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(server.stderr()).toContain(secret); // the banner
    const created = await fetch(`${server.url}/api/v1/keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "ci", role: "writer", projects: ["p"] }),
    }).then((r) => r.json() as Promise<{ secret: string }>);
    expect((await fetch(`${server.url}/api/v1/whoami`, { headers: { authorization: `Bearer ${created.secret}` } })).status).toBe(200);
    expect((await fetch(`${server.url}/api/v1/whoami`)).status).toBe(401);
    await stop(server);
    expect(server.stdout()).not.toContain(secret);
    expect(server.stdout()).not.toContain(created.secret);
    expect(server.stderr()).not.toContain(created.secret);
  });

  it("two servers starting at once on one fresh database both become ready", { timeout: 90_000 }, async () => {
    const databaseUrl = await freshDatabase();
    const [a, b] = await Promise.all([startServer(databaseUrl), startServer(databaseUrl)]);
    await Promise.all([waitReady(a!), waitReady(b!)]);

    // Same database: what one replica writes, the other reads.
    const created = await api(a!, "POST", "/api/v1/projects", { name: "replicated" });
    expect(created.status, JSON.stringify(created.json)).toBeLessThan(300);
    const seen = await api(b!, "GET", "/api/v1/projects/replicated");
    expect(seen.status).toBe(200);
    expect(seen.json.id).toBe(created.json.id);

    const [exitA, exitB] = await Promise.all([stop(a!), stop(b!)]);
    expect(exitA, `stderr:\n${a!.stderr()}`).toEqual({ code: 0, signal: null });
    expect(exitB, `stderr:\n${b!.stderr()}`).toEqual({ code: 0, signal: null });
  });

  it("a bad CAIRN_PORT stops start-up with a non-zero exit that names the variable", { timeout: 30_000 }, async () => {
    const server = await startServer(await freshDatabase(), { CAIRN_PORT: "notaport" });
    const exit = await exitWithin(server, 15_000);
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(`${server.stdout()}\n${server.stderr()}`).toContain("CAIRN_PORT");
  });
});
