import { open, readdir, realpath, stat } from "node:fs/promises";
import { basename, join, sep } from "node:path";
import { CairnError } from "../../client/errors.js";
import { ignoreMatcher } from "../ignore.js";
import { joinArtifactPath, normalizeArtifactPath } from "../path.js";
import type { LocalFile, UploadOptions } from "../types.js";
import { TRANSFER_BLOCK_BYTES, TRANSFER_BLOCKS, transferDigests } from "./digests.js";

/**
 * sha256 and size of a file, in one streaming pass (never the whole file in memory): a ring of
 * reused blocks, read from disk while the ones before are hashed (in the worker thread for a
 * large file, so an upload running alongside keeps the event loop).
 */
export async function hashFile(localPath: string): Promise<{ sha256: string; size: number }> {
  const handle = await open(localPath, "r");
  const expected = (await handle.stat()).size;
  const hash = transferDigests.open(expected);
  try {
    const blockBytes = Math.min(TRANSFER_BLOCK_BYTES, Math.max(64 * 1024, expected));
    const allocate = () => (hash.shared ? new Uint8Array(new SharedArrayBuffer(blockBytes)) : new Uint8Array(blockBytes));
    const ring = Array.from({ length: TRANSFER_BLOCKS }, () => ({ data: allocate(), hashed: Promise.resolve() }));
    let size = 0;
    for (let i = 0; ; i++) {
      const block = ring[i % ring.length]!;
      await block.hashed; // its previous update has finished: the block may be refilled
      const { bytesRead } = await handle.read(block.data, 0, block.data.length, null);
      if (bytesRead === 0) break;
      size += bytesRead;
      block.hashed = hash.update(block.data, bytesRead);
      block.hashed.catch(() => {}); // awaited (and thrown) when the block comes round; not "unhandled" meanwhile
    }
    await Promise.all(ring.map((b) => b.hashed));
    return { sha256: await hash.digest(), size };
  } catch (err) {
    hash.discard();
    throw err;
  } finally {
    await handle.close();
  }
}

const within = (root: string, p: string): boolean => p === root || p.startsWith(root.endsWith(sep) ? root : root + sep);

/**
 * The files to upload for `localPath`: the file itself (as `opts.path` or its name, under
 * `opts.prefix`), or every file below a directory (recursively, as `prefix/relative/path`).
 * Symlinks are followed only when they resolve inside the directory; others are skipped.
 */
export async function collectFiles(localPath: string, opts: Pick<UploadOptions, "path" | "prefix" | "ignore" | "mediaType" | "onSkip"> = {}): Promise<LocalFile[]> {
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(localPath);
  } catch (err) {
    throw new CairnError(`cannot read ${localPath}: ${(err as Error).message}`, { cause: err });
  }
  const media = opts.mediaType !== undefined ? { mediaType: opts.mediaType } : {};
  if (st.isFile()) {
    const path = opts.path !== undefined ? joinArtifactPath(opts.prefix, normalizeArtifactPath(opts.path)) : joinArtifactPath(opts.prefix, basename(localPath));
    return [{ localPath, path, size: st.size, ...media }];
  }
  if (!st.isDirectory()) throw new CairnError(`${localPath} is neither a file nor a directory`);
  if (opts.path !== undefined) throw new CairnError("`path` names a single file; use `prefix` for a directory");
  const root = await realpath(localPath);
  const ignored = ignoreMatcher(opts.ignore);
  const skip = opts.onSkip ?? ((p: string, why: string) => console.warn(`[cairn] skipped ${p}: ${why}`));
  const out: LocalFile[] = [];
  const seenDirs = new Set<string>([root]);
  const walk = async (dir: string, relDir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const rel = relDir === "" ? e.name : `${relDir}/${e.name}`;
      if (ignored(rel)) continue;
      const full = join(dir, e.name);
      let real = full;
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        try {
          real = await realpath(full);
        } catch {
          skip(full, "broken symlink");
          continue;
        }
        if (!within(root, real)) {
          skip(full, "symlink points outside the directory");
          continue;
        }
        const target = await stat(real);
        isDir = target.isDirectory();
        isFile = target.isFile();
      }
      if (isDir) {
        if (seenDirs.has(real)) continue; // a symlink loop, or a folder already walked
        seenDirs.add(real);
        await walk(full, rel);
      } else if (isFile) {
        const size = (await stat(full)).size;
        out.push({ localPath: full, path: joinArtifactPath(opts.prefix, rel), size, ...media });
      }
    }
  };
  await walk(root, "");
  return out;
}
