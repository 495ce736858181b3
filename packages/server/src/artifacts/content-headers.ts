import { API_CSP } from "../http/limits/index.js";
import { HttpError, ValidationError } from "../http/errors.js";
import type { ByteRange } from "./store/index.js";

/**
 * A single `bytes=` range against `size`: undefined means "send everything" (no header,
 * a syntax we do not serve such as several ranges, or a range that covers the whole file
 * is still served as 206). Unsatisfiable → 416, as RFC 9110 §14.1.2 asks.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (!header) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  let start: number;
  let end: number;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) throw unsatisfiable(size);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
    if (m[2] !== "" && Number(m[2]) < start) return undefined; // invalid: ignored, whole file
    if (start >= size) throw unsatisfiable(size);
  }
  return { start, end };
}

function unsatisfiable(size: number): HttpError {
  return new HttpError(416, "range_not_satisfiable", `the range is outside the ${size}-byte artifact`, [{ path: "header.range", message: `must start below ${size}` }], {
    "content-range": `bytes */${size}`,
  });
}

const INLINE_TYPES = /^(image\/|text\/|application\/json\b|application\/pdf\b)/i;

/** RFC 6266 / 8187: an ASCII fallback plus the exact UTF-8 name. */
export function contentDisposition(path: string, mediaType: string, inline: boolean): string {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, "_");
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const kind = inline && INLINE_TYPES.test(mediaType) ? "inline" : "attachment";
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/**
 * Headers of every artifact response. Stored files are user content: `nosniff` and a CSP
 * with `sandbox` mean an HTML or SVG artifact opened inline runs nothing on our origin.
 */
export function contentHeaders(a: { sha256: string; size: number; media_type: string; path: string }, inline: boolean): Record<string, string> {
  return {
    "content-type": a.media_type,
    etag: `"${a.sha256}"`,
    "accept-ranges": "bytes",
    "cache-control": "private, no-cache",
    "content-disposition": contentDisposition(a.path, a.media_type, inline),
    "x-content-type-options": "nosniff",
    "content-security-policy": API_CSP,
  };
}

/** If-None-Match: `*`, or a list containing our (strong or weak) tag. */
export function matchesEtag(header: string | undefined, sha256: string): boolean {
  if (!header) return false;
  if (header.trim() === "*") return true;
  return header.split(",").some((t) => t.trim().replace(/^W\//, "") === `"${sha256}"`);
}

/** `Repr-Digest: sha-256=:<base64>:` (RFC 9530) and/or `x-cairn-sha256: <hex>` → the expected hex digest. */
export function expectedDigest(reprDigest: string | undefined, cairnSha: string | undefined): string | undefined {
  let fromRepr: string | undefined;
  if (reprDigest) {
    const m = /(?:^|,)\s*sha-256\s*=\s*:([A-Za-z0-9+/]+={0,2}):/i.exec(reprDigest);
    if (m) {
      const bytes = Buffer.from(m[1]!, "base64");
      if (bytes.length !== 32) throw new ValidationError("invalid Repr-Digest", [{ path: "header.repr-digest", message: "sha-256 must be 32 bytes in base64" }]);
      fromRepr = bytes.toString("hex");
    }
  }
  let fromHex: string | undefined;
  if (cairnSha !== undefined) {
    fromHex = cairnSha.trim().toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(fromHex)) throw new ValidationError("invalid x-cairn-sha256", [{ path: "header.x-cairn-sha256", message: "must be 64 hex digits" }]);
  }
  if (fromRepr && fromHex && fromRepr !== fromHex) {
    throw new ValidationError("the two digests disagree", [{ path: "header.repr-digest", message: "differs from x-cairn-sha256" }], "digest_mismatch");
  }
  return fromHex ?? fromRepr;
}
