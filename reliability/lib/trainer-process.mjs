// Runs lib/trainer.mjs as a child process and collects its report.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const TRAINER = path.join(path.dirname(fileURLToPath(import.meta.url)), "trainer.mjs");

/**
 * @returns {{ child: import("node:child_process").ChildProcess, done: Promise<{ code: number | null, signal: string | null, report: any, stdout: string, stderr: string, ms: number, exitedAt: number }> }}
 */
export function startTrainer({ url, apiKey, project, points, rate, env = {} }) {
  const started = Date.now();
  const child = spawn(process.execPath, [TRAINER], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, CAIRN_URL: url, CAIRN_API_KEY: apiKey, TRAINER_PROJECT: project, TRAINER_POINTS: String(points), TRAINER_RATE: String(rate), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
  const done = new Promise((resolve) =>
    child.once("exit", (code, signal) => {
      const line = stdout.trim().split("\n").filter(Boolean).pop();
      let report;
      try {
        report = line ? JSON.parse(line) : undefined;
      } catch {
        report = undefined;
      }
      resolve({ code, signal, report, stdout, stderr, ms: Date.now() - started, exitedAt: Date.now() });
    }),
  );
  return { child, done };
}
