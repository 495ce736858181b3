import type { LineageEdge, LineageGraph, LineageKind, LineageNode } from "@cairn/core";

/**
 * The graph as drawn: the server's nodes and edges plus one "monitoring" node per model the
 * graph reaches downstream, so the chain visibly ends where the model's predictions are
 * watched (the server's graph stops at the alias that serving code loads).
 */
export type DrawnKind = LineageKind | "monitoring";

export interface DrawnNode {
  key: string;
  kind: DrawnKind;
  id: string;
  label: string;
  attributes: Record<string, unknown>;
  /** The node the page was opened on. */
  root: boolean;
}

export interface DrawnEdge {
  key: string;
  from: string;
  to: string;
  relation: string;
  role?: string;
}

export const nodeKey = (n: { kind: string; id: string }) => `${n.kind}:${n.id}`;

export const KIND_LABEL: Record<DrawnKind, string> = {
  run: "Run",
  dataset_version: "Dataset version",
  artifact: "Artifact",
  model_version: "Model version",
  alias: "Alias",
  monitoring: "Monitoring",
};

/** Short glyphs drawn in each node's badge, so kind is never told by colour alone. */
export const KIND_ICON: Record<DrawnKind, string> = {
  run: "▶",
  dataset_version: "▤",
  artifact: "◧",
  model_version: "◆",
  alias: "@",
  monitoring: "◉",
};

/** The model a model-version or alias node belongs to (its name, from the server's attributes). */
export function modelOf(n: { kind: DrawnKind; attributes: Record<string, unknown> }): string | undefined {
  if (n.kind !== "model_version" && n.kind !== "alias" && n.kind !== "monitoring") return undefined;
  const m = n.attributes.model;
  return typeof m === "string" ? m : undefined;
}

export function edgeLabel(e: { relation: string; role?: string }): string {
  // An input's role is the useful part ("train"); the relation is implied by the arrow's ends.
  return e.role && e.role !== e.relation ? `${e.relation} · ${e.role}` : e.relation;
}

/**
 * Turns the API graph into what is drawn: keyed nodes, deduplicated edges between nodes that
 * exist, and the monitoring ends (only when the walk went downstream: an upstream view asks
 * where something came from, not where it went).
 */
export function toDrawn(graph: LineageGraph, direction: "up" | "down" | "both"): { nodes: DrawnNode[]; edges: DrawnEdge[] } {
  const rootKey = nodeKey(graph.root);
  const nodes: DrawnNode[] = graph.nodes.map((n: LineageNode) => ({
    key: nodeKey(n),
    kind: n.kind,
    id: n.id,
    label: n.label,
    attributes: n.attributes,
    root: nodeKey(n) === rootKey,
  }));
  const present = new Set(nodes.map((n) => n.key));
  const seen = new Set<string>();
  const edges: DrawnEdge[] = [];
  for (const e of graph.edges as LineageEdge[]) {
    const from = nodeKey(e.from);
    const to = nodeKey(e.to);
    if (!present.has(from) || !present.has(to)) continue;
    const key = `${from}>${to}>${e.relation}>${e.role ?? ""}`;
    if (seen.has(key)) continue;
    seen.add(key);
    edges.push({ key, from, to, relation: e.relation, ...(e.role ? { role: e.role } : {}) });
  }
  if (direction !== "up") {
    // Serving loads a model by alias, so the monitoring end hangs off the aliases; a model
    // with no alias in view gets it from its versions instead.
    const byModel = new Map<string, { aliases: DrawnNode[]; versions: DrawnNode[] }>();
    for (const n of nodes) {
      const model = modelOf(n);
      if (!model) continue;
      const entry = byModel.get(model) ?? { aliases: [], versions: [] };
      (n.kind === "alias" ? entry.aliases : entry.versions).push(n);
      byModel.set(model, entry);
    }
    for (const [model, { aliases, versions }] of byModel) {
      const monitor: DrawnNode = { key: `monitoring:${model}`, kind: "monitoring", id: model, label: `${model} predictions`, attributes: { model }, root: false };
      nodes.push(monitor);
      for (const source of aliases.length > 0 ? aliases : versions) {
        edges.push({ key: `${source.key}>${monitor.key}>monitored_in`, from: source.key, to: monitor.key, relation: "monitored_in" });
      }
    }
  }
  return { nodes, edges };
}
