import { describeFailures, failedRuleErrors, type GateEvaluation, type PromoteRequest, type PromoteResult } from "@cairn/core";
import { sql } from "drizzle-orm";
import { auditQueryFromOrm, recordAudit } from "../audit/audit.service.js";
import type { Actor } from "../auth/actor.js";
import { liveProject } from "../datasets/dataset-rows.js";
import type { Executor } from "../db/client.js";
import { ConflictError, ForbiddenError, GateFailedError, NotFoundError, ValidationError } from "../http/errors.js";
import { requireModel } from "../models/model-rows.js";
import type { ServerContext } from "../server-context.js";
import { aliasView, insertMove } from "./aliases.service.js";
import { auditSummary, evaluateAndStore } from "./evaluation.service.js";
import { findVersion, type GateVersion } from "./evidence.service.js";

/** The version to evaluate: 404 when it does not exist, 409 when archived (archived versions are never promoted). */
async function candidateVersion(tx: Executor, model: { id: string; name: string }, version: number): Promise<GateVersion> {
  const found = await findVersion(tx, model.id, version);
  if (!found) throw new NotFoundError(`version of model ${JSON.stringify(model.name)}`, String(version));
  if (found.archived) throw new ConflictError(`version ${version} of model ${JSON.stringify(model.name)} is archived; unarchive it to promote it`, [{ path: "version", message: "is archived" }]);
  return found;
}

/** Force is an admin's override and must say why; checked before anything is evaluated or stored. */
function checkForce(actor: Actor, input: PromoteRequest): void {
  if (!input.force) return;
  if (actor.role !== "admin") throw new ForbiddenError(`force needs an admin key; the key has ${actor.role}`);
  if (!input.reason?.trim()) throw new ValidationError("force needs a reason", [{ path: "reason", message: "must say why the policy is overridden (required with force)" }]);
}

/**
 * The gate. In one transaction, under the model's row lock (so promotions of one model
 * serialise and "the holder" cannot change mid-way): evaluate the alias's policy for the
 * version, store the evaluation, and move the alias if every rule passed (or an admin
 * forced it). A refusal is committed too — the evaluation and a `gate.refused` audit event —
 * and then answered with 409 `gate_failed` carrying the evaluation.
 */
export async function promote({ ctx, actor, projectRef, name, alias, input }: { ctx: ServerContext; actor: Actor; projectRef: string; name: string; alias: string; input: PromoteRequest }): Promise<PromoteResult> {
  const reason = input.reason?.trim() ? input.reason : null;
  const outcome = await ctx.db.orm.transaction(async (tx): Promise<{ refused: GateEvaluation } | { result: PromoteResult }> => {
    const project = await liveProject(tx, actor, projectRef, "writer");
    checkForce(actor, input);
    const model = await requireModel(tx, project.id, name, true);
    const candidate = await candidateVersion(tx, model, input.version);
    const { evaluation, holder, serverChecks } = await evaluateAndStore(tx, { actor, model, alias, candidate, mode: "promote", reason, force: input.force === true });
    const audit = (action: string, after: Record<string, unknown>) =>
      recordAudit(auditQueryFromOrm(tx), actor, { action, subject: { kind: "model", id: model.id }, projectId: project.id, before: { alias, version: holder?.version ?? null }, after });
    if (!evaluation.passed && !evaluation.forced) {
      await audit("gate.refused", auditSummary(evaluation, serverChecks));
      return { refused: evaluation };
    }
    if (holder?.id === candidate.id) {
      // Already there: the evaluation is kept and audited, the history gains no empty move.
      await audit("gate.evaluate", { ...auditSummary(evaluation, serverChecks), moved: false });
    } else {
      await tx.execute(
        sql`insert into model_aliases (model_id, alias, model_version_id, updated_at) values (${model.id}::uuid, ${alias}, ${candidate.id}::uuid, now())
            on conflict (model_id, alias) do update set model_version_id = excluded.model_version_id, updated_at = excluded.updated_at`,
      );
      await insertMove(tx, { modelId: model.id, alias, from: holder?.version ?? null, to: candidate.version, actor, reason, evaluationId: evaluation.id, forced: evaluation.forced });
      await tx.execute(sql`update registered_models set updated_at = now() where id = ${model.id}::uuid`);
      await audit(evaluation.forced ? "alias.override" : "alias.move", { ...auditSummary(evaluation, serverChecks), moved: true });
    }
    return { result: { alias: await aliasView(tx, model, alias), evaluation } };
  });
  if ("refused" in outcome) throw refusal(outcome.refused);
  return outcome.result;
}

function refusal(e: GateEvaluation): GateFailedError {
  return new GateFailedError(`promotion of ${e.modelName} v${e.version} to ${e.alias} refused: ${describeFailures(e.rules)}`, failedRuleErrors(e.rules), e as unknown as Record<string, unknown>);
}

/** What a promotion would decide now, stored (mode `dry_run`) and audited, moving nothing. */
export async function dryRun({ ctx, actor, projectRef, name, alias, version }: { ctx: ServerContext; actor: Actor; projectRef: string; name: string; alias: string; version: number }): Promise<GateEvaluation> {
  return ctx.db.orm.transaction(async (tx) => {
    const project = await liveProject(tx, actor, projectRef, "writer");
    const model = await requireModel(tx, project.id, name);
    const candidate = await candidateVersion(tx, model, version);
    const { evaluation, holder, serverChecks } = await evaluateAndStore(tx, { actor, model, alias, candidate, mode: "dry_run", reason: null, force: false });
    await recordAudit(auditQueryFromOrm(tx), actor, {
      action: "gate.evaluate",
      subject: { kind: "model", id: model.id },
      projectId: project.id,
      before: { alias, version: holder?.version ?? null },
      after: auditSummary(evaluation, serverChecks),
    });
    return evaluation;
  });
}
