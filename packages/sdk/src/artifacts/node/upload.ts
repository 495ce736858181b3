import { Artifact, LinkArtifactsResult } from "@cairn/core";
import { InvalidResponseError } from "../../client/errors.js";
import type { Transport } from "../../client/http.js";
import { mapLimit } from "../limiter.js";
import { artifactUrlPath, artifactsUrlPath } from "../path.js";
import { withRetry } from "../retry.js";
import type { Connection, LocalFile, TransferOptions } from "../types.js";
import { hashFile } from "./files.js";
import { putFile } from "./http-stream.js";
import { isSpeculative, speculativeUpload } from "./speculative-upload.js";

/** The link endpoint takes at most this many entries per request. */
export const LINK_BATCH = 1000;
const DEFAULT_CONCURRENCY = 4;

export interface UploadContext {
  transport: Transport;
  conn: Connection;
}

interface Hashed extends LocalFile {
  sha256: string;
}

/**
 * Uploads files to a run: hashes each (streaming), asks the server which contents it lacks
 * (batches of up to 1,000), links the rest without sending bytes, and PUTs only the missing
 * ones, `concurrency` at a time, each retried with backoff (the file is re-read per attempt).
 * Files of 64 MiB–4 GiB are sent straight away instead, hashed only if the server may have them
 * (speculative-upload.ts). Resolves with one Artifact per file, in input order.
 */
export async function uploadFiles(
  ctx: UploadContext,
  runId: string,
  files: LocalFile[],
  opts: TransferOptions & { overwrite?: boolean } = {},
): Promise<Artifact[]> {
  const concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
  const retry = { ...(opts.retryWindowMs !== undefined ? { retryWindowMs: opts.retryWindowMs } : {}), signal: opts.signal };
  const done = new Map<string, Artifact>();
  // Large files are sent without a client hash unless the server says it may have them (see speculativeUpload); the rest ask first.
  const large = files.filter(isSpeculative);
  const small = files.filter((f) => !isSpeculative(f));
  await mapLimit(large, concurrency, async (f) => {
    done.set(f.path, await speculativeUpload(ctx, runId, f, opts, retry));
  });
  const hashed: Hashed[] = await mapLimit(small, concurrency, async (f) => {
    const { sha256, size } = await hashFile(f.localPath);
    return { ...f, sha256, size };
  });
  for (let i = 0; i < hashed.length; i += LINK_BATCH) {
    const batch = hashed.slice(i, i + LINK_BATCH);
    const body = {
      artifacts: batch.map((f) => ({ path: f.path, sha256: f.sha256, size: f.size, ...(f.mediaType !== undefined ? { mediaType: f.mediaType } : {}) })),
      ...(opts.overwrite ? { overwrite: true } : {}),
    };
    const res = await withRetry(() => ctx.transport.call("POST", artifactsUrlPath(runId), LinkArtifactsResult, { json: body }), retry);
    for (const a of res.linked) {
      done.set(a.path, a);
      const f = batch.find((x) => x.path === a.path);
      if (f) opts.onProgress?.({ path: f.path, bytes: f.size, total: f.size, linked: true });
    }
    const missing = new Set(res.missing.map((m) => m.path));
    await mapLimit(
      batch.filter((f) => missing.has(f.path)),
      concurrency,
      async (f) => {
        done.set(f.path, await putOne(ctx, runId, f, opts, retry));
      },
    );
  }
  return files.map((f) => {
    const a = done.get(f.path);
    if (!a) throw new InvalidResponseError(`the server neither linked nor asked for ${f.path}`);
    return a;
  });
}

export async function putOne(ctx: UploadContext, runId: string, f: Hashed, opts: TransferOptions & { overwrite?: boolean }, retry: { retryWindowMs?: number; signal?: AbortSignal | undefined }): Promise<Artifact> {
  const url = artifactUrlPath(runId, f.path) + (opts.overwrite ? "?overwrite=true" : "");
  const file = { localPath: f.localPath, size: f.size, sha256: f.sha256, mediaType: f.mediaType ?? "application/octet-stream" };
  const res = await withRetry(() => {
    let sent = 0;
    return putFile(ctx.conn, url, file, (n) => {
      sent += n;
      opts.onProgress?.({ path: f.path, bytes: sent, total: f.size });
    });
  }, retry);
  const parsed = Artifact.safeParse(res.body);
  if (!parsed.success) throw new InvalidResponseError(`unexpected response to PUT ${f.path}: ${parsed.error.message}`);
  return parsed.data;
}
