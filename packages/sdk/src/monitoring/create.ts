import { ModelName, ProjectName, uuidv7 } from "@cairn/core";
import { CairnError } from "../client/errors.js";
import { Transport } from "../client/http.js";
import { isNode, readEnv } from "../config.js";
import type { ExitHooks } from "../run/driver.js";
import { Reporter } from "../run/reporter.js";
import { Sender } from "../run/sender.js";
import type { RunStats } from "../run/stats.js";
import type { RunSpool } from "../spool/types.js";
import { Monitor, type MonitorBackend } from "./monitor.js";
import type { MonitorOptions } from "./types.js";

/** Where a monitor's client points. */
export interface MonitorConnection {
  url: string;
  apiKey: string | undefined;
  /** The client's project (or CAIRN_PROJECT). */
  project: string | undefined;
}

function positive(name: string, v: number | undefined, dflt: number, max = Number.POSITIVE_INFINITY): number {
  if (v === undefined) return dflt;
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0 || v > max) throw new CairnError(`monitor: ${name} must be a number in (0, ${max}]`);
  return v;
}

/**
 * Starts a monitor. Throws only for invalid options (a missing project, model or version),
 * never for the server: it is not contacted until the first batch.
 */
export function createMonitor(conn: MonitorConnection, opts: MonitorOptions): Monitor {
  if (opts === null || typeof opts !== "object") throw new CairnError("monitor: pass { model, version }");
  const project = opts.project ?? conn.project;
  if (project === undefined) throw new CairnError("monitor: `project` is required (or create the client with `project`, or set CAIRN_PROJECT)");
  if (!ProjectName.safeParse(project).success) throw new CairnError(`monitor: invalid project name "${project}"`);
  if (!ModelName.safeParse(opts.model).success) throw new CairnError(`monitor: invalid model name ${JSON.stringify(opts.model)}`);
  if (!Number.isInteger(opts.version) || opts.version < 1) throw new CairnError("monitor: `version` must be a version number (an integer >= 1)");
  const cfg = {
    flushIntervalMs: positive("flushIntervalMs", opts.flushIntervalMs, 1_000),
    maxBatchRows: Math.floor(positive("maxBatchRows", opts.maxBatchRows, 5_000, 10_000)),
    maxBufferedRows: positive("maxBufferedRows", opts.maxBufferedRows, 100_000),
    retryWindowMs: opts.retryWindowMs === 0 ? 0 : positive("retryWindowMs", opts.retryWindowMs, 15_000),
    concurrency: Math.floor(positive("concurrency", opts.concurrency, 2, 64)),
    flushDeadlineMs: opts.flushDeadlineMs === 0 ? 0 : positive("flushDeadlineMs", opts.flushDeadlineMs, 10_000),
  };
  const id = uuidv7();
  const reporter = new Reporter(opts.onError);
  const stats: RunStats = { logged: 0, sent: 0, spooled: 0, dropped: 0, retries: 0 };
  const spoolDir = opts.spoolDir === false ? undefined : (opts.spoolDir ?? readEnv().spoolDir);

  // The spool and exit hooks are Node-only modules, loaded lazily so a browser bundle never
  // pulls in node: imports; rows logged meanwhile wait in the monitor.
  const backend = (async (): Promise<MonitorBackend> => {
    let spool: RunSpool | undefined;
    let exitHooks: ExitHooks | undefined;
    let transport: Transport;
    let probeTransport: Transport;
    if (isNode()) {
      // Batches of ~1 MB go out as bytes made once, and a batch or probe in flight never holds
      // a serving process open: close() and the exit hooks hold it while they flush (see BackgroundTransport).
      const { BackgroundTransport } = await import("../node/background-transport.js");
      transport = new BackgroundTransport({ url: conn.url, apiKey: conn.apiKey });
      probeTransport = new BackgroundTransport({ url: conn.url, apiKey: conn.apiKey, timeoutMs: 3_000 });
      if (spoolDir) {
        const fsSpool = await import("../spool/fs-spool.js");
        spool = fsSpool.openRunSpool(spoolDir, { version: 1, kind: "monitor", url: conn.url, project, runId: id, createdAt: new Date().toISOString() });
      }
      exitHooks = await import("../node/exit-hooks.js");
    } else {
      transport = new Transport({ url: conn.url, apiKey: conn.apiKey });
      probeTransport = new Transport({ url: conn.url, apiKey: conn.apiKey, timeoutMs: 3_000 });
    }
    const sender = new Sender({
      transport,
      probeTransport,
      runId: id,
      concurrency: cfg.concurrency,
      retryWindowMs: cfg.retryWindowMs,
      maxBufferedPoints: cfg.maxBufferedRows,
      spool,
      offline: false,
      reporter,
      stats,
    });
    return { sender, spool, exitHooks };
  })();
  return new Monitor({ id, project, model: opts.model, version: opts.version, reporter, stats, backend, ...cfg });
}
