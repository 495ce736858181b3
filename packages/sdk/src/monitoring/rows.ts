import { encodePredictionColumns, type Features, type LabelIn, MAX_PREDICTIONS_PER_BATCH, type PredictionOutput, isJsonbSafeText, isUuidV7 } from "@cairn/core";

/** A logged prediction as kept until its batch is encoded: the `PredictionIn` body of one row. */
export interface PredictionRow {
  id: string;
  model: string;
  version: number;
  timestamp: number | undefined;
  features: Features;
  output: PredictionOutput;
  score: number | undefined;
  latencyMs: number | undefined;
}

/** Request bodies stay well under the server's 16 MiB limit for prediction and label batches. */
export const MAX_BODY_BYTES = 8_000_000;
const MAX_STRING = 10_000;
const MAX_NAME = 1_000;

const isScalar = (v: unknown): boolean => {
  if (v === null) return true;
  const t = typeof v;
  return t === "number" || t === "boolean" || (t === "string" && (v as string).length <= MAX_STRING && isJsonbSafeText(v as string));
};

/** Feature names seen valid: the same few names come back in every row. Bounded, like the run's key cache. */
const goodNames = new Set<string>();
const goodName = (k: string): boolean => {
  if (goodNames.has(k)) return true;
  if (k.length === 0 || k.length > MAX_NAME || !isJsonbSafeText(k)) return false;
  if (goodNames.size >= 10_000) goodNames.clear();
  goodNames.add(k);
  return true;
};

function flatObject(o: unknown): boolean {
  if (o === null || typeof o !== "object" || Array.isArray(o)) return false;
  for (const k in o as Record<string, unknown>) {
    if (!goodName(k) || !isScalar((o as Record<string, unknown>)[k])) return false;
  }
  return true;
}

const epochMs = (v: number) => Number.isFinite(v) && v >= 0 && v < 253402300800000;

/**
 * Why the server would refuse this row (which would refuse its whole batch), or undefined.
 * Checked in the background when a batch is encoded, not in `logPrediction()`.
 */
export function predictionProblem(r: PredictionRow, generatedId = false): string | undefined {
  if (!generatedId && !isUuidV7(r.id)) return "id must be a UUIDv7";
  if (!flatObject(r.features)) return "features must be a flat object of scalars (numbers, strings up to 10,000 characters without NUL, booleans, null)";
  if (!isScalar(r.output) && !flatObject(r.output)) return "output must be a scalar or a flat object of scalars";
  if (r.score !== undefined && !(typeof r.score === "number" && Number.isFinite(r.score))) return "score must be a finite number";
  if (r.latencyMs !== undefined && !(typeof r.latencyMs === "number" && Number.isFinite(r.latencyMs) && r.latencyMs >= 0)) return "latencyMs must be a finite number >= 0";
  if (r.timestamp !== undefined) {
    if (!(typeof r.timestamp === "number" && epochMs(r.timestamp))) return "timestamp must be milliseconds since the epoch";
    r.timestamp = Math.round(r.timestamp); // the API takes whole milliseconds
  }
  return undefined;
}

export function labelProblem(l: LabelIn): string | undefined {
  if (typeof l.predictionId !== "string" || !isUuidV7(l.predictionId)) return "predictionId must be a UUIDv7 (the id logPrediction returned)";
  const t = typeof l.label;
  if (!(t === "number" ? Number.isFinite(l.label) : t === "boolean" || (t === "string" && (l.label as string).length <= MAX_STRING && isJsonbSafeText(l.label as string)))) {
    return "label must be a finite number, a boolean or a string (up to 10,000 characters, no NUL)";
  }
  if (l.timestamp !== undefined) {
    if (!(typeof l.timestamp === "number" && epochMs(l.timestamp))) return "timestamp must be milliseconds since the epoch";
    l.timestamp = Math.round(l.timestamp);
  }
  return undefined;
}

let encoder: TextEncoder | undefined;
const NON_ASCII = /[^\x00-\x7f]/;
/** The body's UTF-8 size, or (when it certainly fits, at most 3 bytes per UTF-16 unit) a lower figure. */
function utf8Bytes(s: string, maxBytes: number): number {
  if (s.length * 3 <= maxBytes) return s.length;
  // JSON of numbers and plain names is ASCII: a scan is far cheaper than encoding.
  if (s.length <= maxBytes && !NON_ASCII.test(s)) return s.length;
  encoder ??= new TextEncoder();
  return encoder.encode(s).length;
}

export interface EncodedBatch {
  /** The JSON request body. */
  body: string;
  count: number;
}

/**
 * Encodes rows as request bodies of at most `maxBytes` and 10,000 rows, with one call of
 * `encode` per body (not per row); a batch that comes out too large is halved. A single
 * row too large for any request is returned in `tooLarge`.
 */
function splitEncode<T>(rows: T[], encode: (part: T[]) => string, maxBytes: number): { bodies: EncodedBatch[]; tooLarge: T[] } {
  const bodies: EncodedBatch[] = [];
  const tooLarge: T[] = [];
  const go = (part: T[]) => {
    if (part.length === 0) return;
    if (part.length > MAX_PREDICTIONS_PER_BATCH) {
      go(part.slice(0, MAX_PREDICTIONS_PER_BATCH));
      go(part.slice(MAX_PREDICTIONS_PER_BATCH));
      return;
    }
    const body = encode(part);
    if (utf8Bytes(body, maxBytes) <= maxBytes) bodies.push({ body, count: part.length });
    else if (part.length === 1) tooLarge.push(part[0]!);
    else {
      const mid = part.length >> 1;
      go(part.slice(0, mid));
      go(part.slice(mid));
    }
  };
  go(rows);
  return { bodies, tooLarge };
}

/** Rows as the row-form JSON bodies `{ predictions: [...] }` or `{ labels: [...] }`: one JSON.stringify per body. */
export function encodeBodies<T>(field: "predictions" | "labels", rows: T[], maxBytes: number = MAX_BODY_BYTES): { bodies: EncodedBatch[]; tooLarge: T[] } {
  return splitEncode(rows, (part) => (field === "predictions" ? JSON.stringify({ predictions: part }) : JSON.stringify({ labels: part })), maxBytes);
}

/**
 * A monitor's predictions (one model version) as columnar bodies (`LogPredictionsColumnar`):
 * numbers travel as base64 float64 columns, so no double is ever printed as text here.
 */
export function encodePredictionBodies(model: string, version: number, rows: PredictionRow[], maxBytes: number = MAX_BODY_BYTES): { bodies: EncodedBatch[]; tooLarge: PredictionRow[] } {
  return splitEncode(rows, (part) => encodePredictionColumns(model, version, part), maxBytes);
}
