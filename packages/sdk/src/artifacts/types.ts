import type { IgnoreOption } from "./ignore.js";

/** Progress of one file: `bytes` sent or received so far out of `total`. */
export interface TransferProgress {
  path: string;
  bytes: number;
  total: number;
  /** True when the server already had this content: the file was linked, no bytes were sent. */
  linked?: boolean;
}

export interface TransferOptions {
  /** Files transferred at once. Default 4. */
  concurrency?: number;
  /** Called as bytes move (about once per MiB per file). */
  onProgress?: (p: TransferProgress) => void;
  /** How long a failing request is retried (network errors, 5xx, 429) before giving up (ms). Default 60,000. */
  retryWindowMs?: number;
  signal?: AbortSignal;
}

export interface UploadOptions extends TransferOptions {
  /** Artifact path of a single file (default: its file name). */
  path?: string;
  /** Folder the files of a directory go under (default: the run's root). */
  prefix?: string;
  /** Media type; by default the server guesses it from the name. */
  mediaType?: string;
  /** Replace an artifact that exists at the same path with different content. */
  overwrite?: boolean;
  /** Directories only: what to skip. */
  ignore?: IgnoreOption;
  /** Called for a symlink that points outside the uploaded directory (skipped). Default: console.warn. */
  onSkip?: (localPath: string, reason: string) => void;
}

export type DownloadOptions = TransferOptions;

/** Where the Node-only transfer code sends its requests. */
export interface Connection {
  url: string;
  apiKey: string | undefined;
  /** Per-request timeout for JSON calls (ms); transfers time out on inactivity instead. */
  timeoutMs?: number;
}

/** One local file to upload under an artifact path. */
export interface LocalFile {
  localPath: string;
  path: string;
  size: number;
  mediaType?: string;
}
