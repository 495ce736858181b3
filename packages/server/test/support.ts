import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { loadConfig } from "../src/config.js";
import { type RunningServer, startServer } from "../src/server.js";
import { startTestServer, type TestDriver, type TestServer } from "../src/testing.js";

export interface Reply<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** Plain fetch against the real server; every body is read so sockets are freed. */
export async function call<T = any>(srv: { url: string; apiKey?: string }, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
  const auth: Record<string, string> = srv.apiKey ? { authorization: `Bearer ${srv.apiKey}` } : {};
  const res = await fetch(srv.url + path, {
    method,
    headers: body === undefined ? { ...auth, ...headers } : { "content-type": "application/json", ...auth, ...headers },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  // An event stream (alias watch) never ends by itself: read up to its first event, then hang up.
  const text = res.headers.get("content-type")?.startsWith("text/event-stream") ? await firstEvent(res) : await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, body: parsed as T };
}

async function firstEvent(res: Response): Promise<string> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes("\n\n")) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  await reader.cancel();
  return text;
}

/** One server per driver for the whole file; each test uses its own project for isolation. */
export function useServer(driver: TestDriver, env?: Record<string, string>): () => TestServer {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ driver, ...(env ? { env } : {}) });
  });
  afterAll(async () => {
    await srv?.close();
  });
  return () => srv;
}

let counter = 0;
export function uniqueName(prefix = "p"): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
}

export async function newProject(srv: TestServer): Promise<string> {
  const name = uniqueName();
  const r = await call(srv, "POST", "/api/v1/projects", { name });
  if (r.status !== 201) throw new Error(`project create failed: ${JSON.stringify(r.body)}`);
  return name;
}

export async function newRun(srv: TestServer, project: string, body: Record<string, unknown> = {}): Promise<any> {
  const r = await call(srv, "POST", `/api/v1/projects/${project}/runs`, body);
  if (r.status !== 201 && r.status !== 200) throw new Error(`run create failed: ${JSON.stringify(r.body)}`);
  return r.body;
}

/**
 * The server answers 413 from the Content-Length alone, before reading the body; fetch
 * reports the early close as a failure, so this reads the status with node:http.
 */
export function postRaw(url: string, apiKey: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}`, "content-length": Buffer.byteLength(body) } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    const early = (e: Error) => ["EPIPE", "ECONNRESET"].includes((e as NodeJS.ErrnoException).code ?? "");
    req.on("error", (e) => (early(e) ? undefined : reject(e)));
    // The server closes mid-upload after answering: the socket's own write error is expected.
    req.on("socket", (socket) => socket.on("error", () => {}));
    req.end(body);
  });
}

/** A second server process on the first one's PostgreSQL database (same bootstrap key), for the duration of the file. */
export function useReplica(primary: () => TestServer, env: Record<string, string> = {}): () => RunningServer {
  let replica: RunningServer;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-replica-"));
    replica = await startServer(
      loadConfig({
        CAIRN_HOST: "127.0.0.1",
        CAIRN_PORT: "0",
        CAIRN_DATA_DIR: dataDir,
        CAIRN_LOG_LEVEL: "silent",
        CAIRN_DATABASE_URL: primary().server()!.ctx.config.databaseUrl!,
        CAIRN_BOOTSTRAP_TOKEN: primary().apiKey,
        ...env,
      }),
    );
  });
  afterAll(async () => {
    await replica?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  return () => replica;
}
