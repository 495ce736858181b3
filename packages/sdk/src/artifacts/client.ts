import { type Artifact, type ArtifactFolder, ArtifactList, GcResult, type GcRequest } from "@cairn/core";
import { CairnError } from "../client/errors.js";
import { errorFromResponse, type Transport } from "../client/http.js";
import { isNode } from "../config.js";
import { artifactUrlPath, artifactsUrlPath, normalizeArtifactPath, normalizePrefix } from "./path.js";
import type { Connection, DownloadOptions, LocalFile, UploadOptions } from "./types.js";

export interface ArtifactListOptions {
  /** A folder (`models/`); the run's root when omitted. */
  prefix?: string;
  /** Every file below the prefix (true) or one level with folders (false, default). */
  recursive?: boolean;
  limit?: number;
  cursor?: string;
}

export type { DownloadResult } from "./node/download.js";
type NodeArtifacts = typeof import("./node/index.js");

/** Loads the Node-only transfer code on first use (never in a browser). */
export function loadNodeArtifacts(): Promise<NodeArtifacts> {
  if (!isNode()) return Promise.reject(new CairnError("artifact uploads and downloads from local files need Node"));
  return import("./node/index.js");
}

/**
 * Artifacts of runs: list, upload, download, delete. Uploads and downloads stream from and to
 * disk (Node only); listing and deleting work anywhere.
 */
export class ArtifactsApi {
  constructor(
    private readonly transport: Transport,
    private readonly conn: Connection,
  ) {}

  /** One page of a run's artifacts (and, when not recursive, its folders). */
  list(runId: string, opts: ArtifactListOptions = {}): Promise<ArtifactList> {
    const prefix = normalizePrefix(opts.prefix);
    return this.transport.call("GET", artifactsUrlPath(runId), ArtifactList, {
      searchParams: {
        ...(prefix !== "" ? { prefix } : {}),
        recursive: opts.recursive ? "true" : "false",
        limit: opts.limit,
        cursor: opts.cursor,
      },
    });
  }

  /** Every artifact (and folder) matching, across pages. */
  async listAll(runId: string, opts: Omit<ArtifactListOptions, "cursor"> = {}): Promise<{ artifacts: Artifact[]; folders: ArtifactFolder[] }> {
    const artifacts: Artifact[] = [];
    const folders: ArtifactFolder[] = [];
    for await (const page of this.pages(runId, opts)) {
      artifacts.push(...page.artifacts);
      folders.push(...page.folders);
    }
    return { artifacts, folders };
  }

  /** Iterates over pages, fetching the next one as needed. */
  async *pages(runId: string, opts: ArtifactListOptions = {}): AsyncIterableIterator<ArtifactList> {
    let cursor = opts.cursor;
    for (;;) {
      const page = await this.list(runId, cursor === undefined ? { ...opts } : { ...opts, cursor });
      yield page;
      if (!page.nextCursor) return;
      cursor = page.nextCursor;
    }
  }

  /**
   * Uploads a file (as `opts.path`, default its name) or a directory (recursively, under
   * `opts.prefix`). Content the server already has is linked without sending it. Node only.
   */
  async upload(runId: string, localPath: string, opts: UploadOptions = {}): Promise<Artifact[]> {
    const node = await loadNodeArtifacts();
    const files = await node.collectFiles(localPath, opts);
    return this.uploadFiles(runId, files, opts);
  }

  /** Uploads files listed beforehand (with `collectFiles`), e.g. to size a progress bar first. Node only. */
  async uploadFiles(runId: string, files: LocalFile[], opts: Omit<UploadOptions, "path" | "prefix" | "ignore" | "onSkip"> = {}): Promise<Artifact[]> {
    if (files.length === 0) return [];
    const node = await loadNodeArtifacts();
    return node.uploadFiles({ transport: this.transport, conn: this.conn }, runId, files, opts);
  }

  /**
   * Downloads an artifact to `dest` (default: its name in the working directory; into `dest`
   * when that is a directory), or every artifact below a folder path into the folder `dest`.
   * Verifies each file's sha256 and writes it atomically (temp file + rename). Node only.
   */
  async download(runId: string, path: string, dest?: string, opts: DownloadOptions = {}) {
    const node = await loadNodeArtifacts();
    const listFolder = async (id: string, prefix: string) => (await this.listAll(id, { prefix, recursive: true })).artifacts;
    return node.download(this.conn, listFolder, runId, path, dest, opts);
  }

  /** Removes an artifact from a run (its blob stays while other artifacts reference it). */
  async delete(runId: string, path: string): Promise<void> {
    const res = await this.transport.raw("DELETE", artifactUrlPath(runId, normalizeArtifactPath(path)));
    if (res.status >= 400) throw errorFromResponse(res);
  }
}

/** Admin: removes blobs no artifact references (after the grace period). A dry run (default) only lists them. */
export function collectGarbage(transport: Transport, body: GcRequest = {}): Promise<GcResult> {
  return transport.call("POST", "/api/v1/admin/gc", GcResult, { json: body });
}
