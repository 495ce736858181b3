import type { ModelVersion } from "@cairn/core";
import type { Connection, TransferProgress } from "../artifacts/types.js";
import { CairnError } from "../client/errors.js";
import { isNode } from "../config.js";

/** An alias (`"production"`), a version number, `"latest"`, or `{ digest }` of a version already in the cache (no server needed). */
export type ModelRef = string | number | { digest: string };

export interface LoadOptions {
  /** Cache root; versions go to `<cacheDir>/models/<digest>/`. Default `CAIRN_CACHE_DIR`, else `~/.cache/cairn`. */
  cacheDir?: string;
  /** Re-hash cached files before using them (default true): a damaged file is downloaded again. */
  verify?: boolean;
  /** Called as bytes arrive. */
  onProgress?: (p: TransferProgress) => void;
  /** How long a failing download is retried (ms). Default 60,000. */
  retryWindowMs?: number;
  signal?: AbortSignal;
}

export interface LoadedModel {
  /** The single file's local path, or the folder holding a folder version's files. */
  path: string;
  version: ModelVersion;
  files: Array<{ path: string; localPath: string }>;
  /** Files downloaded by this call (0 when everything came from the cache). */
  downloaded: number;
}

/** What the cache needs from the client: where to send requests and how to find the version. */
export interface LoadContext {
  conn: Connection;
  /** Looks the version up on the server (an alias, a number or `latest`). */
  resolve: () => Promise<ModelVersion>;
  /** URL path of one of the version's files. */
  fileUrlPath: (version: ModelVersion, path: string) => string;
}

/** The cache is on disk: loaded through import() so browser bundles never see it. */
export async function loadModel(ctx: LoadContext, name: string, ref: ModelRef, opts: LoadOptions): Promise<LoadedModel> {
  if (!isNode()) throw new CairnError("models.load writes files to a local cache and needs Node");
  const node = await import("./node/cache.js");
  return node.loadIntoCache(ctx, name, ref, opts);
}
