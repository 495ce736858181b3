import { open } from "node:fs/promises";
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { HEAD_SHA256_HEADER } from "@cairn/core";
import { CairnNetworkError, InvalidResponseError } from "../../client/errors.js";
import { errorFromResponse, errorMessage, jsonOrUndefined } from "../../client/http.js";
import type { Connection } from "../types.js";
import { TRANSFER_BLOCK_BYTES, TRANSFER_BLOCKS } from "./digests.js";
import { FileReceiver } from "./file-receiver.js";
import { RawFramingError, type RawHead, rawGet } from "./raw-get.js";

/**
 * Raw transfers go through node:http rather than fetch: streaming a file into the request
 * (and the response into a file) keeps memory flat, and on this machine (256 MiB to a server
 * in another process) it matched curl and beat undici's streamed body (`duplex: "half"`,
 * web or Node stream) by ~1.2–1.5× for uploads and ~1.1–1.4× for downloads. Large downloads
 * from an http: server go through rawGet (see there).
 */
/** A transfer with no bytes moving for this long is aborted (and retried). */
const IDLE_TIMEOUT_MS = 60_000;

const agents = new Map<string, http.Agent>();
function agentFor(url: URL): http.Agent {
  let a = agents.get(url.protocol);
  if (!a) {
    const opts = { keepAlive: true, keepAliveMsecs: 1_000, maxFreeSockets: 16, timeout: IDLE_TIMEOUT_MS };
    a = url.protocol === "https:" ? new https.Agent(opts) : new http.Agent(opts);
    agents.set(url.protocol, a);
  }
  return a;
}

function headersFor(conn: Connection, extra: Record<string, string | number>): Record<string, string | number> {
  return { accept: "application/json, application/problem+json", ...(conn.apiKey ? { authorization: `Bearer ${conn.apiKey}` } : {}), ...extra };
}

function request(conn: Connection, method: string, path: string, headers: Record<string, string | number>): http.ClientRequest {
  const url = new URL(conn.url + path);
  const mod = url.protocol === "https:" ? https : http;
  const req = mod.request(url, { method, headers: headersFor(conn, headers), agent: agentFor(url) });
  req.setTimeout(IDLE_TIMEOUT_MS, () => req.destroy(new Error(`no progress for ${IDLE_TIMEOUT_MS / 1000} s`)));
  return req;
}

async function readJson(res: IncomingMessage): Promise<unknown> {
  let text = "";
  res.setEncoding("utf8");
  for await (const chunk of res) text += chunk as string;
  return jsonOrUndefined(text);
}

/** Turns an HTTP error response into the SDK's typed error (after reading its body). */
async function failure(res: IncomingMessage): Promise<Error> {
  const headers = new Headers();
  for (const [k, v] of Object.entries(res.headers)) if (typeof v === "string") headers.set(k, v);
  return errorFromResponse({ status: res.statusCode ?? 0, headers, body: await readJson(res) });
}

function networkError(conn: Connection, err: unknown): CairnNetworkError {
  return err instanceof CairnNetworkError ? err : new CairnNetworkError(`transfer to ${conn.url} failed: ${errorMessage(err)}`, { cause: err });
}

export interface PutFile {
  localPath: string;
  size: number;
  /** Sent as `x-cairn-sha256` for the server to verify; absent when the file is sent unhashed. */
  sha256: string | undefined;
  /** Sent as `x-cairn-head-sha256` (the first MiB's digest) when there is no sha256: the server refuses content it may already have. */
  headSha256?: string | undefined;
  mediaType: string;
}

/** PUTs a file from disk (read afresh per call); resolves with the status and JSON body of a 2xx. */
export function putFile(conn: Connection, path: string, file: PutFile, onBytes: (n: number) => void, signal?: AbortSignal): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(networkError(conn, new Error("upload cancelled")));
    let settled = false;
    const stop = new AbortController();
    const fail = (err: unknown, local = false) => {
      if (settled) return;
      settled = true;
      stop.abort();
      req.destroy();
      reject(local ? err : networkError(conn, err)); // a local read error is not the network's: not retried
    };
    signal?.addEventListener("abort", () => fail(new Error("upload cancelled")), { once: true });
    const req = request(conn, "PUT", path, {
      "content-type": file.mediaType,
      "content-length": file.size,
      ...(file.sha256 ? { "x-cairn-sha256": file.sha256 } : file.headSha256 ? { [HEAD_SHA256_HEADER]: file.headSha256 } : {}),
    });
    req.on("response", (res) => {
      // An early answer (e.g. 409 before the body is sent) wins over the broken pipe that follows.
      settled = true;
      stop.abort();
      // A request the server answered before its body ended can never finish: close its
      // socket rather than leave it pinned (and the process alive) until the idle timeout.
      const release = () => {
        if (!req.writableFinished) req.destroy();
      };
      const status = res.statusCode ?? 0;
      if (status >= 400) failure(res).then(reject, reject).finally(release);
      else readJson(res).then((body) => resolve({ status, body }), (err) => reject(networkError(conn, err))).finally(release);
    });
    req.on("error", (err) => fail(err));
    sendFile(file.localPath, req, onBytes, stop.signal).catch((err: unknown) => fail(err, true));
  });
}

/**
 * Streams a file into the request from a ring of reused buffers: each is refilled from disk
 * once the socket has taken it, while the others are being sent. A read stream allocated a
 * fresh buffer per read, which cost ~3× the CPU and a garbage collection every ~30 MiB.
 */
async function sendFile(localPath: string, req: http.ClientRequest, onBytes: (n: number) => void, stop: AbortSignal): Promise<void> {
  const handle = await open(localPath, "r");
  const stopped = new Promise<void>((resolve) => stop.addEventListener("abort", () => resolve(), { once: true }));
  try {
    const ring = Array.from({ length: TRANSFER_BLOCKS }, () => ({ buf: Buffer.allocUnsafe(TRANSFER_BLOCK_BYTES), sent: Promise.resolve() }));
    for (let i = 0; ; i++) {
      const slot = ring[i % ring.length]!;
      await Promise.race([slot.sent, stopped]);
      if (stop.aborted) return;
      const { bytesRead } = await handle.read(slot.buf, 0, slot.buf.length, null);
      if (stop.aborted) return;
      if (bytesRead === 0) {
        req.end();
        return;
      }
      onBytes(bytesRead);
      // Resolves once the socket has taken the bytes: only then may the buffer be refilled.
      slot.sent = new Promise<void>((resolve, reject) => req.write(slot.buf.subarray(0, bytesRead), (err) => (err ? reject(err) : resolve())));
      slot.sent.catch(() => {}); // a socket failure is reported by the request's "error" event
    }
  } finally {
    await handle.close();
  }
}

export interface DownloadedFile {
  sha256: string;
  size: number;
  etag: string | undefined;
}

/** GETs `path` into `tmpFile`, hashing as it streams; checks the length against Content-Length. */
export async function getToFile(conn: Connection, path: string, tmpFile: string, onBytes: (n: number, total: number) => void): Promise<DownloadedFile> {
  if (new URL(conn.url).protocol === "http:") {
    try {
      return await rawGetToFile(conn, path, tmpFile, onBytes);
    } catch (err) {
      if (!(err instanceof RawFramingError)) throw err;
    }
  }
  return nodeGetToFile(conn, path, tmpFile, onBytes);
}

/** Error bodies (problem+json) are kept up to this size; the rest is dropped. */
const MAX_ERROR_BODY = 1 << 20;

async function rawGetToFile(conn: Connection, path: string, tmpFile: string, onBytes: (n: number, total: number) => void): Promise<DownloadedFile> {
  let head: RawHead | undefined;
  let receiver: FileReceiver | undefined;
  let total = Number.NaN;
  const errorBody: Buffer[] = [];
  let errorBytes = 0;
  try {
    try {
      await rawGet(
        new URL(conn.url + path),
        headersFor(conn, {}),
        {
          onHead: (h) => {
            head = h;
            total = Number(h.headers["content-length"] ?? Number.NaN);
            if (h.status === 200) receiver = new FileReceiver(tmpFile, Number.isFinite(total) ? total : undefined);
          },
          onBody: (chunk) => {
            if (!receiver) {
              if (errorBytes < MAX_ERROR_BODY) errorBody.push(Buffer.from(chunk)); // a copy: the chunk's buffer is reused
              errorBytes += chunk.length;
              return undefined;
            }
            const wait = receiver.push(chunk);
            onBytes(receiver.size, total);
            return wait;
          },
        },
        IDLE_TIMEOUT_MS,
      );
    } catch (err) {
      throw err instanceof RawFramingError ? err : networkError(conn, err);
    }
    if (!receiver) {
      const status = head?.status ?? 0;
      if (status >= 400) throw errorFromResponse({ status, headers: new Headers(head?.headers), body: jsonOrUndefined(Buffer.concat(errorBody).toString("utf8")) });
      throw new InvalidResponseError(`unexpected HTTP ${status} for GET ${path}`);
    }
    const sha256 = await receiver.finish();
    if (Number.isFinite(total) && receiver.size !== total) throw new CairnNetworkError(`download of ${path} stopped at ${receiver.size} of ${total} bytes`);
    return { sha256, size: receiver.size, etag: etagOf(head?.headers.etag) };
  } catch (err) {
    await receiver?.abort();
    throw err;
  }
}

function nodeGetToFile(conn: Connection, path: string, tmpFile: string, onBytes: (n: number, total: number) => void): Promise<DownloadedFile> {
  return new Promise((resolve, reject) => {
    const req = request(conn, "GET", path, {});
    req.on("error", (err) => reject(networkError(conn, err)));
    req.on("response", (res) => {
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        if (status >= 400) failure(res).then(reject, reject);
        else {
          res.resume();
          reject(new InvalidResponseError(`unexpected HTTP ${status} for GET ${path}`));
        }
        return;
      }
      receive(conn, path, res, tmpFile, onBytes).then(resolve, reject);
    });
    req.end();
  });
}

async function receive(conn: Connection, path: string, res: IncomingMessage, tmpFile: string, onBytes: (n: number, total: number) => void): Promise<DownloadedFile> {
  const total = Number(res.headers["content-length"] ?? Number.NaN);
  const receiver = new FileReceiver(tmpFile, Number.isFinite(total) ? total : undefined);
  let sha256: string;
  try {
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        const wait = receiver.push(chunk);
        onBytes(receiver.size, total);
        await wait;
      }
    } catch (err) {
      throw networkError(conn, err);
    }
    sha256 = await receiver.finish();
  } catch (err) {
    res.destroy();
    await receiver.abort();
    throw err;
  }
  if (Number.isFinite(total) && receiver.size !== total) throw new CairnNetworkError(`download of ${path} stopped at ${receiver.size} of ${total} bytes`);
  return { sha256, size: receiver.size, etag: etagOf(res.headers.etag) };
}

const etagOf = (etag: string | undefined) => etag?.replace(/^W\//, "").replace(/"/g, "");
