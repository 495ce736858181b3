import type { LineageEdge, LineageGraph, LineageKind, LineageNode } from "@cairn/core";
import { isUuid } from "@cairn/core";
import { authorize, type Actor } from "../auth/actor.js";
import { findProject } from "../projects/projects.service.js";
import { NotFoundError } from "../http/errors.js";
import type { ServerContext } from "../server-context.js";
import { type Direction, neighbours, type NodeRef, parseAliasId } from "./lineage-edges.js";
import { loadNodes, nodeKey } from "./lineage-nodes.js";

/** A graph larger than this is cut off (and says so): the UI cannot draw more, and a request must stay bounded. */
export const MAX_NODES = 2000;

/**
 * The lineage of one node: breadth-first, one level at a time, up (where it came from),
 * down (what came of it) or both (the union of the two walks, not the whole connected
 * component: the other inputs of a run that read this dataset are not its lineage).
 */
export async function getLineage({
  ctx,
  actor,
  kind,
  id,
  direction,
  depth,
}: { ctx: ServerContext; actor: Actor; kind: LineageKind; id: string; direction: "up" | "down" | "both"; depth: number }): Promise<LineageGraph> {
  const db = ctx.db.orm;
  const root: NodeRef = { kind, id: id.toLowerCase() };
  if (kind === "alias" ? !parseAliasId(root.id) : !isUuid(root.id)) throw new NotFoundError(kind, id);
  const rootNode = (await loadNodes(db, [root])).get(nodeKey(root));
  if (!rootNode) throw new NotFoundError(kind, id);
  const project = await findProject(db, rootNode.projectId);
  if (!project || project.deletedAt) throw new NotFoundError(kind, id);
  authorize(actor, project, "reader", kind, id);

  const seen = new Map<string, NodeRef>([[nodeKey(root), root]]);
  const edges = new Map<string, LineageEdge>();
  let truncated = false;
  const walks: Direction[] = direction === "both" ? ["up", "down"] : [direction];
  for (const walk of walks) {
    let frontier: NodeRef[] = [root];
    for (let level = 0; level <= depth && frontier.length > 0; level++) {
      const found = await neighbours(db, frontier, walk);
      if (level === depth) {
        // One hop past the limit only tells whether the graph goes on.
        if (found.some((e) => !seen.has(nodeKey(walk === "down" ? e.to : e.from)))) truncated = true;
        break;
      }
      const next: NodeRef[] = [];
      for (const e of found) {
        const other = walk === "down" ? e.to : e.from;
        const k = nodeKey(other);
        if (!seen.has(k)) {
          if (seen.size >= MAX_NODES) {
            truncated = true;
            continue;
          }
          seen.set(k, other);
          next.push(other);
        }
        edges.set(`${nodeKey(e.from)}>${nodeKey(e.to)}:${e.relation}:${e.role ?? ""}`, e);
      }
      frontier = next;
    }
  }

  const loaded = await loadNodes(db, [...seen.values()]);
  // Everything linked lives in the root's project (inputs must be of the run's project); the
  // filter keeps a graph from ever showing another project's objects if that rule changes.
  const nodes = [...loaded.values()].filter((n: LineageNode) => n.projectId === project.id);
  const kept = new Set(nodes.map((n) => nodeKey(n)));
  return {
    root,
    nodes,
    edges: [...edges.values()].filter((e) => kept.has(nodeKey(e.from)) && kept.has(nodeKey(e.to))),
    truncated,
  };
}
