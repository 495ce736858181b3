import { z } from "zod";
import { IsoDateTime, PageInfo, Text, Uuid } from "./common.js";

export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "must be a lowercase hex sha256");

/** An artifact path as stored: relative, `/`-separated, normalised (see `artifacts/path.ts`). */
export const ArtifactPath = Text(1024, 1);

export const Artifact = z
  .object({
    id: Uuid,
    runId: Uuid,
    path: z.string(),
    sha256: Sha256Hex,
    size: z.number().int().min(0),
    mediaType: z.string(),
    createdAt: IsoDateTime,
  })
  .meta({ id: "Artifact" });
export type Artifact = z.infer<typeof Artifact>;

/** A folder in a listing: the common prefix of the artifacts below it (ends with `/`). */
export const ArtifactFolder = z
  .object({ path: z.string(), count: z.number().int().min(0), size: z.number().int().min(0) })
  .meta({ id: "ArtifactFolder" });
export type ArtifactFolder = z.infer<typeof ArtifactFolder>;

export const ArtifactListQuery = z.object({
  /** A folder to list (`models/`); the run's root when omitted. */
  prefix: Text(1024).optional(),
  /** true lists every file below the prefix; false (default) lists one level with folders. */
  recursive: z.enum(["true", "false"]).default("false").transform((v) => v === "true"),
  limit: z.coerce.number().int().min(1).max(1000).default(1000),
  cursor: z.string().max(2000).optional(),
});
export type ArtifactListQuery = z.input<typeof ArtifactListQuery>;

export const ArtifactList = PageInfo.extend({
  artifacts: z.array(Artifact),
  folders: z.array(ArtifactFolder),
}).meta({ id: "ArtifactList" });
export type ArtifactList = z.infer<typeof ArtifactList>;

/**
 * Ask-first upload: the client names files by content; the server links those whose
 * blob it already has (no bytes sent) and lists the rest for the client to PUT.
 */
export const LinkArtifacts = z
  .object({
    artifacts: z
      .array(
        z
          .object({
            path: ArtifactPath,
            sha256: Sha256Hex,
            size: z.number().int().min(0),
            mediaType: Text(255).optional(),
          })
          .strict(),
      )
      .min(1)
      .max(1000),
    /** Replace an existing artifact at the same path with different content (audited). */
    overwrite: z.boolean().optional(),
  })
  .strict()
  .meta({ id: "LinkArtifacts" });
export type LinkArtifacts = z.infer<typeof LinkArtifacts>;

export const LinkArtifactsResult = z
  .object({
    linked: z.array(Artifact),
    /** Paths whose content the server does not have: upload them with PUT. */
    missing: z.array(z.object({ path: z.string(), sha256: Sha256Hex })),
  })
  .meta({ id: "LinkArtifactsResult" });
export type LinkArtifactsResult = z.infer<typeof LinkArtifactsResult>;

export const GcRequest = z
  .object({
    /** List what would be removed without removing it. */
    dryRun: z.boolean().default(true),
    /** Override the configured grace period (hours an unreferenced blob is kept). */
    graceHours: z.number().min(0).max(876_000, "must be at most 876000 (100 years)").optional(),
    /** Also purge soft-deleted runs and projects past their retention first. */
    purgeExpired: z.boolean().default(true),
  })
  .strict()
  .meta({ id: "GcRequest" });
export type GcRequest = z.input<typeof GcRequest>;

export const GcResult = z
  .object({
    dryRun: z.boolean(),
    blobs: z.array(z.object({ sha256: Sha256Hex, size: z.number().int().min(0) })),
    reclaimedBytes: z.number().int().min(0),
    purgedRuns: z.number().int().min(0),
    purgedProjects: z.number().int().min(0),
    /** Interrupted uploads older than a day found in the store's temporary area (removed unless dry). */
    staleTempFiles: z.number().int().min(0),
    /** Objects older than a day with no blob record (a crash between write and commit), removed unless dry. */
    orphanObjects: z.number().int().min(0),
  })
  .meta({ id: "GcResult" });
export type GcResult = z.infer<typeof GcResult>;
