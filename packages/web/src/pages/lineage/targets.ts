import { seg } from "../../api/client.js";
import { type DrawnNode, modelOf } from "./model.js";

/** `/lineage/:kind/:id` for a node, keeping no view options (the new root starts with the defaults). */
export const lineageHref = (n: { kind: string; id: string }) => `/lineage/${seg(n.kind)}/${seg(n.id)}`;

/** Where a node's own page is; undefined for kinds shown in the side panel (datasets) or without a known project. */
export function openHref(n: DrawnNode, project: string | undefined): string | undefined {
  if (n.kind === "run") return `/runs/${seg(n.id)}`;
  if (n.kind === "artifact") {
    const runId = n.attributes.runId;
    const path = n.attributes.path;
    return typeof runId === "string" ? `/runs/${seg(runId)}?tab=artifacts${typeof path === "string" ? `&path=${encodeURIComponent(path)}` : ""}` : undefined;
  }
  const model = modelOf(n);
  if (!model || !project) return undefined;
  const base = `/projects/${seg(project)}/models/${seg(model)}`;
  if (n.kind === "model_version") return `${base}?tab=versions&version=${encodeURIComponent(String(n.attributes.version ?? ""))}`;
  if (n.kind === "alias") return `${base}?tab=aliases&alias=${encodeURIComponent(String(n.attributes.alias ?? ""))}`;
  if (n.kind === "monitoring") return `${base}/monitoring`;
  return undefined;
}

/** The monitoring page of a model-version or alias node's model: the end of the chain. */
export function monitoringHref(n: DrawnNode, project: string | undefined): string | undefined {
  const model = modelOf(n);
  return model && project ? `/projects/${seg(project)}/models/${seg(model)}/monitoring` : undefined;
}
