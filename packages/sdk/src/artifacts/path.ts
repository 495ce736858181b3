import { CairnError } from "../client/errors.js";
import { seg } from "../client/http.js";

/** Longest artifact path the server accepts (characters). */
export const MAX_ARTIFACT_PATH = 1024;

// Checked in the SDK too so a bad path fails before any byte is hashed or sent; the
// server remains the authority (it normalises and rejects the same things).
const FORBIDDEN = /[\u0000-\u001f\u007f\\]/;

/**
 * Normalises an artifact path: `/`-separated, relative, without `.` or empty segments.
 * Throws `CairnError` for absolute paths, `..`, backslashes, control characters, drive
 * letters and over-long paths.
 */
export function normalizeArtifactPath(input: string, what = "artifact path"): string {
  if (typeof input !== "string") throw new CairnError(`${what} must be a string`);
  if (FORBIDDEN.test(input)) throw new CairnError(`${what} "${printable(input)}" contains a backslash or a control character`);
  if (input.startsWith("/")) throw new CairnError(`${what} "${printable(input)}" must be relative (no leading /)`);
  if (/^[a-zA-Z]:/.test(input)) throw new CairnError(`${what} "${printable(input)}" must not start with a drive letter`);
  const parts = input.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.some((p) => p === "..")) throw new CairnError(`${what} "${printable(input)}" must not contain ".." segments`);
  const out = parts.join("/");
  if (out === "") throw new CairnError(`${what} is empty`);
  if (out.length > MAX_ARTIFACT_PATH) throw new CairnError(`${what} is longer than ${MAX_ARTIFACT_PATH} characters`);
  return out;
}

/** A folder prefix as the listing endpoint takes it: normalised, ending with `/` (or "" for the root). */
export function normalizePrefix(prefix: string | undefined): string {
  if (prefix === undefined || prefix === "" || prefix === "/" || prefix === ".") return "";
  return `${normalizeArtifactPath(prefix, "prefix")}/`;
}

/** Joins a folder prefix and a relative path (both `/`-separated). */
export function joinArtifactPath(prefix: string | undefined, rel: string): string {
  const p = normalizePrefix(prefix);
  return normalizeArtifactPath(p + rel);
}

/** `/api/v1/runs/{runId}/artifacts/{path}` with each segment URL-encoded. */
export function artifactUrlPath(runId: string, path: string): string {
  return `/api/v1/runs/${seg(runId)}/artifacts/${path.split("/").map(encodeURIComponent).join("/")}`;
}

export const artifactsUrlPath = (runId: string): string => `/api/v1/runs/${seg(runId)}/artifacts`;

function printable(s: string): string {
  return s.slice(0, 120).replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
