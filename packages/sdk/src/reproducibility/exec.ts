// Node-only.
import { spawn } from "node:child_process";
import { processEnv } from "../config.js";

export interface ExecResult {
  code: number | null;
  stdout: Buffer;
  /** True when the output went past `maxBytes` and was cut there (the process was stopped). */
  truncated: boolean;
}

export interface ExecOptions {
  cwd?: string;
  timeoutMs?: number;
  maxBytes?: number;
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Runs a program without a shell and collects at most `maxBytes` of its stdout. Never
 * rejects: a missing binary, a timeout or a failure resolves with `code` null or non-zero.
 */
export function execCapped(file: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const maxBytes = opts.maxBytes ?? 1 << 20;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    let done = false;
    const finish = (code: number | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(chunks, size), truncated });
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(file, args, { cwd: opts.cwd, env: (opts.env ?? processEnv()) as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "ignore"], windowsHide: true });
    } catch {
      return resolve({ code: null, stdout: Buffer.alloc(0), truncated: false });
    }
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      finish(null);
    }, opts.timeoutMs ?? 2_000);
    timer.unref();
    child.stdout!.on("data", (d: Buffer) => {
      if (truncated) return;
      if (size + d.length > maxBytes) {
        chunks.push(d.subarray(0, maxBytes - size));
        size = maxBytes;
        truncated = true;
        child.kill("SIGKILL");
        return;
      }
      chunks.push(d);
      size += d.length;
    });
    child.on("error", () => finish(null));
    child.on("close", (code) => finish(truncated ? 0 : code));
  });
}
