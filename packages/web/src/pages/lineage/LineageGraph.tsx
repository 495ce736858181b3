import { memo, type KeyboardEvent, type PointerEvent, useCallback, useEffect, useId, useLayoutEffect, useRef, useState } from "react";
import { edgePath, type Layout, NODE_H, NODE_W, type PlacedNode } from "./layout.js";
import { KIND_ICON, KIND_LABEL } from "./model.js";

interface View {
  k: number;
  x: number;
  y: number;
}

const MIN_ZOOM = 0.08;
const MAX_ZOOM = 2.5;
/** Below this zoom edge labels are unreadable and only clutter: they are hidden. */
const LABEL_ZOOM = 0.4;
/** The smallest zoom at which node names read comfortably: a graph opens no smaller than this. */
const READABLE_ZOOM = 0.7;
/** The canvas is as tall as the graph at a readable zoom, within these bounds (no empty band under a chain). */
const MIN_HEIGHT = 360;
const MAX_HEIGHT = 640;
/** Characters of a node's name that fit its box at the UI font; the full name is in its tooltip. */
const LABEL_CHARS = 24;

const clampZoom = (k: number) => Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, k));
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export interface GraphActions {
  /** Runs, model versions, aliases and monitoring open their page; datasets and artifacts the side panel. */
  open(node: PlacedNode): void;
  /** Re-roots the graph on this node. */
  lineageFrom(node: PlacedNode): void;
  /** What the side panel shows (focus and click). */
  select(node: PlacedNode): void;
  /** The node's page when opening it navigates (drawn as a link); undefined when it opens the side panel. */
  hrefOf(node: PlacedNode): string | undefined;
}

/**
 * The lineage graph as SVG with pan (drag the background, arrow keys) and zoom (wheel, +/−,
 * buttons, fit). The nodes are memoised: panning only changes one transform attribute, so
 * graphs of hundreds of nodes pan smoothly.
 */
export function LineageGraph({ layout, selectedKey, actions }: { layout: Layout; selectedKey: string | undefined; actions: GraphActions }) {
  const box = useRef<HTMLDivElement>(null);
  const [view, setView] = useState<View>({ k: 1, x: 0, y: 0 });
  const viewRef = useRef(view);
  viewRef.current = view;
  const markerId = useId().replace(/:/g, "");

  const fitView = useCallback((): View | undefined => {
    const el = box.current;
    if (!el || layout.width === 0) return undefined;
    const { clientWidth: w, clientHeight: h } = el;
    const k = clampZoom(Math.min((w - 24) / layout.width, (h - 24) / layout.height, 1.2));
    return { k, x: (w - layout.width * k) / 2, y: (h - layout.height * k) / 2 };
  }, [layout]);
  const fit = useCallback(() => {
    const v = fitView();
    if (v) setView(v);
  }, [fitView]);

  // A new graph opens fitted when that keeps names readable; a bigger one opens at a readable
  // zoom centred on its root, and Fit shows all of it. Before paint, so nothing flashes.
  useLayoutEffect(() => {
    const v = fitView();
    const el = box.current;
    const root = layout.nodes.find((n) => n.root);
    if (!v || !el) return;
    if (v.k >= READABLE_ZOOM || !root) setView(v);
    else setView({ k: READABLE_ZOOM, x: el.clientWidth / 2 - root.x * READABLE_ZOOM, y: el.clientHeight / 2 - root.y * READABLE_ZOOM });
  }, [fitView, layout]);

  const zoomAt = useCallback((factor: number, cx?: number, cy?: number) => {
    const el = box.current;
    if (!el) return;
    const px = cx ?? el.clientWidth / 2;
    const py = cy ?? el.clientHeight / 2;
    setView((v) => {
      const k = clampZoom(v.k * factor);
      // Keep the graph point under the cursor where it is.
      return { k, x: px - ((px - v.x) * k) / v.k, y: py - ((py - v.y) * k) / v.k };
    });
  }, []);

  // The wheel listener must not be passive, or the page scrolls instead of the graph zooming.
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const rect = el.getBoundingClientRect();
      zoomAt(Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015)), e.clientX - rect.left, e.clientY - rect.top);
    };
    el.addEventListener("wheel", onWheel, { passive: false });
    return () => el.removeEventListener("wheel", onWheel);
  }, [zoomAt]);

  const drag = useRef<{ id: number; x: number; y: number; vx: number; vy: number } | null>(null);
  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    // Dragging starts on the background only: a press on a node is a click.
    if (e.button !== 0 || (e.target as Element).closest(".lg-node")) return;
    e.currentTarget.setPointerCapture(e.pointerId);
    drag.current = { id: e.pointerId, x: e.clientX, y: e.clientY, vx: viewRef.current.x, vy: viewRef.current.y };
  };
  const onPointerMove = (e: PointerEvent<HTMLDivElement>) => {
    const d = drag.current;
    if (!d || d.id !== e.pointerId) return;
    setView((v) => ({ ...v, x: d.vx + e.clientX - d.x, y: d.vy + e.clientY - d.y }));
  };
  const endDrag = () => {
    drag.current = null;
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    // Keys on a node belong to the node (Enter opens it); these are for the canvas itself.
    if ((e.target as Element).closest(".lg-node")) return;
    const step = 60;
    const pan: Record<string, [number, number]> = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
    const move = pan[e.key];
    if (move) {
      e.preventDefault();
      setView((v) => ({ ...v, x: v.x + move[0], y: v.y + move[1] }));
    } else if (e.key === "+" || e.key === "=") zoomAt(1.25);
    else if (e.key === "-") zoomAt(0.8);
    else if (e.key === "0") fit();
  };

  /** Tabbing to a node outside the view brings it into view. */
  const reveal = useCallback((node: PlacedNode) => {
    const el = box.current;
    if (!el) return;
    const v = viewRef.current;
    const sx = node.x * v.k + v.x;
    const sy = node.y * v.k + v.y;
    const margin = 40;
    if (sx < margin || sy < margin || sx > el.clientWidth - margin || sy > el.clientHeight - margin) {
      setView({ ...v, x: el.clientWidth / 2 - node.x * v.k, y: el.clientHeight / 2 - node.y * v.k });
    }
  }, []);

  return (
    <div className="lg-wrap">
      <div className="lg-toolbar row" role="toolbar" aria-label="Zoom">
        <button type="button" onClick={() => zoomAt(1.25)} aria-label="Zoom in" title="Zoom in (+)">
          +
        </button>
        <button type="button" onClick={() => zoomAt(0.8)} aria-label="Zoom out" title="Zoom out (−)">
          −
        </button>
        <button type="button" onClick={fit} title="Fit the graph to the view (0)">
          Fit
        </button>
        <span className="small muted" aria-live="polite">
          {Math.round(view.k * 100)}%
        </span>
      </div>
      <div
        ref={box}
        className={`lg-canvas${view.k < LABEL_ZOOM ? " lg-zoomed-out" : ""}`}
        style={{ height: Math.round(Math.min(MAX_HEIGHT, Math.max(MIN_HEIGHT, layout.height * READABLE_ZOOM + 90))) }}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: the canvas is a widget: arrow keys pan, + and − zoom
        tabIndex={0}
        role="application"
        aria-label="Lineage graph. Drag or use the arrow keys to pan, the wheel or + and − to zoom, Tab to move between nodes."
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={endDrag}
        onPointerCancel={endDrag}
        onKeyDown={onKeyDown}
      >
        <svg width="100%" height="100%">
          <title>Lineage graph</title>
          <defs>
            <marker id={markerId} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
              <path d="M0,0 L10,5 L0,10 z" className="lg-arrow" />
            </marker>
          </defs>
          <g transform={`translate(${view.x},${view.y}) scale(${view.k})`}>
            <GraphContent layout={layout} selectedKey={selectedKey} actions={actions} markerId={markerId} reveal={reveal} />
          </g>
        </svg>
      </div>
    </div>
  );
}

const GraphContent = memo(function GraphContent({
  layout,
  selectedKey,
  actions,
  markerId,
  reveal,
}: {
  layout: Layout;
  selectedKey: string | undefined;
  actions: GraphActions;
  markerId: string;
  reveal: (n: PlacedNode) => void;
}) {
  return (
    <>
      <g className="lg-edges">
        {layout.edges.map((e) => {
          const near = selectedKey !== undefined && (e.from === selectedKey || e.to === selectedKey);
          return (
            <g key={e.key} className={`lg-edge${near ? " near" : ""}`} data-relation={e.relation} data-from={e.from} data-to={e.to}>
              <path d={edgePath(e.points)} markerEnd={`url(#${markerId})`} />
              <g className="lg-edge-label" transform={`translate(${e.labelX},${e.labelY})`}>
                <rect x={-(e.label.length * 3.3 + 5)} y={-8} width={e.label.length * 6.6 + 10} height={16} rx={4} />
                <text textAnchor="middle" dominantBaseline="central">
                  {e.label}
                </text>
              </g>
            </g>
          );
        })}
      </g>
      <g className="lg-nodes">
        {layout.nodes.map((n) => (
          <GraphNode key={n.key} node={n} selected={n.key === selectedKey} actions={actions} reveal={reveal} />
        ))}
      </g>
    </>
  );
});

function GraphNode({ node, selected, actions, reveal }: { node: PlacedNode; selected: boolean; actions: GraphActions; reveal: (n: PlacedNode) => void }) {
  const kind = KIND_LABEL[node.kind];
  const name = `${kind} ${node.label}`;
  const href = actions.hrefOf(node);
  const canReroot = node.kind !== "monitoring" && !node.root;
  const onButtonKey = (e: KeyboardEvent<SVGGElement>, run: () => void) => {
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      run();
    }
  };
  const onFocus = () => {
    reveal(node);
    actions.select(node);
  };
  const body = (
    <>
      <title>{node.root ? `${name} (the node this graph is drawn from)` : name}</title>
      <rect className="lg-box" width={NODE_W} height={NODE_H} rx={9} />
      <rect className="lg-badge" x={8} y={NODE_H / 2 - 13} width={26} height={26} rx={6} />
      <text className="lg-icon" x={21} y={NODE_H / 2} textAnchor="middle" dominantBaseline="central">
        {KIND_ICON[node.kind]}
      </text>
      <text className="lg-kind" x={42} y={19}>
        {node.root ? `${kind} · root` : kind}
      </text>
      <text className="lg-label" x={42} y={38}>
        {clip(node.label, canReroot ? LABEL_CHARS - 3 : LABEL_CHARS)}
      </text>
    </>
  );
  return (
    <g
      className={`lg-node kind-${node.kind}${node.root ? " root" : ""}${selected ? " selected" : ""}`}
      transform={`translate(${node.x - NODE_W / 2},${node.y - NODE_H / 2})`}
      data-key={node.key}
    >
      {href ? (
        // A real link: Enter follows it, and ctrl/middle click opens a new tab as anywhere else.
        <a
          className="lg-node-main"
          href={href}
          aria-label={name}
          aria-current={node.root ? "true" : undefined}
          onClick={(e) => {
            if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
            e.preventDefault();
            actions.open(node);
          }}
          onFocus={onFocus}
        >
          {body}
        </a>
      ) : (
        // biome-ignore lint/a11y/useSemanticElements: SVG has no <button>; role, tabindex and keys make one
        <g
          className="lg-node-main"
          role="button"
          tabIndex={0}
          aria-label={name}
          aria-current={node.root ? "true" : undefined}
          onClick={() => actions.open(node)}
          onKeyDown={(e) => onButtonKey(e, () => actions.open(node))}
          onFocus={onFocus}
        >
          {body}
        </g>
      )}
      {canReroot && (
        // biome-ignore lint/a11y/useSemanticElements: SVG has no <button>; role, tabindex and keys make one
        <g
          className="lg-reroot"
          role="button"
          tabIndex={0}
          aria-label={`Show lineage from ${node.label}`}
          transform={`translate(${NODE_W - 22},${NODE_H / 2})`}
          onClick={() => actions.lineageFrom(node)}
          onKeyDown={(e) => onButtonKey(e, () => actions.lineageFrom(node))}
        >
          <title>Show lineage from here</title>
          <circle r={11} />
          <text className="lg-reroot-glyph" textAnchor="middle" dominantBaseline="central">
            ⤳
          </text>
        </g>
      )}
    </g>
  );
}
