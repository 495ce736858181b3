import type { ArtifactStoreConfig } from "../../config.js";
import type { BlobStore } from "./blob-store.js";
import { FsBlobStore } from "./fs-store.js";
import { S3BlobStore } from "./s3-store.js";

export * from "./blob-store.js";

export function createBlobStore(config: ArtifactStoreConfig): BlobStore {
  return config.kind === "fs" ? new FsBlobStore(config.root) : new S3BlobStore(config);
}
