import { encodeArtifactPath, normalizeArtifactPath as normalizeWithCoreRule } from "@cairn/core";
import { CairnError } from "../client/errors.js";
import { seg } from "../client/http.js";

/**
 * Normalises an artifact path with the server's own rule (core's `normalizeArtifactPath`):
 * `/`-separated, relative, without `.` or empty segments. Throws `CairnError` for absolute
 * paths, `..`, backslashes, control characters, drive letters, percent-escapes and
 * over-long paths, before any byte is hashed or sent.
 */
export function normalizeArtifactPath(input: string, what = "artifact path"): string {
  const r = normalizeWithCoreRule(input);
  if (!r.ok) throw new CairnError(`invalid ${what} ${JSON.stringify(String(input).slice(0, 120))}: ${r.message}`);
  return r.path;
}

/** A folder prefix as the listing endpoint takes it: normalised, ending with `/` (or "" for the root). */
export function normalizePrefix(prefix: string | undefined): string {
  if (prefix === undefined) return "";
  const r = normalizeWithCoreRule(prefix, { folder: true });
  if (!r.ok) throw new CairnError(`invalid prefix ${JSON.stringify(prefix.slice(0, 120))}: ${r.message}`);
  return r.path === "" ? "" : `${r.path}/`;
}

/** Joins a folder prefix and a relative path (both `/`-separated). */
export function joinArtifactPath(prefix: string | undefined, rel: string): string {
  return normalizeArtifactPath(normalizePrefix(prefix) + rel);
}

/** `/api/v1/runs/{runId}/artifacts/{path}` with each segment URL-encoded. */
export function artifactUrlPath(runId: string, path: string): string {
  return `/api/v1/runs/${seg(runId)}/artifacts/${encodeArtifactPath(path)}`;
}

export const artifactsUrlPath = (runId: string): string => `/api/v1/runs/${seg(runId)}/artifacts`;
