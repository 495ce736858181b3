import type { LineageGraph, Project } from "@cairn/core";
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { api, seg } from "../../api/client.js";
import { formatNumber } from "../../components/format.js";
import { EmptyState, ErrorState, Loading } from "../../components/States.js";
import { type GraphActions, LineageGraph as GraphView } from "./LineageGraph.js";
import type { PlacedNode } from "./layout.js";
import { type DrawnKind, type DrawnNode, KIND_ICON, KIND_LABEL, toDrawn } from "./model.js";
import { NodePanel } from "./NodePanel.js";
import { lineageHref, openHref } from "./targets.js";
import { useLayout } from "./useLayout.js";
import "./lineage.css";

const KINDS = ["run", "dataset_version", "artifact", "model_version", "alias"] as const;
type Direction = "up" | "down" | "both";
const DIRECTIONS: { value: Direction; label: string; hint: string }[] = [
  { value: "up", label: "Upstream", hint: "where it came from" },
  { value: "both", label: "Both", hint: "both walks" },
  { value: "down", label: "Downstream", hint: "what came of it" },
];
const DEFAULT_DEPTH = 5;

function readView(params: URLSearchParams): { direction: Direction; depth: number } {
  const d = params.get("direction");
  const direction: Direction = d === "up" || d === "down" ? d : "both";
  const n = Number(params.get("depth"));
  const depth = Number.isInteger(n) && n >= 1 && n <= 20 ? n : DEFAULT_DEPTH;
  return { direction, depth };
}

/** What to do next when a node has no links yet, by kind. */
const EMPTY_HINT: Record<string, string> = {
  run: 'await run.logDataset({ name: "train", data: rows }); // and run.logArtifact(), run.registerModel()',
  dataset_version: 'await run.logDataset({ name, data }) // in the run that reads it',
  artifact: "the run that produced it was deleted, or the artifact was uploaded without a run",
  model_version: 'await client.models.promote(name, version, "production")',
  alias: "promote a version to this alias with client.models.promote()",
};

export default function LineagePage() {
  const params = useParams();
  const kind = params.kind ?? "";
  const id = params.id ?? "";
  const [search, setSearch] = useSearchParams();
  const { direction, depth } = readView(search);
  const navigate = useNavigate();
  const validKind = (KINDS as readonly string[]).includes(kind);

  const graph = useQuery({
    queryKey: ["lineage", kind, id, direction, depth],
    queryFn: ({ signal }) => api.get<LineageGraph>(`/lineage/${seg(kind)}/${seg(id)}`, { direction, depth }, signal),
    enabled: validKind && id !== "",
    // Changing depth or direction keeps the old graph on screen until the new one is in.
    placeholderData: (prev, prevQuery) => (prevQuery?.queryKey[1] === kind && prevQuery.queryKey[2] === id ? prev : undefined),
  });
  const projectId = graph.data?.nodes[0]?.projectId;
  const project = useQuery({
    queryKey: ["project-by-id", projectId],
    queryFn: () => api.get<Project>(`/projects/${seg(projectId!)}`),
    enabled: projectId !== undefined,
    staleTime: 5 * 60_000,
  });
  const projectName = project.data?.name;

  const setView = (next: Partial<{ direction: Direction; depth: number }>) => {
    const merged = { direction, depth, ...next };
    const p = new URLSearchParams(search);
    if (merged.direction === "both") p.delete("direction");
    else p.set("direction", merged.direction);
    if (merged.depth === DEFAULT_DEPTH) p.delete("depth");
    else p.set("depth", String(merged.depth));
    setSearch(p);
  };

  const drawn = useMemo(() => (graph.data ? toDrawn(graph.data, direction) : { nodes: [], edges: [] }), [graph.data, direction]);
  const { layout, error: layoutError } = useLayout(drawn.nodes, drawn.edges);
  const root = drawn.nodes.find((n) => n.root);
  const [selectedKey, setSelectedKey] = useState<string>();
  const selected: DrawnNode | undefined = drawn.nodes.find((n) => n.key === selectedKey) ?? root;

  const actions: GraphActions = useMemo(
    () => ({
      hrefOf: (n: PlacedNode) => (n.kind === "dataset_version" ? undefined : openHref(n, projectName)),
      open: (n: PlacedNode) => {
        const href = n.kind === "dataset_version" ? undefined : openHref(n, projectName);
        if (href) navigate(href);
        else setSelectedKey(n.key);
      },
      lineageFrom: (n: PlacedNode) => navigate(lineageHref(n)),
      select: (n: PlacedNode) => setSelectedKey(n.key),
    }),
    [navigate, projectName],
  );

  if (!validKind) {
    return <ErrorState error={new Error(`"${kind}" is not a kind of lineage node: use one of ${KINDS.join(", ")}.`)} />;
  }

  const rootLabel = root?.label ?? id;
  const kindsShown = [...new Set(drawn.nodes.map((n) => n.kind))] as DrawnKind[];
  return (
    <div className="lineage-page">
      <header className="page-header">
        <div>
          <nav className="breadcrumbs" aria-label="Breadcrumbs">
            <Link to="/">Projects</Link>
            {projectName && (
              <>
                {" / "}
                <Link to={`/projects/${seg(projectName)}/runs`}>{projectName}</Link>
              </>
            )}
            {" / "}Lineage
          </nav>
          <h1>
            Lineage of {KIND_LABEL[kind as DrawnKind].toLowerCase()} {rootLabel}
          </h1>
          <div className="subtitle">
            {graph.data ? (
              <>
                {formatNumber(graph.data.nodes.length)} nodes · {formatNumber(graph.data.edges.length)} links ·{" "}
                {DIRECTIONS.find((d) => d.value === direction)?.hint} · up to {depth} hops
              </>
            ) : (
              "\u00a0"
            )}
          </div>
        </div>
        <div className="row lg-controls">
          <fieldset className="lg-direction">
            <legend className="visually-hidden">Direction</legend>
            {DIRECTIONS.map((d) => (
              <label key={d.value} className={direction === d.value ? "checked" : ""} title={d.hint}>
                <input type="radio" name="lineage-direction" value={d.value} checked={direction === d.value} onChange={() => setView({ direction: d.value })} />
                {d.label}
              </label>
            ))}
          </fieldset>
          <label className="inline">
            Depth
            <select value={depth} onChange={(e) => setView({ depth: Number(e.target.value) })}>
              {Array.from({ length: 20 }, (_, i) => i + 1).map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
        </div>
      </header>

      {graph.error ? (
        <ErrorState error={graph.error} retry={() => void graph.refetch()} />
      ) : layoutError ? (
        <ErrorState error={layoutError} />
      ) : (
        <>
          {graph.data?.truncated && (
            <div className="alert warn lg-alert" role="status">
              The graph goes on beyond {depth} hops{drawn.nodes.length >= 2000 ? " (or beyond 2,000 nodes)" : ""}.{" "}
              {depth < 20 && (
                <button type="button" className="link" onClick={() => setView({ depth: Math.min(20, depth + 5) })}>
                  Show {Math.min(20, depth + 5)} hops
                </button>
              )}
            </div>
          )}
          <div className="lg-layout">
            <section className="card lg-graph-card" aria-label="Graph" aria-busy={!layout || graph.isFetching}>
              {layout && graph.data ? (
                <GraphView layout={layout} selectedKey={selected?.key} actions={actions} />
              ) : (
                <div className="lg-placeholder">
                  <Loading rows={5} label={graph.data ? `Laying out ${formatNumber(drawn.nodes.length)} nodes` : "Loading the lineage"} />
                  {graph.data && <p className="small muted">Laying out {formatNumber(drawn.nodes.length)} nodes…</p>}
                </div>
              )}
              {kindsShown.length > 0 && (
                <ul className="lg-legend small" aria-label="Legend">
                  {kindsShown.map((k) => (
                    <li key={k}>
                      <span className={`lg-chip kind-${k}`} aria-hidden="true">
                        {KIND_ICON[k]}
                      </span>
                      {KIND_LABEL[k]}
                    </li>
                  ))}
                </ul>
              )}
            </section>
            <div className="lg-side">
              {selected ? (
                <NodePanel node={selected} project={projectName} />
              ) : (
                <div className="card">
                  <Loading rows={6} label="Loading the node" />
                </div>
              )}
              {graph.data && graph.data.edges.length === 0 && (
                <div className="card">
                  <EmptyState title="Nothing is linked yet">
                    {direction !== "both" && <p className="small">Try both directions, or link it from your code:</p>}
                    <code className="small lg-hint">{EMPTY_HINT[kind]}</code>
                  </EmptyState>
                </div>
              )}
            </div>
          </div>
        </>
      )}
    </div>
  );
}
