// Node-only.
import { isAbsolute, relative, resolve } from "node:path";
import { shellCommand } from "./shell.js";

export interface EntryInfo {
  entry?: string;
  argv: string[];
  execArgv: string[];
  cwd: string;
  command: string;
}

/** `to` relative to `root` when inside it ("." for the root itself), else absolute. */
export function underRoot(to: string, root: string | undefined): string {
  if (root === undefined) return to;
  const rel = relative(root, to);
  if (rel === "") return ".";
  return rel.startsWith("..") || isAbsolute(rel) ? to : rel;
}

/**
 * The entry script, its arguments and the working directory, and the command that starts
 * it again from that directory (`node <flags> <entry> <args>`, shell-quoted).
 */
export function captureEntry(root: string | undefined, argv1: string | undefined = process.argv[1]): EntryInfo {
  const cwd = process.cwd();
  const entryAbs = argv1 ? resolve(cwd, argv1) : undefined;
  const args = process.argv.slice(2);
  const execArgv = [...process.execArgv];
  const fromCwd = entryAbs === undefined ? undefined : relative(cwd, entryAbs) || entryAbs;
  const info: EntryInfo = {
    argv: args,
    execArgv,
    cwd: underRoot(cwd, root),
    command: shellCommand(["node", ...execArgv, ...(fromCwd ? [fromCwd] : []), ...args]),
  };
  if (entryAbs) info.entry = underRoot(entryAbs, root);
  return info;
}
