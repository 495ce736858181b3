import type { Context, MiddlewareHandler } from "hono";
import { ValidationError } from "../errors.js";
import { measureJson } from "./json-scan.js";

export type JsonDepthLimitOptions = {
  /** Deepest `[`/`{` nesting accepted. Default 32: far beyond any Cairn body, far below a stack. */
  maxDepth?: number;
  /** Longest string or object key accepted, in UTF-16 code units. Default: unlimited. */
  maxStringLength?: number;
  /** Routes that validate their own bodies on a hot path (metric ingestion) skip the scan. */
  exempt?: (c: Context) => boolean;
};

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;

/**
 * Rejects JSON bodies nested too deep or holding huge strings before any handler sees them.
 * JSON.parse copes with deep nesting, but recursive code after it (zod, canonical JSON for the
 * audit hash, jsonb) may not, and a stack overflow there is a 500 instead of a 400.
 *
 * The body is read as text once; Hono caches it (`c.req.bodyCache`), so the handler's
 * `c.req.json()` (and the zod-openapi validator's) parses that cached text without reading the
 * stream again. Mount it AFTER any body-size limit: it buffers the whole body, and a size limit
 * placed after it would find the stream already consumed.
 */
export function jsonDepthLimit({ maxDepth = 32, maxStringLength, exempt }: JsonDepthLimitOptions = {}): MiddlewareHandler {
  if (!Number.isInteger(maxDepth) || maxDepth < 1) throw new RangeError(`maxDepth must be an integer >= 1, got ${maxDepth}`);
  const stopAtString = maxStringLength ?? Number.POSITIVE_INFINITY;
  return async function jsonDepthLimitMiddleware(c, next) {
    if (c.req.raw.body === null || !isJson(c.req.header("content-type")) || exempt?.(c)) return next();
    const text = await c.req.text();
    const shape = measureJson(text, maxDepth, stopAtString);
    if (shape.depth > maxDepth) {
      throw new ValidationError(`the JSON body is nested more than ${maxDepth} levels deep`, [
        { path: "(body)", message: `must be nested at most ${maxDepth} levels deep` },
      ]);
    }
    if (shape.longestString > stopAtString) {
      throw new ValidationError(`the JSON body holds a string longer than ${stopAtString} characters`, [
        { path: "(body)", message: `strings and keys must be at most ${stopAtString} characters` },
      ]);
    }
    return next();
  };
}

function isJson(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const semi = contentType.indexOf(";");
  return JSON_TYPE.test((semi < 0 ? contentType : contentType.slice(0, semi)).trim());
}
