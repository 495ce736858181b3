/** Rows as objects, columns as arrays (or typed arrays) of equal length, or a path to a .csv / .jsonl / .ndjson file. */
export type DatasetData = ReadonlyArray<Record<string, unknown>> | Readonly<Record<string, ArrayLike<unknown>>> | string;

/** Options of `run.logDataset()` and `run.logOutputDataset()`. */
export interface LogDatasetOptions {
  /** Dataset name in the project: letters, digits and `_ . - /`. */
  name: string;
  data: DatasetData;
  /** `train` (default for inputs), `validation`, `test`, `reference`, or your own lowercase word. Outputs default to `output`. */
  role?: string;
  /** Also store the data itself as an artifact of this run (default false: only the schema and profile are sent). */
  upload?: boolean;
  /** For a file path: its format, when the extension does not tell (.csv, .jsonl, .ndjson). */
  format?: "csv" | "jsonl";
  /** Shown on the dataset. */
  description?: string;
  /** Where the data came from (a URI, a query); for a file, its path by default. */
  source?: string;
  /** CSV field delimiter (default ","). */
  delimiter?: string;
}

/** What the SDK computes locally before anything is sent. */
export interface ComputedDataset {
  digest: string;
  rowCount: number;
  schema: import("@cairn/core").DatasetSchema;
  profile: import("@cairn/core").DatasetProfile;
}
