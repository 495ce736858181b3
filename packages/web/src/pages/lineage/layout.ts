import dagre from "@dagrejs/dagre";
import { type DrawnEdge, type DrawnNode, edgeLabel } from "./model.js";

export const NODE_W = 210;
export const NODE_H = 54;
/** Edge labels use the small UI font: about 6.6 px a character is enough room without measuring text. */
const CHAR_W = 6.6;
const LABEL_H = 16;

export interface PlacedNode extends DrawnNode {
  x: number;
  y: number;
}

export interface PlacedEdge extends DrawnEdge {
  points: { x: number; y: number }[];
  labelX: number;
  labelY: number;
  label: string;
}

export interface Layout {
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  width: number;
  height: number;
}

/**
 * Left-to-right layered layout (data flows left to right, like the edges). Edge labels are
 * laid out by dagre too, so they get room between the layers instead of overlapping nodes.
 */
export function layoutGraph(nodes: DrawnNode[], edges: DrawnEdge[]): Layout {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  // Big graphs get tighter spacing so the fitted view still shows readable nodes.
  const big = nodes.length > 150;
  g.setGraph({ rankdir: "LR", nodesep: big ? 14 : 24, ranksep: big ? 70 : 36, edgesep: 10, marginx: 20, marginy: 20 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const n of nodes) g.setNode(n.key, { width: NODE_W, height: NODE_H });
  for (const e of edges) {
    // Labelled edges double dagre's layers (each label is a node of its own), which costs
    // seconds on big graphs; there the label is drawn on the edge's middle instead.
    const text = edgeLabel(e);
    g.setEdge(e.from, e.to, big ? {} : { width: text.length * CHAR_W + 10, height: LABEL_H, labelpos: "c" }, e.key);
  }
  dagre.layout(g);
  const placed: PlacedNode[] = nodes.map((n) => {
    const p = g.node(n.key);
    return { ...n, x: p.x ?? 0, y: p.y ?? 0 };
  });
  const placedEdges: PlacedEdge[] = edges.map((e) => {
    const p = g.edge({ v: e.from, w: e.to, name: e.key });
    const points = p?.points ?? [];
    const mid = points[Math.floor(points.length / 2)] ?? { x: 0, y: 0 };
    return { ...e, points, labelX: big ? mid.x : (p?.x ?? mid.x), labelY: big ? mid.y : (p?.y ?? mid.y), label: edgeLabel(e) };
  });
  const graph = g.graph();
  return { nodes: placed, edges: placedEdges, width: graph.width ?? 0, height: graph.height ?? 0 };
}

/** A smooth path through dagre's bend points (quadratic curves through the midpoints). */
export function edgePath(points: { x: number; y: number }[]): string {
  if (points.length === 0) return "";
  const [first, ...rest] = points;
  if (!first) return "";
  if (rest.length === 0) return `M${first.x},${first.y}`;
  let d = `M${first.x},${first.y}`;
  for (let i = 0; i < rest.length - 1; i++) {
    const c = rest[i]!;
    const next = rest[i + 1]!;
    d += ` Q${c.x},${c.y} ${(c.x + next.x) / 2},${(c.y + next.y) / 2}`;
  }
  const last = rest[rest.length - 1]!;
  d += ` L${last.x},${last.y}`;
  return d;
}
