import { createRoute } from "@hono/zod-openapi";
import { LineageGraph, LineageParams, LineageQuery } from "@cairn/core";
import { createRouter, jsonResponse, problems } from "../http/openapi.js";
import { getLineage } from "./lineage.service.js";

export const lineageRoutes = createRouter().openapi(
  createRoute({
    method: "get",
    path: "/lineage/{kind}/{id}",
    tags: ["lineage"],
    summary: "The lineage graph of a run, dataset version, artifact, model version or alias",
    description:
      "Nodes and edges reachable from the given node: `up` follows where it came from (datasets a run read, the run that " +
      "produced an artifact or output a dataset, the run it re-executes), `down` what came of it, `both` the union. " +
      "A model version comes from its run (`registered_as`) and its datasets (`trained_on`, with the role) and leads to the aliases " +
      "pointing at it now (`promoted_to`); an alias's id is `<model id>:<alias>`. " +
      "`depth` bounds the hops; `truncated` says whether the graph was cut off.",
    request: { params: LineageParams, query: LineageQuery },
    responses: { 200: jsonResponse(LineageGraph, "The graph"), ...problems },
  }),
  async (c) => {
    const { kind, id } = c.req.valid("param");
    const { direction, depth } = c.req.valid("query");
    return c.json(await getLineage({ ctx: c.get("ctx"), actor: c.get("actor"), kind, id, direction, depth }), 200);
  },
);
