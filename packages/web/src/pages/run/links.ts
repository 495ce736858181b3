import { seg } from "../../api/client.js";

/** The artifacts tab of a run, opened at a file's folder with the file previewed. */
export function artifactLink(runId: string, path: string): string {
  const folder = path.slice(0, path.lastIndexOf("/") + 1);
  const q = new URLSearchParams({ tab: "artifacts", ...(folder ? { prefix: folder } : {}), file: path });
  return `/runs/${seg(runId)}?${q}`;
}
