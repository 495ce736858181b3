import { randomUUID } from "node:crypto";
import { pipeline, Readable } from "node:stream";
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { ArtifactStoreConfig } from "../../config.js";
import type { BlobStat, BlobStore, ByteRange, PutOptions, StagedBlob, StoredKey, UploadBody } from "./blob-store.js";
import { isSha256 } from "./blob-store.js";
import { HashingStream } from "./hashing.js";

type S3Config = Extract<ArtifactStoreConfig, { kind: "s3" }>;

/** 8 MiB parts × 4 in flight bounds an upload's memory to ~32 MiB. */
const PART_BYTES = 8 * 1024 * 1024;
const QUEUE = 4;

/**
 * Blobs as objects `<prefix>/blobs/<sha256>`. With the client's sha256 the upload goes
 * straight to the final key and fails before completing on a mismatch (a multipart upload
 * is aborted, a single PUT never starts), so nothing partial becomes visible. Without it
 * the upload goes to `<prefix>/tmp/<uuid>` and is copied into place once hashed.
 * Credentials come from the AWS SDK's default chain (AWS_ACCESS_KEY_ID, profiles, roles).
 */
export class S3BlobStore implements BlobStore {
  readonly kind = "s3" as const;
  private readonly client: S3Client;
  private readonly base: string;

  constructor(private readonly config: S3Config) {
    this.client = new S3Client({
      region: config.region,
      forcePathStyle: config.forcePathStyle,
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      // Many S3-compatible stores (s3rver, older MinIO) reject the SDK's default CRC32 trailers.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
    this.base = config.prefix ? `${config.prefix}/` : "";
  }

  private key(sha256: string): string {
    if (!isSha256(sha256)) throw new Error(`not a sha256: ${sha256}`);
    return `${this.base}blobs/${sha256}`;
  }

  async stage(input: Readable | UploadBody, options: PutOptions): Promise<StagedBlob> {
    // The AWS SDK reads a stream: chunks it may keep, so no reused buffers here.
    const body = input instanceof Readable ? input : input.stream();
    const direct = options.expectedSha256 !== undefined;
    const key = direct ? this.key(options.expectedSha256!) : `${this.base}tmp/${randomUUID()}`;
    const hashing = new HashingStream(options);
    // pipeline, not pipe: a client that disconnects mid-body must fail the upload, not stall it.
    pipeline(body, hashing, () => {});
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.config.bucket, Key: key, Body: hashing },
      partSize: PART_BYTES,
      queueSize: QUEUE,
      leavePartsOnError: false,
    });
    const streamFailed = new Promise<never>((_, reject) => hashing.once("error", reject));
    streamFailed.catch(() => upload.abort().catch(() => {}));
    try {
      await Promise.race([upload.done(), streamFailed]);
    } catch (e) {
      await upload.abort().catch(() => {});
      if (!direct) await this.deleteKey(key);
      throw e;
    }
    const sha256 = hashing.sha256;
    const discard = () => (direct ? Promise.resolve() : this.deleteKey(key));
    return {
      sha256,
      size: hashing.bytes,
      place: async () => {
        // Under the row lock: if GC took the object while it streamed (a grace period shorter
        // than the upload), fail now rather than record an artifact without bytes.
        if (direct) {
          if (!(await this.stat(sha256))) throw new Error("the uploaded object was collected before it was recorded; raise CAIRN_GC_GRACE_HOURS");
          return;
        }
        if (!(await this.stat(sha256))) {
          await this.client.send(new CopyObjectCommand({ Bucket: this.config.bucket, Key: this.key(sha256), CopySource: `${this.config.bucket}/${encodeURI(key)}` }));
        }
        await discard();
      },
      discard,
    };
  }

  private async deleteKey(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: key })).catch(() => {});
  }

  async stat(sha256: string): Promise<BlobStat | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.config.bucket, Key: this.key(sha256) }));
      return { size: Number(head.ContentLength ?? 0) };
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || (e as Error).name === "NotFound" || (e as Error).name === "NoSuchKey") return undefined;
      throw e;
    }
  }

  async read(sha256: string, range?: ByteRange): Promise<Readable> {
    const res = await this.client.send(
      new GetObjectCommand({ Bucket: this.config.bucket, Key: this.key(sha256), ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
    );
    const body = res.Body;
    if (body instanceof Readable) return body;
    return Readable.fromWeb((body as { transformToWebStream(): import("node:stream/web").ReadableStream }).transformToWebStream());
  }

  async deleteMany(sha256s: string[]): Promise<void> {
    for (let i = 0; i < sha256s.length; i += 1000) {
      const chunk = sha256s.slice(i, i + 1000);
      if (chunk.length === 0) continue;
      await this.client.send(new DeleteObjectsCommand({ Bucket: this.config.bucket, Delete: { Objects: chunk.map((s) => ({ Key: this.key(s) })), Quiet: true } }));
    }
  }

  private async *listPrefix(prefix: string): AsyncIterable<{ key: string; modifiedAt: Date }> {
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.config.bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
      for (const o of page.Contents ?? []) if (o.Key) yield { key: o.Key, modifiedAt: o.LastModified ?? new Date(0) };
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async *list(): AsyncIterable<StoredKey> {
    const prefix = `${this.base}blobs/`;
    for await (const o of this.listPrefix(prefix)) {
      const sha256 = o.key.slice(prefix.length);
      if (isSha256(sha256)) yield { sha256, modifiedAt: o.modifiedAt };
    }
  }

  async cleanTemp(olderThanMs: number, dryRun: boolean): Promise<number> {
    let n = 0;
    for await (const o of this.listPrefix(`${this.base}tmp/`)) {
      if (Date.now() - o.modifiedAt.getTime() < olderThanMs) continue;
      n++;
      if (!dryRun) await this.deleteKey(o.key);
    }
    return n;
  }

  close(): void {
    this.client.destroy();
  }
}
