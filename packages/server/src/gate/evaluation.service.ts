import { evaluatePolicy, type GateEvaluation, type PolicyRule, uuidv7 } from "@cairn/core";
import { sql } from "drizzle-orm";
import type { Actor } from "../auth/actor.js";
import type { Executor } from "../db/client.js";
import { type GateVersion, findHolder, gatherEvidence } from "./evidence.service.js";
import { currentPolicy } from "./policy.service.js";

/**
 * One evaluation of the alias's policy for `candidate`, stored whatever the result: the
 * revision in force (none → no rules → passes), the holder at this moment, the evidence,
 * every rule's outcome. Runs inside the caller's transaction (a promotion holds the model's
 * row lock, so the holder cannot change underneath).
 */
export async function evaluateAndStore(
  tx: Executor,
  { actor, model, alias, candidate, mode, reason, force }: { actor: Actor; model: { id: string; name: string; project_id: string }; alias: string; candidate: GateVersion; mode: GateEvaluation["mode"]; reason: string | null; force: boolean },
): Promise<{ evaluation: GateEvaluation; holder: GateVersion | undefined; serverChecks: string[] }> {
  const policy = await currentPolicy(tx, model.id, alias);
  const rules: PolicyRule[] = policy?.rules ?? [];
  const holder = await findHolder(tx, model.id, alias);
  const now = new Date();
  const { evidence, serverChecks } = await gatherEvidence(tx, { actor, subject: { projectId: model.project_id, modelName: model.name }, modelId: model.id, candidate, rules });
  const outcomes = evaluatePolicy(rules, evidence, now);
  const passed = outcomes.every((o) => o.passed);
  const evaluation: GateEvaluation = {
    id: uuidv7(),
    modelId: model.id,
    modelName: model.name,
    alias,
    version: candidate.version,
    currentVersion: holder?.version ?? null,
    policyRevision: policy?.revision ?? null,
    passed,
    // An override is a move the rules refused; force on a passing evaluation changes nothing.
    forced: mode === "promote" && force && !passed,
    mode,
    rules: outcomes,
    reason,
    actor: actor.name,
    evaluatedAt: now.toISOString(),
  };
  await tx.execute(
    sql`insert into gate_evaluations (id, model_id, alias, version, current_version, policy_revision, passed, forced, mode, rules, reason, actor, evaluated_at)
        values (${evaluation.id}::uuid, ${model.id}::uuid, ${alias}, ${evaluation.version}, ${evaluation.currentVersion}::int, ${evaluation.policyRevision}::int,
                ${passed}, ${evaluation.forced}, ${mode}, ${JSON.stringify(outcomes)}::text::jsonb, ${reason}, ${actor.name}, ${evaluation.evaluatedAt}::timestamptz)`,
  );
  return { evaluation, holder, serverChecks };
}

/** What the audit keeps of an evaluation: enough to answer "with which evidence?" without the whole report. */
export function auditSummary(e: GateEvaluation, serverChecks: string[]) {
  return {
    evaluationId: e.id,
    alias: e.alias,
    version: e.version,
    currentVersion: e.currentVersion,
    policyRevision: e.policyRevision,
    passed: e.passed,
    forced: e.forced,
    mode: e.mode,
    reason: e.reason,
    failedRules: e.rules.filter((o) => !o.passed).map((o) => ({ index: o.index, observed: o.observed, bound: o.bound, evidence: o.evidence?.id ?? null })),
    ...(serverChecks.length > 0 ? { serverChecks } : {}),
  };
}
