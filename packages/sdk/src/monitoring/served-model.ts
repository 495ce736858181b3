import type { LoadedModel } from "../models/load.js";
import { createMonitor, type MonitorConnection } from "./create.js";
import type { Monitor } from "./monitor.js";
import type { MonitorOptions } from "./types.js";

/** What `client.models.load()` returns: the files, the version, and `monitor()` for its predictions. */
export interface ServedModel extends LoadedModel {
  /** A monitor of this version (`client.monitor({ model, version })` with the model's name, version and project). */
  monitor(opts?: Omit<MonitorOptions, "model" | "version">): Monitor;
}

export function servedModel(loaded: LoadedModel, conn: MonitorConnection): ServedModel {
  return Object.assign(loaded, {
    monitor: (opts: Omit<MonitorOptions, "model" | "version"> = {}) => createMonitor(conn, { ...opts, model: loaded.version.modelName, version: loaded.version.version }),
  });
}
