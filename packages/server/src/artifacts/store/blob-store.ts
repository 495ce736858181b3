import type { FileHandle } from "node:fs/promises";
import type { Readable } from "node:stream";

/** A blob written to the store's temporary area, not yet visible under its content address. */
export interface StagedBlob {
  sha256: string;
  size: number;
  /**
   * Makes the blob visible at its content address (no-op when it already is, or when
   * the content was already stored). Called while holding the blob's database row lock.
   */
  place(): Promise<void>;
  /** Removes whatever the upload left in the temporary area (idempotent). */
  discard(): Promise<void>;
}

export interface PutOptions {
  /** Lowercase hex the client says the content hashes to; a mismatch fails the put and stores nothing. */
  expectedSha256?: string | undefined;
  /** Bytes allowed; more fails the put with `TooLargeError` mid-stream. */
  maxBytes: number;
  /** The body's announced length (Content-Length), if any: small bodies are hashed on the event loop. */
  expectedBytes?: number | undefined;
}

/**
 * Receives a body chunk by chunk. The chunk may live in a buffer the source reuses: it is the
 * sink's only until the sink returns, or until the promise it returns settles (backpressure:
 * the source sends nothing more meanwhile). Throwing (or rejecting) stops the body.
 */
export type ChunkSink = (chunk: Uint8Array) => Promise<void> | undefined;

/**
 * An upload body that can hand its bytes over from a reused buffer instead of as a stream of
 * freshly allocated chunks. The filesystem store drains it with `drainInto`; a store that gives
 * the body to a library (S3) takes `stream()`. Only one of the two may be used, once.
 */
export interface UploadBody {
  drainInto(sink: ChunkSink): Promise<void>;
  stream(): Readable;
}

/** A plain stream as an UploadBody: each chunk is its own buffer, waited on when the sink pushes back. */
export function streamBody(body: Readable): UploadBody {
  return {
    async drainInto(sink) {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        const wait = sink(chunk);
        if (wait) await wait;
      }
    },
    stream: () => body,
  };
}

export const toUploadBody = (body: Readable | UploadBody): UploadBody => ("drainInto" in body ? body : streamBody(body));

export interface BlobStat {
  size: number;
}

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

export interface StoredKey {
  sha256: string;
  /** When the object was last written (orphan sweeps only touch old ones). */
  modifiedAt: Date;
}

/**
 * Content-addressed bytes. Keys are lowercase hex sha256; the store never sees artifact
 * paths, so a hostile path can never reach the filesystem or the bucket.
 */
export interface BlobStore {
  readonly kind: "fs" | "s3";
  /** Streams `body` into the temporary area, hashing in the same pass. */
  stage(body: Readable | UploadBody, options: PutOptions): Promise<StagedBlob>;
  stat(sha256: string): Promise<BlobStat | undefined>;
  /** The bytes, or a range of them; the caller has checked the range against the size. */
  read(sha256: string, range?: ByteRange): Promise<Readable>;
  /** The blob as a local file, when it is one (filesystem store): downloads are sent from reused buffers. */
  openFile?(sha256: string): Promise<FileHandle>;
  deleteMany(sha256s: string[]): Promise<void>;
  /** Every stored blob (GC's orphan sweep and tests). */
  list(): AsyncIterable<StoredKey>;
  /** Removes temporary uploads older than `olderThanMs`; returns how many (or would, when dry). */
  cleanTemp(olderThanMs: number, dryRun: boolean): Promise<number>;
  close(): void;
}

export class TooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`the artifact exceeds ${limit} bytes`);
  }
}

export class DigestMismatchError extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`the content hashes to ${actual}, not the announced ${expected}`);
  }
}

export const isSha256 = (s: string): boolean => /^[0-9a-f]{64}$/.test(s);
