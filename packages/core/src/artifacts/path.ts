/**
 * Artifact paths: the one rule for turning what a client sends into the name stored for a
 * run, shared by the server (URL and JSON input) and the SDK (local file names).
 *
 * A stored path is relative, `/`-separated and normalised: `//` collapsed, `.` segments
 * dropped, no leading or trailing `/`. It can never name anything outside the run:
 * `..` segments, absolute paths, drive letters, backslashes and control characters are
 * refused rather than rewritten, so a hostile name fails loudly instead of landing
 * somewhere unexpected.
 *
 * In a URL, the path after `/artifacts/` is percent-decoded exactly once. A decoded name
 * that still contains a `%XX` escape is refused, so `%252e%252e%252f` can never become
 * `../` in whatever decodes it next (a browser, the SDK writing a file, a proxy).
 */

export const MAX_ARTIFACT_PATH_CHARS = 1024;
export const MAX_ARTIFACT_SEGMENT_BYTES = 255;

export type PathResult = { ok: true; path: string } | { ok: false; message: string };

// C0 controls, DEL and C1 controls: never part of a file name we want to store or serve.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const PERCENT_ESCAPE = /%[0-9A-Fa-f]{2}/;
const DRIVE = /^[A-Za-z]:/;
const utf8 = new TextEncoder();

function isWellFormed(s: string): boolean {
  try {
    encodeURIComponent(s); // throws URIError on a lone surrogate
    return true;
  } catch {
    return false;
  }
}

/**
 * Characters that look like `.` or `/` and that some tools fold into them (NFKC turns
 * `．．` into `..` and `／` into `/`): a segment that folds into a dot segment or a
 * separator is refused.
 */
function foldsToTraversal(segment: string): boolean {
  const folded = segment.normalize("NFKC");
  if (folded === segment) return false;
  return folded === "." || folded === ".." || folded.includes("/") || folded.includes("\\");
}

/**
 * Normalises a path; `folder` allows the empty root (`""`) for listings. Never throws.
 */
export function normalizeArtifactPath(input: string, options: { folder?: boolean } = {}): PathResult {
  const fail = (message: string): PathResult => ({ ok: false, message });
  if (typeof input !== "string") return fail("must be a string");
  if (input.length > MAX_ARTIFACT_PATH_CHARS * 4) return fail(`must be at most ${MAX_ARTIFACT_PATH_CHARS} characters`);
  if (CONTROL.test(input)) return fail("must not contain NUL or control characters");
  if (!isWellFormed(input)) return fail("must be valid Unicode (no lone surrogates)");
  if (input.includes("\\")) return fail("must use / as the separator, not backslashes");
  if (input.startsWith("/")) return fail("must be relative (no leading /)");
  if (DRIVE.test(input)) return fail("must be relative (no drive letter)");
  if (PERCENT_ESCAPE.test(input)) return fail("must not contain percent-escapes (%XX) after URL decoding");
  const segments: string[] = [];
  for (const segment of input.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") return fail("must not contain .. segments");
    if (foldsToTraversal(segment)) return fail("must not contain segments that look like . or .. or a separator");
    if (utf8.encode(segment).length > MAX_ARTIFACT_SEGMENT_BYTES) return fail(`each segment must be at most ${MAX_ARTIFACT_SEGMENT_BYTES} bytes`);
    segments.push(segment);
  }
  const path = segments.join("/");
  if (path === "" && !options.folder) return fail("must not be empty");
  if (DRIVE.test(path)) return fail("must be relative (no drive letter)");
  if (path.length > MAX_ARTIFACT_PATH_CHARS) return fail(`must be at most ${MAX_ARTIFACT_PATH_CHARS} characters`);
  return { ok: true, path };
}

/** The URL form of a stored path: each segment percent-encoded, `/` kept. */
export function encodeArtifactPath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

/** A URL path tail (after `/artifacts/`) → the stored path: decoded once, then normalised. */
export function decodeArtifactPath(raw: string, options: { folder?: boolean } = {}): PathResult {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return { ok: false, message: "is not valid percent-encoded UTF-8" };
  }
  return normalizeArtifactPath(decoded, options);
}
