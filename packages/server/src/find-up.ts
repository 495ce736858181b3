import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * tsup moves code into dist/chunk-*.js, so a module cannot know how deep it sits:
 * walk up from this file to the first `folder` that holds `marker`.
 */
export function findUp(folder: string, marker: string, levels = 5): string | undefined {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < levels; i++) {
    const candidate = path.join(dir, folder);
    if (fs.existsSync(path.join(candidate, marker))) return candidate;
    dir = path.dirname(dir);
  }
  return undefined;
}
