import type { ColumnType, DatasetProfile, DatasetSchema } from "../schemas/datasets.js";
import { ColumnAccumulator, type ColumnOptions } from "./column.js";
import { combineDigests, type DigestSink } from "./digest.js";
import { schemaFromProfile } from "./schema.js";

export interface ProfilerOptions {
  /** Fixed column types (e.g. after a ColumnTypeChangeError restart); inferred otherwise. */
  types?: Record<string, ColumnType>;
  /** A fresh hash per call, e.g. `() => wrap(createHash("sha256"))`; no digest when absent. */
  digest?: () => DigestSink;
  /** Categories kept per column (default 100). */
  topK?: number;
  /** Equal-width histogram bins (default 20). */
  histogramBins?: number;
  /**
   * Finite values per column kept for exact quantiles; beyond it quantiles come from the
   * sketch. Default: 2^25 values (256 MiB) shared by the columns, at least 65,536 and at
   * most 4,194,304 per column.
   */
  exactLimit?: number;
  /** Distinct strings counted exactly per column (default 100,000). */
  maxTrackedStrings?: number;
}

export interface ProfileResult {
  schema: DatasetSchema;
  profile: DatasetProfile;
  rowCount: number;
  /** "sha256:<hex>" when a digest was asked for. */
  digest?: string;
}

/**
 * A value did not fit the type a column had from earlier chunks (a word in a numerical
 * column after 1M rows). Counting it would be wrong, so the profile cannot continue: start
 * a new profiler with `types` (all widenings found in the chunk are in `types`).
 */
export class ColumnTypeChangeError extends Error {
  override readonly name = "ColumnTypeChangeError";
  constructor(
    readonly column: string,
    readonly from: ColumnType,
    readonly to: ColumnType,
    /** The fixed types to restart with: the profiler's own plus every widening found. */
    readonly types: Record<string, ColumnType>,
  ) {
    super(`column "${column}" holds a value that is not ${from}: restart the profile with it as ${to}`);
  }
}

const typeOfKind = { number: "numerical", datetime: "datetime", boolean: "boolean", string: "categorical" } as const;

/**
 * Profiles a dataset passed in chunks of rows, as columns or records, in one pass with
 * bounded memory; `finish()` gives the schema, the profile and the content digest.
 */
export class DatasetProfiler {
  private readonly columns = new Map<string, ColumnAccumulator>();
  private readonly opts: ColumnOptions;
  private readonly types: Record<string, ColumnType>;
  private rows = 0;
  private done = false;

  constructor(private readonly options: ProfilerOptions = {}) {
    this.types = { ...options.types };
    this.opts = {
      topK: options.topK ?? 100,
      histogramBins: options.histogramBins ?? 20,
      exactLimit: options.exactLimit !== undefined ? () => options.exactLimit! : () => Math.min(1 << 22, Math.max(1 << 16, Math.floor((1 << 25) / Math.max(1, this.columns.size)))),
      maxTrackedStrings: options.maxTrackedStrings ?? 100_000,
      digest: options.digest,
    };
    if (!(this.opts.topK >= 1 && this.opts.topK <= 1000)) throw new RangeError("topK must be between 1 and 1000");
    if (!(this.opts.histogramBins >= 1 && this.opts.histogramBins <= 1000)) throw new RangeError("histogramBins must be between 1 and 1000");
  }

  private fixedType(name: string): ColumnType | undefined {
    return Object.hasOwn(this.types, name) ? this.types[name] : undefined;
  }

  private column(name: string): ColumnAccumulator {
    let c = this.columns.get(name);
    if (!c) {
      c = new ColumnAccumulator(name, this.opts, this.fixedType(name));
      // A column first seen now was missing in every earlier row.
      if (this.rows > 0) c.add(undefined, this.rows);
      this.columns.set(name, c);
    }
    return c;
  }

  /** Rows as columns: arrays (or typed arrays) of raw values, `rowCount` long; absent columns are missing. */
  addColumns(columns: Record<string, ArrayLike<unknown>>, rowCount: number): void {
    if (this.done) throw new Error("the profiler has finished");
    if (!(Number.isInteger(rowCount) && rowCount >= 0)) throw new RangeError("rowCount must be a non-negative integer");
    for (const name of Object.keys(columns)) this.column(name);
    const changes: Array<{ column: string; from: ColumnType; to: ColumnType }> = [];
    for (const [name, acc] of this.columns) {
      const values = columns[name];
      if (values && values.length < rowCount) throw new RangeError(`column "${name}" has ${values.length} values, expected ${rowCount}`);
      const change = acc.add(values, rowCount);
      if (change) changes.push({ column: name, from: this.fixedType(name) ?? typeOfKind[change.from], to: acc.typeAfterWidening(change.to) });
    }
    this.rows += rowCount;
    if (changes.length > 0) {
      this.done = true;
      // Null prototype: a column may be called "__proto__".
      const types: Record<string, ColumnType> = Object.assign(Object.create(null), this.types);
      for (const c of changes) types[c.column] = c.to;
      const first = changes[0]!;
      throw new ColumnTypeChangeError(first.column, first.from, first.to, types);
    }
  }

  /** Rows as objects; keys missing from a record are missing values. */
  addRecords(records: ReadonlyArray<Record<string, unknown>>): void {
    const columns: Record<string, unknown[]> = Object.create(null);
    const n = records.length;
    for (const name of this.columns.keys()) columns[name] = new Array(n);
    for (let i = 0; i < n; i++) {
      const r = records[i]!;
      for (const key in r) {
        if (!Object.hasOwn(r, key)) continue;
        let col = columns[key];
        if (!col) col = columns[key] = new Array(n);
        col[i] = r[key];
      }
    }
    this.addColumns(columns, n);
  }

  finish(): ProfileResult {
    if (this.done) throw new Error("the profiler has finished");
    this.done = true;
    const accs = [...this.columns.values()];
    const profile: DatasetProfile = { version: 1, rowCount: this.rows, columns: accs.map((a) => a.profile()) };
    const result: ProfileResult = { schema: schemaFromProfile(profile), profile, rowCount: this.rows };
    if (this.options.digest) {
      const cols = accs.map((a) => ({ name: a.name, kind: a.digestKind(), digest: a.columnDigest()! }));
      result.digest = combineDigests(this.options.digest(), this.rows, cols);
    }
    return result;
  }
}
