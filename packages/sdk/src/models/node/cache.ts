import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { ModelVersion } from "@cairn/core";
import { getToFile } from "../../artifacts/node/http-stream.js";
import { hashFile } from "../../artifacts/node/files.js";
import { mapLimit } from "../../artifacts/limiter.js";
import { withRetry } from "../../artifacts/retry.js";
import { CairnError } from "../../client/errors.js";
import { readEnv } from "../../config.js";
import type { LoadContext, LoadedModel, LoadOptions, ModelRef } from "../load.js";

/** Written last into a version's folder: a folder without it is not a (complete) cache entry. */
const MANIFEST = ".cairn-model.json";

const hex = (sha: string) => sha.replace(/^sha256:/, "");

function cacheRoot(opts: LoadOptions): string {
  const base = opts.cacheDir ?? readEnv().cacheDir;
  if (!base) throw new CairnError("models.load: no cache directory (pass `cacheDir` or set CAIRN_CACHE_DIR)");
  return resolve(base, "models");
}

/** The digest as a folder name; anything but a sha256 is refused (it names a directory on this disk). */
function entryName(digest: string): string {
  const h = hex(digest);
  if (!/^[0-9a-f]{64}$/.test(h)) throw new CairnError(`models.load: ${JSON.stringify(digest.slice(0, 80))} is not a sha256 digest`);
  return h;
}

/** A file's place in the entry; the server normalises paths, this guards the disk against one that does not. */
function localPathOf(dir: string, path: string): string {
  const target = resolve(dir, ...path.split("/"));
  if (!target.startsWith(dir + sep)) throw new CairnError(`models.load: refusing to write ${path} outside ${dir}`);
  return target;
}

/** A version registered from one file is that file (stored under its base name); from a folder, the folder. */
function isSingleFile(v: ModelVersion): boolean {
  const only = v.files.length === 1 ? v.files[0]! : undefined;
  return only !== undefined && (only.path === v.artifactPath || v.artifactPath.endsWith(`/${only.path}`));
}

function result(dir: string, version: ModelVersion, downloaded: number): LoadedModel {
  const files = version.files.map((f) => ({ path: f.path, localPath: localPathOf(dir, f.path) }));
  return { path: isSingleFile(version) ? files[0]!.localPath : dir, version, files, downloaded };
}

/** The entry's version when every file is there with its size (and, with `verify`, its sha256); else undefined. */
async function readEntry(dir: string, verify: boolean): Promise<ModelVersion | undefined> {
  let version: ModelVersion;
  try {
    const parsed = ModelVersion.safeParse(JSON.parse(await readFile(join(dir, MANIFEST), "utf8")));
    if (!parsed.success) return undefined;
    version = parsed.data;
  } catch {
    return undefined;
  }
  for (const f of version.files) {
    const p = localPathOf(dir, f.path);
    try {
      if ((await stat(p)).size !== f.size) return undefined;
      if (verify && (await hashFile(p)).sha256 !== hex(f.sha256)) return undefined;
    } catch {
      return undefined;
    }
  }
  return version;
}

async function writeDurably(path: string, text: string): Promise<void> {
  const fh = await open(path, "w");
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Downloads every file into a fresh private folder beside the entry, each checked against the version's sha256. */
async function download(ctx: LoadContext, version: ModelVersion, tmp: string, opts: LoadOptions): Promise<void> {
  await mapLimit(version.files, 4, async (f) => {
    const target = localPathOf(tmp, f.path);
    await mkdir(dirname(target), { recursive: true });
    const got = await withRetry(
      () => getToFile(ctx.conn, ctx.fileUrlPath(version, f.path), target, (bytes, total) => opts.onProgress?.({ path: f.path, bytes, total: Number.isFinite(total) ? total : bytes })),
      { ...(opts.retryWindowMs !== undefined ? { retryWindowMs: opts.retryWindowMs } : {}), signal: opts.signal },
    );
    if (got.sha256 !== hex(f.sha256) || got.size !== f.size) {
      throw new CairnError(`models.load: ${version.modelName} v${version.version} file ${f.path} arrived with sha256 ${got.sha256} (${got.size} bytes), not ${hex(f.sha256)} (${f.size} bytes); nothing was cached`);
    }
  });
  await writeDurably(join(tmp, MANIFEST), JSON.stringify(version));
}

/**
 * Puts a complete folder in place with one rename, so a reader (another process loading the
 * same version, or this one after a crash) sees either no entry or a whole one. An entry that
 * is already whole (another process won the race) is kept; a damaged one is moved aside first.
 */
async function install(tmp: string, dir: string, root: string, verify: boolean): Promise<void> {
  try {
    await rename(tmp, dir);
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOTEMPTY" && code !== "EEXIST" && code !== "EPERM") throw err;
  }
  if (await readEntry(dir, verify)) return;
  const aside = join(root, `.old-${randomBytes(6).toString("hex")}`);
  await rename(dir, aside);
  try {
    await rename(tmp, dir);
  } finally {
    await rm(aside, { recursive: true, force: true });
  }
}

export async function loadIntoCache(ctx: LoadContext, name: string, ref: ModelRef, opts: LoadOptions): Promise<LoadedModel> {
  const root = cacheRoot(opts);
  const verify = opts.verify ?? true;
  if (typeof ref === "object" && ref !== null) {
    const dir = join(root, entryName(ref.digest));
    const version = await readEntry(dir, verify);
    if (!version) throw new CairnError(`models.load: version ${ref.digest} of "${name}" is not in the cache at ${root} (or is damaged); load it by alias or number while the server is reachable`);
    if (version.modelName !== name) throw new CairnError(`models.load: the cached version ${ref.digest} belongs to model "${version.modelName}", not "${name}"`);
    return result(dir, version, 0);
  }
  const version = await ctx.resolve();
  const dir = join(root, entryName(version.digest));
  const cached = await readEntry(dir, verify);
  // The server's record wins over the cached copy of it (aliases and archived flags change).
  if (cached) return result(dir, version, 0);
  await mkdir(root, { recursive: true });
  const tmp = join(root, `.tmp-${entryName(version.digest).slice(0, 16)}-${randomBytes(6).toString("hex")}`);
  try {
    await mkdir(tmp);
    await download(ctx, version, tmp, opts);
    await install(tmp, dir, root, verify);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  // Another process may have won the race; either way the entry must now be whole.
  if (!(await readEntry(dir, false))) throw new CairnError(`models.load: the cache entry ${dir} is incomplete after download`);
  return result(dir, version, version.files.length);
}
