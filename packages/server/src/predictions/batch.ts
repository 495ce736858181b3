import type { DecodedPredictionColumns, Features, FeatureValue, PredictionIn, PredictionOutput } from "@cairn/core";

/**
 * A prediction batch as ingestion handles it, column by column whichever form it came in:
 * the SDK's columnar body stays as decoded (its numbers in their float64 block, no object
 * per row: building, stringifying and collecting 10,000 feature objects was about a third
 * of the server's CPU per batch), the row form's rows bring their features as objects.
 */
export interface IngestBatch {
  count: number;
  /** Ids as sent (36 characters). */
  ids: readonly string[];
  /** The batch's distinct (model, version) pairs; `pairOf[i]` indexes row i's. */
  pairs: ReadonlyArray<{ model: string; version: number }>;
  pairOf: ArrayLike<number>;
  /** NaN where a row has none. */
  timestamps: Float64Array;
  scores: Float64Array;
  latencies: Float64Array;
  outputs: ArrayLike<PredictionOutput>;
  /** Numeric feature columns: row i's column c is values[featureAt + i × names.length + c], non-finite for null. */
  names: readonly string[];
  values: Float64Array;
  featureAt: number;
  /** Rows whose features are this object instead of the columns. */
  own: ReadonlyMap<number, Features>;
  /** Rows' features beside the columns. */
  extra: ReadonlyMap<number, Features>;
}

const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);

function perRow(b: DecodedPredictionColumns, at: number): Float64Array {
  return at < 0 ? new Float64Array(b.count).fill(Number.NaN) : b.values.subarray(at, at + b.count);
}

export function batchOfColumns(b: DecodedPredictionColumns): IngestBatch {
  const n = b.count;
  const ids = new Array<string>(n);
  for (let i = 0; i < n; i++) ids[i] = b.ids.slice(i * 36, i * 36 + 36);
  let outputs: ArrayLike<PredictionOutput>;
  if (b.outputAt < 0) outputs = b.outputs!;
  else {
    const out = new Array<number | null>(n);
    for (let i = 0; i < n; i++) out[i] = finiteOrNull(b.values[b.outputAt + i]!);
    outputs = out;
  }
  return {
    count: n,
    ids,
    pairs: [{ model: b.model, version: b.version }],
    pairOf: new Uint8Array(n),
    timestamps: perRow(b, b.timestampAt),
    scores: perRow(b, b.scoreAt),
    latencies: perRow(b, b.latencyAt),
    outputs,
    names: b.names,
    values: b.values,
    featureAt: b.featureAt,
    own: b.own,
    extra: b.extra,
  };
}

export function batchOfRows(rows: readonly PredictionIn[]): IngestBatch {
  const n = rows.length;
  const pairIndex = new Map<string, number>();
  const pairs: Array<{ model: string; version: number }> = [];
  const pairOf = new Uint32Array(n);
  const timestamps = new Float64Array(n);
  const scores = new Float64Array(n);
  const latencies = new Float64Array(n);
  const own = new Map<number, Features>();
  for (let i = 0; i < n; i++) {
    const p = rows[i]!;
    const key = `${p.model}\u0000${p.version}`;
    let k = pairIndex.get(key);
    if (k === undefined) {
      pairIndex.set(key, (k = pairs.length));
      pairs.push({ model: p.model, version: p.version });
    }
    pairOf[i] = k;
    timestamps[i] = p.timestamp ?? Number.NaN;
    scores[i] = p.score ?? Number.NaN;
    latencies[i] = p.latencyMs ?? Number.NaN;
    own.set(i, p.features);
  }
  return {
    count: n,
    ids: rows.map((p) => p.id),
    pairs,
    pairOf,
    timestamps,
    scores,
    latencies,
    outputs: rows.map((p) => p.output),
    names: [],
    values: new Float64Array(0),
    featureAt: 0,
    own,
    extra: new Map(),
  };
}

/**
 * The features of these rows by column (undefined where a row lacks one). The aggregate does
 * not depend on the columns' order (the profile lists them by name as an object would).
 */
export function featureColumns(b: IngestBatch, rows: ArrayLike<number>): Map<string, Array<FeatureValue | undefined>> {
  const n = rows.length;
  const m = b.names.length;
  const columns = new Map<string, Array<FeatureValue | undefined>>();
  const column = (name: string) => {
    let c = columns.get(name);
    if (!c) columns.set(name, (c = new Array(n)));
    return c;
  };
  let numeric: Array<FeatureValue | undefined>[] | undefined;
  for (let j = 0; j < n; j++) {
    const i = rows[j]!;
    const own = b.own.get(i);
    if (own) {
      for (const k in own) if (Object.hasOwn(own, k)) column(k)[j] = own[k]!;
      continue;
    }
    const more = b.extra.get(i);
    numeric ??= b.names.map((name) => column(name));
    const base = b.featureAt + i * m;
    for (let c = 0; c < m; c++) numeric[c]![j] = finiteOrNull(b.values[base + c]!);
    if (more) for (const k in more) if (Object.hasOwn(more, k)) column(k)[j] = more[k]!;
  }
  return columns;
}
