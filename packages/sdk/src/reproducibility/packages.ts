// Node-only.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname, join, relative } from "node:path";

export interface PackageInfo {
  packageName?: string;
  packageVersion?: string;
  lockfile?: string;
  lockfileHash?: string;
  dependencies?: Record<string, string>;
}

const LOCKFILES = ["package-lock.json", "npm-shrinkwrap.json", "pnpm-lock.yaml", "yarn.lock"];
const MAX_DEPENDENCIES = 500;

interface Manifest {
  name?: unknown;
  version?: unknown;
  dependencies?: unknown;
  devDependencies?: unknown;
  optionalDependencies?: unknown;
}

async function readJson(file: string): Promise<Manifest | undefined> {
  try {
    const v: unknown = JSON.parse(await readFile(file, "utf8"));
    return v && typeof v === "object" ? (v as Manifest) : undefined;
  } catch {
    return undefined;
  }
}

function* upwards(dir: string): Generator<string> {
  for (let d = dir; ; d = dirname(d)) {
    yield d;
    if (dirname(d) === d) return;
  }
}

async function nearestManifest(dir: string): Promise<{ dir: string; manifest: Manifest } | undefined> {
  for (const d of upwards(dir)) {
    const manifest = await readJson(join(d, "package.json"));
    if (manifest) return { dir: d, manifest };
  }
  return undefined;
}

/** The lockfile beside the package, else the nearest one above it (a workspace root), not above `root`. */
async function findLockfile(dir: string, root: string | undefined): Promise<{ path: string; hash: string } | undefined> {
  for (const d of upwards(dir)) {
    if (root !== undefined && relative(root, d).startsWith("..")) return undefined;
    for (const name of LOCKFILES) {
      try {
        const bytes = await readFile(join(d, name));
        return { path: join(d, name), hash: createHash("sha256").update(bytes).digest("hex") };
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** The installed version of `dep` as Node would resolve it from `dir` (node_modules lookup). */
async function installedVersion(dir: string, dep: string): Promise<string | undefined> {
  for (const d of upwards(dir)) {
    const m = await readJson(join(d, "node_modules", dep, "package.json"));
    if (m) return typeof m.version === "string" ? m.version : undefined;
  }
  return undefined;
}

function depNames(m: Manifest): string[] {
  const names = new Set<string>();
  for (const field of [m.dependencies, m.devDependencies, m.optionalDependencies]) {
    if (field && typeof field === "object") for (const k of Object.keys(field)) names.add(k);
  }
  return [...names].slice(0, MAX_DEPENDENCIES);
}

/**
 * The nearest package.json above `dir`: its name and version, the sha256 of its lockfile,
 * and the resolved versions of its direct dependencies. Paths are relative to `root`.
 */
export async function capturePackage(dir: string, root: string | undefined): Promise<PackageInfo> {
  const found = await nearestManifest(dir);
  if (!found) return {};
  const { manifest } = found;
  const out: PackageInfo = {};
  if (typeof manifest.name === "string") out.packageName = manifest.name;
  if (typeof manifest.version === "string") out.packageVersion = manifest.version;
  const [lock, versions] = await Promise.all([
    findLockfile(found.dir, root),
    Promise.all(depNames(manifest).map(async (dep) => [dep, await installedVersion(found.dir, dep)] as const)),
  ]);
  if (lock) {
    out.lockfile = root ? relative(root, lock.path) : lock.path;
    out.lockfileHash = `sha256:${lock.hash}`;
  }
  const deps: Record<string, string> = {};
  for (const [dep, v] of versions) if (v !== undefined) deps[dep] = v;
  if (Object.keys(deps).length > 0) out.dependencies = deps;
  return out;
}
