// Node-only: loaded through dynamic import() so browser bundles never see `process.on`.
import type { ExitParticipant } from "../run/driver.js";
import type { FinishStatus } from "../run/run.js";

/**
 * Process-wide exit handling for live runs. Handlers are installed only while at least
 * one run is active and removed afterwards, so an idle SDK changes nothing about how the
 * process exits.
 *
 * - `beforeExit` (the loop ran dry, i.e. the script ended without `finish()`): finish every
 *   active run (status `failed` when `process.exitCode` is non-zero); the flush keeps the
 *   process alive until done or the flush deadline.
 * - SIGINT/SIGTERM: finish with status `killed` within the deadline, then remove our
 *   handlers and re-raise the signal so the default behaviour and exit code are kept
 *   (unless the application has its own handler, which then decides). A second signal
 *   spools synchronously and re-raises at once.
 * - `exit` (process.exit(), uncaught exception): synchronous spill to the spool.
 */
const active = new Set<ExitParticipant>();
const flushing = new Set<ExitParticipant>();
let installed = false;
let signalled = false;
const SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM"];

const exitStatus = (): FinishStatus => (process.exitCode !== undefined && process.exitCode !== 0 ? "failed" : "finished");

function onBeforeExit(): void {
  flushAll(exitStatus());
}

function flushAll(status: FinishStatus): Promise<unknown> {
  const ps = [...active];
  active.clear();
  return Promise.all(
    ps.map(async (p) => {
      flushing.add(p);
      try {
        await p.exitFlush(status);
      } finally {
        flushing.delete(p);
        maybeUninstall();
      }
    }),
  );
}

function onSignal(signal: NodeJS.Signals): void {
  if (signalled) {
    for (const p of [...active, ...flushing]) p.exitSync("killed");
    active.clear();
    flushing.clear();
    reraise(signal);
    return;
  }
  signalled = true;
  void flushAll("killed").finally(() => reraise(signal));
}

function reraise(signal: NodeJS.Signals): void {
  uninstall();
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function onExit(): void {
  const status = exitStatus();
  for (const p of [...active, ...flushing]) p.exitSync(status);
  active.clear();
  flushing.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  signalled = false;
  process.on("beforeExit", onBeforeExit);
  process.on("exit", onExit);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off("beforeExit", onBeforeExit);
  process.off("exit", onExit);
  for (const s of SIGNALS) process.off(s, onSignal);
}

function maybeUninstall(): void {
  if (active.size === 0 && flushing.size === 0 && !signalled) uninstall();
}

export function register(p: ExitParticipant): void {
  active.add(p);
  install();
}

export function unregister(p: ExitParticipant): void {
  active.delete(p);
  maybeUninstall();
}
