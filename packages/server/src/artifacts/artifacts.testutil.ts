import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import S3rver from "s3rver";
import { afterAll, beforeAll } from "vitest";
import { startTestServer, type TestDriver, type TestServer } from "../testing.js";

/** Every artifact test runs on both stores: the filesystem and S3 over the real protocol (s3rver). */
export const testStores = ["fs", "s3"] as const;
export type TestStore = (typeof testStores)[number];

export const BUCKET = "cairn-test";
export const PREFIX = "team/a";

export interface ArtifactTestEnv {
  srv: TestServer;
  store: TestStore;
  /** Directory holding the store's bytes (the fs root, or s3rver's directory). */
  storeDir: string;
  /** A directory beside the store with a sentinel file that must never be written or served. */
  outsideDir: string;
  sentinel: { file: string; content: string };
}

/** One server (and, for S3, one s3rver) per file and combination; each test uses its own project. */
export function useArtifactServer(driver: TestDriver, store: TestStore, env: Record<string, string> = {}): () => ArtifactTestEnv {
  let result: ArtifactTestEnv;
  let s3: S3rver | undefined;
  let base: string;
  beforeAll(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), `cairn-art-${store}-`));
    const storeDir = path.join(base, "store");
    const outsideDir = path.join(base, "outside");
    fs.mkdirSync(storeDir);
    fs.mkdirSync(outsideDir);
    const sentinel = { file: path.join(outsideDir, "passwd"), content: `sentinel-${Math.random()}` };
    fs.writeFileSync(sentinel.file, sentinel.content);
    let storeEnv: Record<string, string>;
    if (store === "s3") {
      s3 = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory: storeDir, configureBuckets: [{ name: BUCKET, configs: [] }] });
      const addr = (await s3.run()) as unknown as { port: number };
      // The AWS SDK's default credential chain reads these from the environment.
      process.env.AWS_ACCESS_KEY_ID = "S3RVER";
      process.env.AWS_SECRET_ACCESS_KEY = "S3RVER";
      storeEnv = { CAIRN_ARTIFACT_STORE: `s3://${BUCKET}/${PREFIX}`, AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${addr.port}` };
    } else {
      storeEnv = { CAIRN_ARTIFACT_STORE: storeDir };
    }
    const srv = await startTestServer({ driver, env: { ...storeEnv, ...env } });
    result = { srv, store, storeDir, outsideDir, sentinel };
  });
  afterAll(async () => {
    await result?.srv.close();
    await s3?.close();
    fs.rmSync(base, { recursive: true, force: true });
  });
  return () => result;
}

export interface RawReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * node:http, not fetch: sends the path exactly as given (fetch would normalise `..`),
 * can stream a body in chunks without a length, and can abort mid-body.
 */
export function rawRequest(
  url: string,
  opts: { method: string; path: string; apiKey?: string; headers?: Record<string, string>; body?: Buffer | Buffer[]; abortAfterBytes?: number },
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const headers: Record<string, string> = { ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}), ...opts.headers };
    const req = http.request({ host: u.hostname, port: u.port, method: opts.method, path: opts.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    const early = (e: Error) => ["EPIPE", "ECONNRESET"].includes((e as NodeJS.ErrnoException).code ?? "");
    req.on("error", (e) => (early(e) || opts.abortAfterBytes !== undefined ? resolve({ status: 0, headers: {}, body: Buffer.alloc(0) }) : reject(e)));
    req.on("socket", (socket) => socket.on("error", () => {}));
    const parts = opts.body === undefined ? [] : Array.isArray(opts.body) ? opts.body : [opts.body];
    if (opts.abortAfterBytes !== undefined) {
      let sent = 0;
      for (const p of parts) {
        const take = Math.min(p.length, opts.abortAfterBytes - sent);
        if (take > 0) req.write(p.subarray(0, take));
        sent += take;
      }
      // Let the bytes reach the server, then drop the connection mid-body.
      setTimeout(() => req.destroy(), 200);
      return;
    }
    (async () => {
      for (const p of parts) if (!req.write(p)) await new Promise((r) => req.once("drain", r));
      req.end();
    })().catch(reject);
  });
}

export function artifactUrl(runId: string, encodedPath: string): string {
  return `/api/v1/runs/${runId}/artifacts/${encodedPath}`;
}

export function walkFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walkFiles(p));
    else out.push(p);
  }
  return out;
}
