import { z } from "zod";
import { IsoDateTime, ListQuery, PageInfo, Text, Uuid } from "./common.js";
import { ArtifactPath } from "./artifacts.js";

/**
 * The contract of dataset versions: an inferred schema and a mergeable profile per
 * column, computed by the SDK (packages/core/src/datasets) and stored by the server.
 * Later issues compare production windows and new data against these profiles.
 */
export const ColumnType = z.enum(["numerical", "categorical", "boolean", "datetime", "text"]);
export type ColumnType = z.infer<typeof ColumnType>;

export const ColumnName = Text(1000, 1);

export const ColumnSchema = z
  .object({
    name: ColumnName,
    type: ColumnType,
    nullable: z.boolean(),
    /** For categorical columns with a small domain (≤ 50 values): every value seen, sorted. */
    domain: z.array(Text(10_000)).max(50).optional(),
  })
  .strict()
  .meta({ id: "ColumnSchema" });
export type ColumnSchema = z.infer<typeof ColumnSchema>;

export const DatasetSchema = z
  .object({ columns: z.array(ColumnSchema).max(10_000) })
  .strict()
  .meta({ id: "DatasetSchema" });
export type DatasetSchema = z.infer<typeof DatasetSchema>;

const Finite = z.number().refine(Number.isFinite, "must be a finite number");

/**
 * A mergeable quantile sketch: weighted centroids sorted by mean (t-digest style).
 * Merging two sketches and compressing gives the sketch of the union.
 */
export const QuantileSketch = z
  .object({
    means: z.array(Finite).max(10_000),
    weights: z.array(z.number().min(0)).max(10_000),
    /** Every distinct value with its exact count (at most 500 distinct values): quantiles from it are exact. */
    exact: z.boolean().optional(),
    /** Indices of centroids whose values are all equal (heavy ties kept as one value). */
    singleValued: z.array(z.number().int().min(0)).max(10_000).optional(),
  })
  .strict();
export type QuantileSketch = z.infer<typeof QuantileSketch>;

export const Quantiles = z
  .object({ p1: Finite, p5: Finite, p25: Finite, p50: Finite, p75: Finite, p95: Finite, p99: Finite })
  .strict();
export type Quantiles = z.infer<typeof Quantiles>;

export const NumericalStats = z
  .object({
    mean: Finite,
    std: Finite,
    /** Sum of squared deviations from the mean: with count and mean, merges exactly (Chan et al.). */
    m2: Finite,
    min: Finite,
    max: Finite,
    zeros: z.number().int().min(0),
    /** ±Infinity and NaN values, excluded from the figures above. */
    nonFinite: z.number().int().min(0),
    quantiles: Quantiles,
    /** The reference deciles (10%…90%, numpy linear) and the share of values in each of the 10 bins they cut (a value equal to an edge goes to the upper bin). */
    deciles: z.object({ edges: z.array(Finite).length(9), shares: z.array(z.number().min(0).max(1)).length(10) }).strict(),
    /** Equal-width histogram over [min, max]. */
    histogram: z.object({ edges: z.array(Finite).min(2).max(1001), counts: z.array(z.number().int().min(0)).max(1000) }).strict(),
    sketch: QuantileSketch,
  })
  .strict();
export type NumericalStats = z.infer<typeof NumericalStats>;

export const CategoryCount = z.object({ value: z.string(), count: z.number().int().min(0), share: z.number().min(0).max(1) }).strict();

export const CategoricalStats = z
  .object({
    /** Most frequent values first; `otherCount` holds the rest. */
    top: z.array(CategoryCount).max(1000),
    otherCount: z.number().int().min(0),
    /** True when `top` holds every category (exact counts, exact merges). */
    complete: z.boolean(),
  })
  .strict();
export type CategoricalStats = z.infer<typeof CategoricalStats>;

export const BooleanStats = z.object({ trueCount: z.number().int().min(0), falseCount: z.number().int().min(0) }).strict();

export const TextStats = z
  .object({ minLength: z.number().int().min(0), maxLength: z.number().int().min(0), meanLength: z.number().min(0) })
  .strict();

export const ColumnProfile = z
  .object({
    name: ColumnName,
    type: ColumnType,
    /** Values present (not missing). `count + missing` is the dataset's row count. */
    count: z.number().int().min(0),
    missing: z.number().int().min(0),
    /** Distinct values: exact when the profile knows every value, else HyperLogLog (2^12 registers; `hll` encoding in docs/profiles.md). */
    distinct: z.object({ estimate: z.number().min(0), hll: z.string().max(20_000) }).strict(),
    /** numerical: the values; datetime: epoch milliseconds. */
    numerical: NumericalStats.optional(),
    /** categorical, boolean (as "true"/"false") and text (top values). */
    categorical: CategoricalStats.optional(),
    boolean: BooleanStats.optional(),
    text: TextStats.optional(),
  })
  .strict()
  .meta({ id: "ColumnProfile" });
export type ColumnProfile = z.infer<typeof ColumnProfile>;

export const DatasetProfile = z
  .object({
    version: z.literal(1),
    rowCount: z.number().int().min(0),
    columns: z.array(ColumnProfile).max(10_000),
  })
  .strict()
  .meta({ id: "DatasetProfile" });
export type DatasetProfile = z.infer<typeof DatasetProfile>;

export const DatasetRole = Text(100, 1).regex(/^[a-z][a-z0-9_-]*$/, "must be a lowercase word (train, validation, test, reference, or your own)");

/** Content digest: `sha256:` + hex over the canonical typed encoding of the data (independent of how it was passed). */
export const DatasetDigest = z.string().regex(/^sha256:[0-9a-f]{64}$/, "must be sha256:<64 hex>");

export const DatasetName = Text(250, 1).regex(/^[A-Za-z0-9][A-Za-z0-9_.\-/]*$/, "must start with a letter or digit and contain only letters, digits and _ . - /");

export const CreateDatasetVersion = z
  .object({
    digest: DatasetDigest,
    rowCount: z.number().int().min(0),
    schema: DatasetSchema,
    profile: DatasetProfile.optional(),
    /** The data itself, when uploaded (`upload: true`): an artifact of a run. */
    artifact: z.object({ runId: Uuid, path: ArtifactPath }).strict().optional(),
    /** Where the data came from (file name, URI): informational. */
    source: Text(2000).optional(),
    description: Text(10_000).optional(),
  })
  .strict()
  .meta({ id: "CreateDatasetVersion" });
export type CreateDatasetVersion = z.infer<typeof CreateDatasetVersion>;

export const DatasetVersion = z
  .object({
    id: Uuid,
    datasetId: Uuid,
    projectId: Uuid,
    name: z.string(),
    version: z.number().int().min(1),
    digest: z.string(),
    rowCount: z.number().int().min(0),
    schema: DatasetSchema,
    profile: DatasetProfile.nullable(),
    artifact: z.object({ runId: Uuid, path: z.string() }).nullable(),
    source: z.string().nullable(),
    createdAt: IsoDateTime,
  })
  .meta({ id: "DatasetVersion" });
export type DatasetVersion = z.infer<typeof DatasetVersion>;

export const DatasetVersionList = PageInfo.extend({ versions: z.array(DatasetVersion) }).meta({ id: "DatasetVersionList" });

/** `GET …/datasets/{name}/versions`: newest first; profiles only when asked for (they can be large). */
export const DatasetVersionListQuery = ListQuery.extend({
  include: z.enum(["profile"]).optional().describe("`profile` to include each version's profile"),
});
export type DatasetVersionListQuery = z.infer<typeof DatasetVersionListQuery>;

/** A version in a URL: its number, `latest`, or its digest (`sha256:<hex>`). */
export const DatasetVersionRef = z
  .string()
  .max(100)
  .regex(/^(?:[1-9][0-9]{0,9}|latest|sha256:[0-9a-f]{64})$/, "must be a version number, `latest` or a digest sha256:<64 hex>");

export const Dataset = z
  .object({ id: Uuid, projectId: Uuid, name: z.string(), description: z.string(), createdAt: IsoDateTime, latestVersion: z.number().int().nullable() })
  .meta({ id: "Dataset" });
export type Dataset = z.infer<typeof Dataset>;
export const DatasetList = PageInfo.extend({ datasets: z.array(Dataset) }).meta({ id: "DatasetList" });

export const RunDatasetLink = z
  .object({ datasetVersionId: Uuid, role: DatasetRole })
  .strict()
  .meta({ id: "RunDatasetLink" });
export type RunDatasetLink = z.infer<typeof RunDatasetLink>;

export const RunDataset = z
  .object({
    direction: z.enum(["input", "output"]),
    role: z.string(),
    datasetVersion: DatasetVersion.omit({ profile: true, schema: true }),
    createdAt: IsoDateTime,
  })
  .meta({ id: "RunDataset" });
export const RunDatasetList = z.object({ datasets: z.array(RunDataset) }).meta({ id: "RunDatasetList" });
