import type { BlockDigest } from "./block-writer.js";

/**
 * The script of a hashing worker thread, for `new Worker(DIGEST_WORKER_SOURCE, { eval: true })`
 * (a string, so no bundler has to find a worker file). It keeps one running hash per id, reads
 * each block straight from the caller's SharedArrayBuffer and answers every message in order.
 */
export const DIGEST_WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const hashes = new Map();
parentPort.on("message", (m) => {
  try {
    if (m.op === "update") {
      let h = hashes.get(m.id);
      if (!h) hashes.set(m.id, (h = createHash(m.algorithm)));
      h.update(new Uint8Array(m.buffer, m.offset, m.length));
      parentPort.postMessage({ seq: m.seq });
    } else {
      const h = hashes.get(m.id) ?? createHash(m.algorithm);
      hashes.delete(m.id);
      parentPort.postMessage({ seq: m.seq, hex: m.op === "digest" ? h.digest("hex") : "" });
    }
  } catch (e) {
    hashes.delete(m.id);
    parentPort.postMessage({ seq: m.seq, error: String(e && e.message || e) });
  }
});
`;

/** What core needs of a worker thread (Node's `Worker` fits), so core itself imports no Node module. */
export interface DigestWorkerLike {
  postMessage(message: unknown): void;
  on(event: "message", listener: (message: never) => void): unknown;
  on(event: "error" | "exit", listener: (arg: never) => void): unknown;
  ref(): void;
  unref(): void;
  terminate(): unknown;
}

/** A running hash fed block by block (BlockWriter's `digest`). */
export interface RunningHash extends BlockDigest {
  /** Whether blocks must live on a SharedArrayBuffer (BlockWriter's `shared`): true in the worker. */
  readonly shared: boolean;
  /** Lowercase hex of everything updated so far; the hash is gone afterwards. */
  digest(): Promise<string>;
  /** Drops the hash without a result (a failed transfer). */
  discard(): void;
}

/** Node's `crypto.createHash` as far as the inline path needs it. */
export type CreateHash = (algorithm: string) => { update(data: Uint8Array): unknown; digest(encoding: "hex"): string };

export interface WorkerDigestsOptions {
  /** Hashes on the calling thread when a transfer is known to be smaller than this (default 8 MiB). */
  inlineBelowBytes?: number;
  algorithm?: string;
}

type Reply = { seq: number; hex?: string; error?: string };

/** A running hash on the calling thread (Node's `createHash("sha256")` fits), fed block by block. */
export function hashOnThisThread(hash: ReturnType<CreateHash>): RunningHash {
  let done = false;
  return {
    shared: false,
    update: async (data, length) => {
      if (done) throw new Error("this hash was already finished");
      hash.update(data.subarray(0, length));
    },
    digest: async () => {
      if (done) throw new Error("this hash was already finished");
      done = true;
      return hash.digest("hex");
    },
    discard: () => {
      done = true;
    },
  };
}

/**
 * Hashes off the event loop: one long-lived worker thread (started on first use, kept out of
 * the way of process exit while idle) serves every hash of the process. sha256 costs ~0.6 s
 * per GiB here; on the event loop that time is taken from the socket and the disk.
 *
 * Blocks must live on a SharedArrayBuffer (BlockWriter's `shared` option): the worker reads
 * them in place, and the caller reuses a block only once its `update` has resolved.
 */
export class WorkerDigests {
  private worker: DigestWorkerLike | undefined;
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private ids = 0;

  private readonly algorithm: string;
  private readonly inlineBelowBytes: number;

  constructor(
    private readonly spawn: () => DigestWorkerLike,
    private readonly createHash: CreateHash,
    options: WorkerDigestsOptions = {},
  ) {
    this.algorithm = options.algorithm ?? "sha256";
    this.inlineBelowBytes = options.inlineBelowBytes ?? 8 * 2 ** 20;
  }

  /**
   * A new hash: on this thread when `expectedBytes` is known and small (a round trip to the
   * worker per block would cost more than the hashing), in the worker otherwise.
   */
  open(expectedBytes?: number): RunningHash {
    if (expectedBytes !== undefined && expectedBytes < this.inlineBelowBytes) return this.inline();
    return this.inWorker();
  }

  private inline(): RunningHash {
    return hashOnThisThread(this.createHash(this.algorithm));
  }

  private inWorker(): RunningHash {
    const id = ++this.ids;
    // The running hash lives in this worker: if it goes away, the hash cannot go on elsewhere.
    const worker = this.ensureWorker();
    let done = false;
    const send = (message: Record<string, unknown>) => {
      if (this.worker !== worker) return Promise.reject(new Error("the hashing worker stopped"));
      return this.call(worker, { ...message, id, algorithm: this.algorithm });
    };
    return {
      shared: true,
      update: async (data, length) => {
        if (done) throw new Error("this hash was already finished");
        if (!(data.buffer instanceof SharedArrayBuffer)) throw new TypeError("WorkerDigests hashes blocks on a SharedArrayBuffer only");
        await send({ op: "update", buffer: data.buffer, offset: data.byteOffset, length });
      },
      digest: async () => {
        if (done) throw new Error("this hash was already finished");
        done = true;
        return (await send({ op: "digest" })).hex ?? "";
      },
      discard: () => {
        if (done) return;
        done = true;
        send({ op: "discard" }).catch(() => {});
      },
    };
  }

  /** Stops the worker (tests, shutdown); a later hash starts a new one. */
  close(): void {
    const w = this.worker;
    this.worker = undefined;
    if (w) this.failAll(w, new Error("the hashing worker was closed"));
    void w?.terminate();
  }

  private call(worker: DigestWorkerLike, message: Record<string, unknown>): Promise<Reply> {
    const seq = ++this.seq;
    return new Promise<Reply>((resolve, reject) => {
      // Referenced only while it owes an answer, so an idle worker never keeps the process alive.
      worker.ref();
      this.pending.set(seq, { worker, resolve, reject });
      worker.postMessage({ ...message, seq });
    }).then((r) => {
      if (r.error !== undefined) throw new Error(`hashing failed: ${r.error}`);
      return r;
    });
  }

  private settle(seq: number): Pending | undefined {
    const p = this.pending.get(seq);
    if (!p) return undefined;
    this.pending.delete(seq);
    if (![...this.pending.values()].some((q) => q.worker === p.worker)) p.worker.unref();
    return p;
  }

  private failAll(worker: DigestWorkerLike, error: Error): void {
    if (this.worker === worker) this.worker = undefined;
    for (const [seq, p] of [...this.pending]) if (p.worker === worker) this.settle(seq)?.reject(error);
  }

  private ensureWorker(): DigestWorkerLike {
    if (this.worker) return this.worker;
    const worker = this.spawn();
    worker.unref();
    worker.on("message", (r: Reply) => this.settle(r.seq)?.resolve(r));
    worker.on("error", (e: Error) => this.failAll(worker, e));
    worker.on("exit", (code: number) => this.failAll(worker, new Error(`the hashing worker exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }
}

interface Pending {
  worker: DigestWorkerLike;
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
}
