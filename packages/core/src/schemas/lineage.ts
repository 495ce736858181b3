import { z } from "zod";
import { Text } from "./common.js";

/** Kinds of node in the lineage graph (the registry and monitoring add model versions, aliases and prediction streams). */
export const LineageKind = z.enum(["run", "dataset_version", "artifact", "model_version", "alias"]);
export type LineageKind = z.infer<typeof LineageKind>;

export const LineageNode = z
  .object({
    kind: LineageKind,
    id: z.string(),
    /** What a person reads: run name, `dataset v3`, artifact path, `model v2`. */
    label: z.string(),
    projectId: z.string(),
    /** A few facts per kind (status, digest, sha256, row count) for display. */
    attributes: z.record(z.string(), z.unknown()),
  })
  .meta({ id: "LineageNode" });
export type LineageNode = z.infer<typeof LineageNode>;

/** Edges point the way data flows: dataset version → run (input), run → artifact, old run → rerun. */
export const LineageEdge = z
  .object({
    from: z.object({ kind: LineageKind, id: z.string() }),
    to: z.object({ kind: LineageKind, id: z.string() }),
    /** input, output, produced, retrained_from, parent, stored_as, … */
    relation: z.string(),
    /** The role of a dataset for a run (train, test, …). */
    role: z.string().optional(),
  })
  .meta({ id: "LineageEdge" });
export type LineageEdge = z.infer<typeof LineageEdge>;

export const LineageQuery = z.object({
  direction: z.enum(["up", "down", "both"]).default("both"),
  depth: z.coerce.number().int().min(1).max(20).default(5),
});
export type LineageQuery = z.input<typeof LineageQuery>;

export const LineageGraph = z
  .object({
    root: z.object({ kind: LineageKind, id: z.string() }),
    nodes: z.array(LineageNode),
    edges: z.array(LineageEdge),
    /** True when the depth limit cut the graph off. */
    truncated: z.boolean(),
  })
  .meta({ id: "LineageGraph" });
export type LineageGraph = z.infer<typeof LineageGraph>;

export const LineageParams = z.object({ kind: LineageKind, id: Text(2000, 1) });
