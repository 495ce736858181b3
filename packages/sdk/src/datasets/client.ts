import { type CreateDatasetVersion, Dataset, DatasetList, DatasetVersion, DatasetVersionList, RunDataset, type RunDatasetLink, RunDatasetList } from "@cairn/core";
import { seg, type Transport } from "../client/http.js";

export interface DatasetVersionsOptions {
  limit?: number;
  cursor?: string;
  /** Include each version's profile (left out by default: profiles can be large). */
  includeProfile?: boolean;
}

const versionsPath = (project: string, name: string) => `/api/v1/projects/${seg(project)}/datasets/${seg(name)}/versions`;

/** Versioned datasets of a project and the datasets runs read and wrote. Works in browsers too. */
export class DatasetsApi {
  constructor(private readonly transport: Transport) {}

  /** One page of a project's datasets by name, each with its latest version number. */
  list(project: string, opts: { limit?: number; cursor?: string } = {}) {
    return this.transport.call("GET", `/api/v1/projects/${seg(project)}/datasets`, DatasetList, { searchParams: { ...opts } });
  }

  get(project: string, name: string): Promise<Dataset> {
    return this.transport.call("GET", `/api/v1/projects/${seg(project)}/datasets/${seg(name)}`, Dataset);
  }

  /** One page of versions, newest first. */
  versions(project: string, name: string, opts: DatasetVersionsOptions = {}) {
    const { includeProfile, ...page } = opts;
    return this.transport.call("GET", versionsPath(project, name), DatasetVersionList, {
      searchParams: { ...page, ...(includeProfile ? { include: "profile" } : {}) },
    });
  }

  /** A version by number, `"latest"`, or digest (`sha256:<hex>`), with its schema and profile. */
  version(project: string, name: string, versionOrDigest: number | string): Promise<DatasetVersion> {
    return this.transport.call("GET", `${versionsPath(project, name)}/${seg(String(versionOrDigest))}`, DatasetVersion);
  }

  /** A version by its id (as found in lineage). */
  byId(id: string): Promise<DatasetVersion> {
    return this.transport.call("GET", `/api/v1/dataset-versions/${seg(id)}`, DatasetVersion);
  }

  /**
   * Creates a version from a computed digest, schema and profile (what `run.logDataset`
   * does for you). Idempotent: the same digest returns the stored version.
   */
  createVersion(project: string, name: string, body: CreateDatasetVersion): Promise<DatasetVersion> {
    return this.transport.call("POST", versionsPath(project, name), DatasetVersion, { json: body });
  }

  /** Records that a run read (`input`) or produced (`output`) a version, in a role. Idempotent. */
  link(runId: string, direction: "input" | "output", body: RunDatasetLink) {
    return this.transport.call("POST", `/api/v1/runs/${seg(runId)}/${direction}s`, RunDataset, { json: body });
  }

  /** A run's inputs and outputs with their roles. */
  forRun(runId: string) {
    return this.transport.call("GET", `/api/v1/runs/${seg(runId)}/datasets`, RunDatasetList);
  }
}
