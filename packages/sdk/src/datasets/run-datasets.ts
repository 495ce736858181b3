import { type Artifact, DatasetName, DatasetRole, type DatasetVersion } from "@cairn/core";
import { CairnError } from "../client/errors.js";
import { isNode } from "../config.js";
import type { Reporter } from "../run/reporter.js";
import type { DatasetsApi } from "./client.js";
import type { LogDatasetOptions } from "./types.js";

type NodeDatasets = typeof import("./node/index.js");

/** Hashing and file reading need Node; loaded on first use so browser bundles never see them. */
export function loadNodeDatasets(): Promise<NodeDatasets> {
  if (!isNode()) return Promise.reject(new CairnError("logDataset computes the digest and profile locally and needs Node"));
  return import("./node/index.js");
}

export interface RunDatasetsDeps {
  runId: string;
  project: string;
  api: DatasetsApi;
  reporter: Reporter;
  /** Resolves once the run exists on the server (links need it). */
  flushRun: () => Promise<void>;
  /** Uploads a local file as an artifact of the run at `path`. */
  logArtifact: (localPath: string, path: string) => Promise<Artifact>;
}

/** Artifact path of uploaded data: one file per version, named by the digest. */
export const datasetArtifactPath = (name: string, digest: string, ext: "csv" | "jsonl") => `datasets/${name}/${digest.slice("sha256:".length, "sha256:".length + 16)}.${ext}`;

/** The dataset side of a RunHandle: profile locally, create the version, link it with its role. */
export class RunDatasets {
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly deps: RunDatasetsDeps) {}

  log(opts: LogDatasetOptions, direction: "input" | "output"): Promise<DatasetVersion> {
    const op = direction === "input" ? "logDataset()" : "logOutputDataset()";
    const task = this.run(opts, direction, op);
    this.pending.add(task);
    const forget = () => this.pending.delete(task);
    task.then(forget, forget);
    // Reported whether or not the caller awaits (an unawaited failure is never silent nor unhandled).
    task.catch((err: unknown) => {
      const error = err instanceof Error ? err : new CairnError(String(err));
      this.deps.reporter.report(`dataset:${opts?.name}:${error.message}`, { error, op });
    });
    return task;
  }

  /** Waits for every dataset logged so far, at most `deadlineMs`. Never rejects. */
  async settle(deadlineMs: number): Promise<void> {
    if (this.pending.size === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.allSettled([...this.pending]), new Promise<void>((r) => (timer = setTimeout(r, deadlineMs)))]);
    clearTimeout(timer);
  }

  private async run(opts: LogDatasetOptions, direction: "input" | "output", op: string): Promise<DatasetVersion> {
    const { runId, project, api } = this.deps;
    const name = DatasetName.safeParse(opts?.name);
    if (!name.success) throw new CairnError(`${op}: invalid name ${JSON.stringify(opts?.name)}: ${name.error.issues[0]!.message}`);
    const roleIn = opts.role ?? (direction === "input" ? "train" : "output");
    const role = DatasetRole.safeParse(roleIn);
    if (!role.success) throw new CairnError(`${op}: invalid role ${JSON.stringify(roleIn)}: ${role.error.issues[0]!.message}`);
    const node = await loadNodeDatasets();
    const { data } = opts;
    const fileOpts = { ...(opts.format ? { format: opts.format } : {}), ...(opts.delimiter ? { delimiter: opts.delimiter } : {}) };
    const computed = await node.computeDataset(data, fileOpts);
    await this.deps.flushRun();
    let artifact: { runId: string; path: string } | undefined;
    if (opts.upload) {
      if (typeof data === "string") {
        const path = datasetArtifactPath(name.data, computed.digest, node.formatOf(data, opts.format));
        await this.deps.logArtifact(data, path);
        artifact = { runId, path };
      } else {
        const path = datasetArtifactPath(name.data, computed.digest, "jsonl");
        await node.withJsonLinesFile(data, (file) => this.deps.logArtifact(file, path));
        artifact = { runId, path };
      }
    }
    const source = opts.source ?? (typeof data === "string" ? data : undefined);
    const version = await api.createVersion(project, name.data, {
      digest: computed.digest,
      rowCount: computed.rowCount,
      schema: computed.schema,
      profile: computed.profile,
      ...(artifact ? { artifact } : {}),
      ...(source !== undefined ? { source: source.slice(0, 2000) } : {}),
      ...(opts.description !== undefined ? { description: opts.description } : {}),
    });
    await api.link(runId, direction, { datasetVersionId: version.id, role: role.data });
    return version;
  }
}
