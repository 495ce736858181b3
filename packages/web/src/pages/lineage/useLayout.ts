import { useEffect, useMemo, useState } from "react";
import { type Layout, layoutGraph } from "./layout.js";
import type { DrawnEdge, DrawnNode } from "./model.js";

/** Below this many nodes dagre takes a few milliseconds: lay out in place, no worker start-up. */
const SYNC_LIMIT = 60;

let nextRequest = 0;

/**
 * The graph's layout: computed right away for small graphs, in a Web Worker for big ones so
 * the page keeps scrolling and typing while dagre works. `undefined` while it is running.
 */
export function useLayout(nodes: DrawnNode[], edges: DrawnEdge[]): { layout: Layout | undefined; error: Error | undefined } {
  const small = nodes.length <= SYNC_LIMIT;
  const syncLayout = useMemo(() => (small ? layoutGraph(nodes, edges) : undefined), [small, nodes, edges]);
  const [asyncState, setAsyncState] = useState<{ nodes: DrawnNode[]; layout?: Layout; error?: Error }>();

  useEffect(() => {
    if (small) return;
    const worker = new Worker(new URL("./layout.worker.ts", import.meta.url), { type: "module" });
    const id = ++nextRequest;
    worker.onmessage = (event: MessageEvent<{ id: number; layout: Layout }>) => {
      if (event.data.id === id) setAsyncState({ nodes, layout: event.data.layout });
      worker.terminate();
    };
    worker.onerror = (event) => {
      setAsyncState({ nodes, error: new Error(`laying out the graph failed: ${event.message}`) });
      worker.terminate();
    };
    worker.postMessage({ id, nodes, edges });
    return () => worker.terminate();
  }, [small, nodes, edges]);

  if (small) return { layout: syncLayout, error: undefined };
  // A layout of the previous graph is not shown for the new one.
  if (asyncState?.nodes !== nodes) return { layout: undefined, error: undefined };
  return { layout: asyncState.layout, error: asyncState.error };
}
