import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve, sep } from "node:path";
import type { Artifact } from "@cairn/core";
import { CairnError, NotFoundError } from "../../client/errors.js";
import { mapLimit } from "../limiter.js";
import { artifactUrlPath, normalizeArtifactPath } from "../path.js";
import { withRetry } from "../retry.js";
import type { Connection, DownloadOptions } from "../types.js";
import { getToFile } from "./http-stream.js";

export interface DownloadResult {
  /** Files written, with their local paths. */
  files: Array<{ path: string; localPath: string; size: number; sha256: string }>;
}

/** Lists every artifact below a folder (recursive). Supplied by the client so this module stays transport-free. */
export type ListFolder = (runId: string, prefix: string) => Promise<Artifact[]>;

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Downloads one file, or every file below a folder, to `dest`. Each file streams into a
 * temporary file beside its destination, is checked against the server's sha256 (ETag) and
 * size, and only then renamed into place: a reader never sees a partial or corrupt file.
 */
export async function download(conn: Connection, listFolder: ListFolder, runId: string, artifactPath: string, dest: string | undefined, opts: DownloadOptions = {}): Promise<DownloadResult> {
  const folderAsked = artifactPath === "" || artifactPath === "." || artifactPath.endsWith("/");
  const path = folderAsked ? artifactPath.replace(/\/+$/, "").replace(/^\.$/, "") : normalizeArtifactPath(artifactPath);
  if (!folderAsked) {
    let target = dest ?? basename(path);
    if (await isDirectory(target)) target = join(target, basename(path));
    try {
      const file = await downloadOne(conn, runId, path, target, opts);
      return { files: [file] };
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      // Not a file: maybe a folder. A missing run stays a 404.
      const below = await listFolder(runId, `${path}/`).catch(() => []);
      if (below.length === 0) throw err;
      return downloadFolder(conn, runId, path, below, dest ?? basename(path), opts);
    }
  }
  const prefix = path === "" ? "" : `${normalizeArtifactPath(path)}/`;
  const below = await listFolder(runId, prefix);
  if (below.length === 0) throw new CairnError(`no artifacts below "${prefix || "/"}" in run ${runId}`);
  return downloadFolder(conn, runId, prefix.replace(/\/$/, ""), below, dest ?? (path === "" ? "." : basename(path)), opts);
}

async function downloadFolder(conn: Connection, runId: string, folder: string, artifacts: Artifact[], destDir: string, opts: DownloadOptions): Promise<DownloadResult> {
  const root = resolve(destDir);
  const strip = folder === "" ? 0 : folder.length + 1;
  const files = await mapLimit(artifacts, opts.concurrency ?? 4, async (a) => {
    const target = resolve(root, ...a.path.slice(strip).split("/"));
    // The server normalises paths; this guards the local disk against a server that does not.
    if (!target.startsWith(root + sep)) throw new CairnError(`refusing to write ${a.path} outside ${root}`);
    return downloadOne(conn, runId, a.path, target, opts);
  });
  return { files };
}

async function downloadOne(conn: Connection, runId: string, path: string, target: string, opts: DownloadOptions): Promise<DownloadResult["files"][number]> {
  await mkdir(dirname(resolve(target)), { recursive: true });
  const tmp = join(dirname(resolve(target)), `.${basename(target)}.cairn-${randomBytes(6).toString("hex")}.part`);
  try {
    const got = await withRetry(
      () =>
        getToFile(conn, artifactUrlPath(runId, path), tmp, (bytes, total) => opts.onProgress?.({ path, bytes, total: Number.isFinite(total) ? total : bytes })),
      { ...(opts.retryWindowMs !== undefined ? { retryWindowMs: opts.retryWindowMs } : {}), signal: opts.signal },
    );
    if (got.etag !== undefined && /^[0-9a-f]{64}$/.test(got.etag) && got.etag !== got.sha256) {
      throw new CairnError(`downloaded ${path} does not match its sha256 (expected ${got.etag}, got ${got.sha256}); nothing was written`);
    }
    await rename(tmp, target);
    return { path, localPath: resolve(target), size: got.size, sha256: got.sha256 };
  } finally {
    await rm(tmp, { force: true });
  }
}
