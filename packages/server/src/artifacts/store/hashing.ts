import { createHash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { DigestMismatchError, TooLargeError } from "./blob-store.js";

/** Larger writes mean fewer syscalls and S3 parts: socket chunks (~64 KiB) are merged up to this. */
const WRITE_CHUNK_BYTES = 1024 * 1024;

/**
 * Hashes and counts the bytes passing through, enforcing the size cap as they arrive and
 * the expected digest before the stream ends: on a mismatch the stream errors instead of
 * finishing, so no writer downstream ever completes (S3 aborts the upload).
 */
export class HashingStream extends Transform {
  private readonly hash = createHash("sha256");
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  bytes = 0;
  sha256 = "";

  constructor(private readonly options: { maxBytes: number; expectedSha256?: string | undefined }) {
    super({ highWaterMark: WRITE_CHUNK_BYTES });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.options.maxBytes) return done(new TooLargeError(this.options.maxBytes));
    this.hash.update(chunk);
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= WRITE_CHUNK_BYTES) this.flushPending();
    done();
  }

  override _flush(done: TransformCallback): void {
    this.sha256 = this.hash.digest("hex");
    const expected = this.options.expectedSha256;
    if (expected && expected !== this.sha256) return done(new DigestMismatchError(expected, this.sha256));
    this.flushPending();
    done();
  }

  private flushPending(): void {
    if (this.pendingBytes === 0) return;
    this.push(this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes));
    this.pending = [];
    this.pendingBytes = 0;
  }
}
