import { createHash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { DigestMismatchError, TooLargeError } from "./blob-store.js";

/** Buffered on each side; the file writer batches the small socket chunks into one writev. */
const BUFFER_BYTES = 1024 * 1024;

/**
 * Hashes and counts the bytes passing through, enforcing the size cap as they arrive and
 * the expected digest before the stream ends: on a mismatch the stream errors instead of
 * finishing, so no writer downstream ever completes (S3 aborts the upload).
 */
export class HashingStream extends Transform {
  private readonly hash = createHash("sha256");
  private held: Buffer | undefined;
  bytes = 0;
  sha256 = "";

  constructor(private readonly options: { maxBytes: number; expectedSha256?: string | undefined }) {
    super({ highWaterMark: BUFFER_BYTES });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.options.maxBytes) return done(new TooLargeError(this.options.maxBytes));
    this.hash.update(chunk);
    // The last chunk is held back until the digest is checked, so a mismatch can fail
    // the stream before a writer downstream has received every byte and completed.
    if (this.held) this.push(this.held);
    this.held = chunk;
    done();
  }

  override _flush(done: TransformCallback): void {
    this.sha256 = this.hash.digest("hex");
    const expected = this.options.expectedSha256;
    if (expected && expected !== this.sha256) return done(new DigestMismatchError(expected, this.sha256));
    if (this.held) this.push(this.held);
    this.held = undefined;
    done();
  }
}
