import { createHash } from "node:crypto";
import { Worker } from "node:worker_threads";
import { DIGEST_WORKER_SOURCE, type DigestWorkerLike, WorkerDigests } from "@cairn/core";

/**
 * The SDK's hashing thread: large files are hashed there while the event loop moves bytes
 * between the disk and the socket (sha256 is ~0.6 s per GiB here). Small files hash inline.
 */
export const transferDigests = new WorkerDigests(() => new Worker(DIGEST_WORKER_SOURCE, { eval: true }) as unknown as DigestWorkerLike, createHash);

/** Bytes per block read from or written to disk in a transfer. */
export const TRANSFER_BLOCK_BYTES = 2 * 2 ** 20;
/**
 * Blocks per transfer: all but one may be in flight (being written, sent or hashed), so a late
 * answer from the thread pool or the hashing thread on a busy machine does not stall the pipe.
 */
export const TRANSFER_BLOCKS = 4;
