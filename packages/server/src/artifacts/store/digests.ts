import { createHash } from "node:crypto";
import { Worker } from "node:worker_threads";
import { DIGEST_WORKER_SOURCE, type DigestWorkerLike, WorkerDigests } from "@cairn/core";

/**
 * The server's hashing thread: large uploads are hashed there while the event loop receives
 * and writes (sha256 is ~0.6 s per GiB here, which on the event loop held the socket back).
 */
export const uploadDigests = new WorkerDigests(() => new Worker(DIGEST_WORKER_SOURCE, { eval: true }) as unknown as DigestWorkerLike, createHash);
