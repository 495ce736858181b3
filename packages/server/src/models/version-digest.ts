import { createHash } from "node:crypto";

export interface FrozenFile {
  path: string;
  sha256: string;
  size: number;
}

/** UTF-8 byte order (= code point order = PostgreSQL's "C" collation), so every client sorts alike. */
export const byPathBytes = (a: { path: string }, b: { path: string }) => Buffer.compare(Buffer.from(a.path, "utf8"), Buffer.from(b.path, "utf8"));

/** sha256 of a single file, or of the folder's manifest: one `path\tsha256\n` line per file, sorted by path bytes. */
export function versionDigest(files: FrozenFile[], single: boolean): string {
  if (single) return files[0]!.sha256;
  const manifest = [...files].sort(byPathBytes).map((f) => `${f.path}\t${f.sha256}\n`).join("");
  return createHash("sha256").update(manifest, "utf8").digest("hex");
}
