import { Artifact, LinkArtifactsResult } from "@cairn/core";
import { CairnError, InvalidResponseError } from "../../client/errors.js";
import { artifactUrlPath, artifactsUrlPath } from "../path.js";
import { isRetryable, withRetry } from "../retry.js";
import type { LocalFile, TransferOptions } from "../types.js";
import { hashFile } from "./files.js";
import { putFile } from "./http-stream.js";
import { putOne, type UploadContext } from "./upload.js";

/**
 * From this size a file is uploaded while it is hashed. Asking first means reading the file
 * twice in a row (hash, then send): for 1 GiB here that was a third of the upload time.
 */
export const SPECULATIVE_MIN_BYTES = 64 * 2 ** 20;
/**
 * Above this, the server needs the digest before the bytes (an S3 store streams straight to
 * the final key only then; its copy from a temporary key stops at 5 GiB): ask first.
 */
export const SPECULATIVE_MAX_BYTES = 4 * 2 ** 30;

export const isSpeculative = (f: LocalFile) => f.size >= SPECULATIVE_MIN_BYTES && f.size <= SPECULATIVE_MAX_BYTES;

type Retry = { retryWindowMs?: number; signal?: AbortSignal | undefined };

/**
 * Starts the PUT at once and hashes the file alongside; when the hash is known, asks the
 * server whether it already has the content. If it does, the PUT is cancelled and the path
 * linked (what is left of the file is never sent); if not, the PUT goes on. The server hashes
 * what it receives, so a file that changed mid-upload is caught by comparing the two digests.
 * A failed speculative PUT is retried the ordinary way, with the digest.
 */
export async function speculativeUpload(ctx: UploadContext, runId: string, f: LocalFile, opts: TransferOptions & { overwrite?: boolean }, retry: Retry): Promise<Artifact> {
  const url = artifactUrlPath(runId, f.path) + (opts.overwrite ? "?overwrite=true" : "");
  const cancel = new AbortController();
  let sent = 0;
  const put = putFile(ctx.conn, url, { localPath: f.localPath, size: f.size, sha256: undefined, mediaType: f.mediaType ?? "application/octet-stream" }, (n) => {
    sent += n;
    opts.onProgress?.({ path: f.path, bytes: sent, total: f.size });
  }, cancel.signal).then(
    (res) => ({ ok: true as const, res }),
    (err: unknown) => ({ ok: false as const, err }),
  );
  let sha256: string;
  let asked: LinkArtifactsResult;
  try {
    sha256 = (await hashFile(f.localPath)).sha256;
    const body = { artifacts: [{ path: f.path, sha256, size: f.size, ...(f.mediaType !== undefined ? { mediaType: f.mediaType } : {}) }], ...(opts.overwrite ? { overwrite: true } : {}) };
    asked = await withRetry(() => ctx.transport.call("POST", artifactsUrlPath(runId), LinkArtifactsResult, { json: body }), retry);
  } catch (err) {
    cancel.abort();
    await put;
    throw err;
  }
  const linked = asked.linked[0];
  if (linked) {
    cancel.abort();
    await put;
    opts.onProgress?.({ path: f.path, bytes: f.size, total: f.size, linked: true });
    return linked;
  }
  const outcome = await put;
  if (!outcome.ok) {
    if (!isRetryable(outcome.err)) throw outcome.err;
    return putOne(ctx, runId, { ...f, sha256 }, opts, retry);
  }
  const parsed = Artifact.safeParse(outcome.res.body);
  if (!parsed.success) throw new InvalidResponseError(`unexpected response to PUT ${f.path}: ${parsed.error.message}`);
  if (parsed.data.sha256 !== sha256) throw new CairnError(`${f.localPath} changed while it was being uploaded (sent sha256 ${parsed.data.sha256}, file now ${sha256}): upload it again`);
  return parsed.data;
}
