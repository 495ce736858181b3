import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Writes `content` to a private temp file, runs `fn` on it, removes it. */
export async function withTempFile<T>(content: string, fn: (localPath: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "cairn-artifact-"));
  const file = join(dir, randomBytes(6).toString("hex"));
  try {
    await writeFile(file, content, { mode: 0o600 });
    return await fn(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
