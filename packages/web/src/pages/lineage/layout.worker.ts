import { layoutGraph } from "./layout.js";
import type { DrawnEdge, DrawnNode } from "./model.js";

/** Lays big graphs out off the main thread: dagre takes seconds on hundreds of nodes. */
self.onmessage = (event: MessageEvent<{ id: number; nodes: DrawnNode[]; edges: DrawnEdge[] }>) => {
  const { id, nodes, edges } = event.data;
  self.postMessage({ id, layout: layoutGraph(nodes, edges) });
};
