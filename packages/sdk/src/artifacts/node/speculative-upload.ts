import { createHash } from "node:crypto";
import { open, stat } from "node:fs/promises";
import type { BigIntStats } from "node:fs";
import { Artifact, CONTENT_MAY_EXIST, headProbeBytes, LinkArtifactsResult } from "@cairn/core";
import { CairnError, CairnHttpError, InvalidResponseError } from "../../client/errors.js";
import { artifactUrlPath, artifactsUrlPath } from "../path.js";
import { isRetryable, withRetry } from "../retry.js";
import type { LocalFile, TransferOptions } from "../types.js";
import { hashFile } from "./files.js";
import { putFile } from "./http-stream.js";
import { putOne, type UploadContext } from "./upload.js";

/**
 * From this size a file is sent without being hashed first (see speculativeUpload). Below it,
 * asking first costs little and saves a request per file already stored.
 */
export const SPECULATIVE_MIN_BYTES = 64 * 2 ** 20;
/**
 * Above this, the server needs the digest before the bytes (an S3 store streams straight to
 * the final key only then; its copy from a temporary key stops at 5 GiB): ask first.
 */
export const SPECULATIVE_MAX_BYTES = 4 * 2 ** 30;

export const isSpeculative = (f: LocalFile) => f.size >= SPECULATIVE_MIN_BYTES && f.size <= SPECULATIVE_MAX_BYTES;

type Retry = { retryWindowMs?: number; signal?: AbortSignal | undefined };
type Options = TransferOptions & { overwrite?: boolean };

/**
 * Sends the file at once, unhashed, with the digest of its first MiB (`x-cairn-head-sha256`).
 * The server hashes what it receives anyway (content addressing); a client pass over the file
 * was there only to find content the server already has, and cost ~15–20% of a large upload on
 * a busy machine. Instead the server compares the head with the same-sized content of the
 * project before reading the body: when it may have the file it answers 409
 * `content_may_exist`, and only then is the file hashed and the server asked by sha256 (linked
 * without sending it, or PUT with the digest). A server that ignores the header stores the file.
 *
 * Without a client digest, a file changed mid-upload is caught by its metadata: size, inode,
 * mtime and ctime (nanoseconds) before the first byte is read and after the last is answered.
 */
export async function speculativeUpload(ctx: UploadContext, runId: string, f: LocalFile, opts: Options, retry: Retry): Promise<Artifact> {
  const before = await settledStat(f.localPath);
  if (!before || Number(before.size) !== f.size) return askThenPut(ctx, runId, f, opts, retry);
  const headSha256 = await headDigest(f.localPath, f.size);
  if (headSha256 === undefined) return askThenPut(ctx, runId, f, opts, retry);
  const url = artifactUrlPath(runId, f.path) + (opts.overwrite ? "?overwrite=true" : "");
  let sent = 0;
  let res: { status: number; body: unknown };
  try {
    res = await putFile(ctx.conn, url, { localPath: f.localPath, size: f.size, sha256: undefined, headSha256, mediaType: f.mediaType ?? "application/octet-stream" }, (n) => {
      sent += n;
      opts.onProgress?.({ path: f.path, bytes: sent, total: f.size });
    });
  } catch (err) {
    // The server may have the content, or the attempt failed on the way: the ordinary path (with its retries) from here.
    if ((err instanceof CairnHttpError && err.code === CONTENT_MAY_EXIST) || isRetryable(err)) return askThenPut(ctx, runId, f, opts, retry);
    throw err;
  }
  const parsed = Artifact.safeParse(res.body);
  if (!parsed.success) throw new InvalidResponseError(`unexpected response to PUT ${f.path}: ${parsed.error.message}`);
  const after = await stat(f.localPath, { bigint: true }).catch(() => undefined);
  if (!after || !sameFile(before, after)) {
    throw new CairnError(`${f.localPath} changed while it was being uploaded (the server stored sha256 ${parsed.data.sha256}, from bytes read at different times): upload it again`);
  }
  return parsed.data;
}

/** Hashes the file, asks the server by sha256 (linked when it has the content), else PUTs it with the digest. */
async function askThenPut(ctx: UploadContext, runId: string, f: LocalFile, opts: Options, retry: Retry): Promise<Artifact> {
  const { sha256, size } = await hashFile(f.localPath);
  const body = { artifacts: [{ path: f.path, sha256, size, ...(f.mediaType !== undefined ? { mediaType: f.mediaType } : {}) }], ...(opts.overwrite ? { overwrite: true } : {}) };
  const asked = await withRetry(() => ctx.transport.call("POST", artifactsUrlPath(runId), LinkArtifactsResult, { json: body }), retry);
  const linked = asked.linked[0];
  if (linked) {
    opts.onProgress?.({ path: f.path, bytes: size, total: size, linked: true });
    return linked;
  }
  return putOne(ctx, runId, { ...f, size, sha256 }, opts, retry);
}

/**
 * File times come from a clock that advances in ticks (1–10 ms on Linux): a write within the
 * tick of the previous one leaves mtime as it was, and would go unnoticed. So the "before"
 * snapshot is taken only once mtime is at least this far in the past; every later write moves it.
 */
const SETTLE_MS = 25;

/** The file's metadata once its mtime has settled; undefined when it does not (still being written, or a clock ahead of ours). */
async function settledStat(localPath: string): Promise<BigIntStats | undefined> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const st = await stat(localPath, { bigint: true });
    const age = Date.now() - Number(st.mtimeMs);
    if (age >= SETTLE_MS) return st;
    if (age < 0) return undefined;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS - age + 1));
  }
  return undefined;
}

const sameFile = (a: BigIntStats, b: BigIntStats) => a.size === b.size && a.ino === b.ino && a.dev === b.dev && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;

/** sha256 of the file's first `headProbeBytes(size)` bytes; undefined when it has fewer (it shrank). */
async function headDigest(localPath: string, size: number): Promise<string | undefined> {
  const length = headProbeBytes(size);
  const handle = await open(localPath, "r");
  try {
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await handle.read(buf, got, length - got, got);
      if (bytesRead === 0) return undefined;
      got += bytesRead;
    }
    return createHash("sha256").update(buf).digest("hex");
  } finally {
    await handle.close();
  }
}
