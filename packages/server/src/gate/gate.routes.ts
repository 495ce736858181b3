import { createRoute } from "@hono/zod-openapi";
import {
  AliasName,
  EvaluateRequest,
  GateEvaluation,
  GateEvaluationList,
  GateEvaluationQuery,
  ModelAlias,
  ModelAliasList,
  Policy,
  PolicyList,
  PolicyQuery,
  PromoteRequest,
  PromoteResult,
  RemoveAliasQuery,
  StoredPolicy,
} from "@cairn/core";
import { z } from "zod";
import { conflict, createRouter, jsonBody, jsonResponse, problems } from "../http/openapi.js";
import { validationHook } from "../http/validation.js";
import { ProjectParam } from "../projects/projects.routes.js";
import { getAlias, listAliases, removeAlias } from "./aliases.service.js";
import { getEvaluation, listEvaluations } from "./evaluations.service.js";
import { checkPolicy, listPolicies, setPolicy } from "./policy.service.js";
import { dryRun, promote } from "./promote.service.js";

// The name is checked in the service (a 400 naming `path.name`), as on the registry's routes.
const ModelParam = ProjectParam.extend({ name: z.string().min(1).max(1000).describe("Model name") });
const AliasParam = ModelParam.extend({ alias: AliasName.describe("Alias: `production`, `staging`, any lowercase word") });
const EvaluationParam = ModelParam.extend({ evaluationId: z.string().min(1).max(100).describe("Evaluation id (UUID)") });
const forbidden = { 403: { description: "The key's role is too low (force needs admin)", content: { "application/problem+json": { schema: z.looseObject({}) } } } } as const;

/**
 * A bad rule fails the schema's union as a whole ("no member matched" at `rules[2]`): for the
 * policy body, name the field of the rule instead (`rules[2].min`).
 */
function policyHook(result: { success: boolean; data?: unknown; error?: z.ZodError; target?: string }): void {
  if (!result.success && result.target === "json") checkPolicy(result.data);
  validationHook(result as Parameters<typeof validationHook>[0]);
}

const base = "/projects/{project}/models/{name}";

/** Promotion policies, aliases and the gate (issue 5). */
export const gateRoutes = createRouter()
  .openapi(
    createRoute({
      method: "put",
      path: `${base}/policy`,
      tags: ["gate"],
      summary: "Set the promotion policy of an alias (a new revision; the same rules again store nothing)",
      description: "Writer role. A rule that does not validate is a 400 naming its field (`rules[2].min`). Audited as `policy.set` with the rules before and after.",
      request: { params: ModelParam, body: jsonBody(Policy) },
      responses: { 201: jsonResponse(StoredPolicy, "The new revision"), 200: jsonResponse(StoredPolicy, "The revision in force already had these rules"), ...problems },
    }),
    async (c) => {
      const { project, name } = c.req.valid("param");
      const { policy, created } = await setPolicy({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: project, name, input: c.req.valid("json") });
      return created ? c.json(policy, 201) : c.json(policy, 200);
    },
    policyHook as never,
  )
  .openapi(
    createRoute({
      method: "get",
      path: `${base}/policy`,
      tags: ["gate"],
      summary: "The policy in force per alias (`history=true`: every revision, newest first)",
      request: { params: ModelParam, query: PolicyQuery },
      responses: { 200: jsonResponse(PolicyList, "Policies"), ...problems },
    }),
    async (c) => {
      const { project, name } = c.req.valid("param");
      const { alias, history } = c.req.valid("query");
      return c.json(await listPolicies({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: project, name, alias, history: history === "true" }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "put",
      path: `${base}/aliases/{alias}`,
      tags: ["gate"],
      summary: "Promote a version to the alias through the gate",
      description:
        "Evaluates the alias's policy on stored evidence and moves the alias only when every rule passes: 200 with the alias and the evaluation. " +
        "Otherwise 409 `gate_failed`: `errors` has one entry per failed rule (`rules[i]`), `evaluation` the stored evaluation; the alias does not move. " +
        "`force: true` with a `reason` is accepted from an admin key only and recorded as an override. Promotions of one model serialise.",
      request: { params: AliasParam, body: jsonBody(PromoteRequest) },
      responses: { 200: jsonResponse(PromoteResult, "Promoted (or already there); the evaluation is stored"), ...problems, ...forbidden, ...conflict },
    }),
    async (c) => {
      const { project, name, alias } = c.req.valid("param");
      return c.json(await promote({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: project, name, alias, input: c.req.valid("json") }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: `${base}/aliases/{alias}/evaluate`,
      tags: ["gate"],
      summary: "Dry run: what the gate would decide for this version now (stored as a `dry_run` evaluation; nothing moves)",
      request: { params: AliasParam, body: jsonBody(EvaluateRequest) },
      responses: { 200: jsonResponse(GateEvaluation, "The evaluation"), ...problems, ...conflict },
    }),
    async (c) => {
      const { project, name, alias } = c.req.valid("param");
      return c.json(await dryRun({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: project, name, alias, version: c.req.valid("json").version }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: `${base}/aliases`,
      tags: ["gate"],
      summary: "Every alias of the model (pointing now, moved before, or with a policy) with its history",
      request: { params: ModelParam },
      responses: { 200: jsonResponse(ModelAliasList, "Aliases by name"), ...problems },
    }),
    async (c) => {
      const { project, name } = c.req.valid("param");
      return c.json(await listAliases({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: project, name }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: `${base}/aliases/{alias}`,
      tags: ["gate"],
      summary: "Where the alias points, with the version and every move newest first",
      request: { params: AliasParam },
      responses: { 200: jsonResponse(ModelAlias, "The alias"), ...problems },
    }),
    async (c) => {
      const { project, name, alias } = c.req.valid("param");
      return c.json(await getAlias({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: project, name, alias }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: `${base}/aliases/{alias}`,
      tags: ["gate"],
      summary: "Point the alias nowhere (history keeps a move to null; `reason` says why)",
      request: { params: AliasParam, query: RemoveAliasQuery },
      responses: { 200: jsonResponse(ModelAlias, "The alias, now pointing nowhere"), ...problems },
    }),
    async (c) => {
      const { project, name, alias } = c.req.valid("param");
      return c.json(await removeAlias({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: project, name, alias, reason: c.req.valid("query").reason }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: `${base}/evaluations`,
      tags: ["gate"],
      summary: "Gate evaluations (promotions, refusals, overrides, dry runs), newest first",
      request: { params: ModelParam, query: GateEvaluationQuery },
      responses: { 200: jsonResponse(GateEvaluationList, "A page of evaluations"), ...problems },
    }),
    async (c) => {
      const { project, name } = c.req.valid("param");
      return c.json(await listEvaluations({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: project, name, ...c.req.valid("query") }), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: `${base}/evaluations/{evaluationId}`,
      tags: ["gate"],
      summary: "One gate evaluation",
      request: { params: EvaluationParam },
      responses: { 200: jsonResponse(GateEvaluation, "The evaluation"), ...problems },
    }),
    async (c) => {
      const { project, name, evaluationId } = c.req.valid("param");
      return c.json(await getEvaluation({ ctx: c.get("ctx"), actor: c.get("actor"), projectRef: project, name, id: evaluationId }), 200);
    },
  );

