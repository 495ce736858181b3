import { isJsonbSafeText, isUuidV7, type LabelIn, MAX_EPOCH_MS, MAX_PREDICTIONS_PER_BATCH } from "@cairn/core";

/** Request bodies stay well under the server's 16 MiB limit for prediction and label batches. */
export const MAX_BODY_BYTES = 8_000_000;
const MAX_STRING = 10_000;

const epochMs = (v: number) => Number.isFinite(v) && v >= 0 && v <= MAX_EPOCH_MS;

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
 * Encodes rows [0, n) as request bodies of at most `maxBytes` and 10,000 rows, with one call
 * of `encode` per body (not per row); a body that comes out too large is halved. A single
 * row too large for any request is returned (by index) in `tooLarge`.
 */
export function splitEncode(n: number, encode: (from: number, to: number) => string, maxBytes: number = MAX_BODY_BYTES): { bodies: EncodedBatch[]; tooLarge: number[] } {
  const bodies: EncodedBatch[] = [];
  const tooLarge: number[] = [];
  const go = (from: number, to: number) => {
    if (to <= from) return;
    if (to - from > MAX_PREDICTIONS_PER_BATCH) {
      go(from, from + MAX_PREDICTIONS_PER_BATCH);
      go(from + MAX_PREDICTIONS_PER_BATCH, to);
      return;
    }
    const body = encode(from, to);
    if (utf8Bytes(body, maxBytes) <= maxBytes) bodies.push({ body, count: to - from });
    else if (to - from === 1) tooLarge.push(from);
    else {
      const mid = (from + to) >> 1;
      go(from, mid);
      go(mid, to);
    }
  };
  go(0, n);
  return { bodies, tooLarge };
}

/** Rows as the row-form JSON bodies `{ predictions: [...] }` or `{ labels: [...] }`: one JSON.stringify per body. */
export function encodeBodies<T>(field: "predictions" | "labels", rows: T[], maxBytes: number = MAX_BODY_BYTES): { bodies: EncodedBatch[]; tooLarge: T[] } {
  const encode = (from: number, to: number) => {
    const part = rows.slice(from, to);
    return field === "predictions" ? JSON.stringify({ predictions: part }) : JSON.stringify({ labels: part });
  };
  const { bodies, tooLarge } = splitEncode(rows.length, encode, maxBytes);
  return { bodies, tooLarge: tooLarge.map((i) => rows[i]!) };
}
