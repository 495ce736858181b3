import type { AliasMove, GateEvaluation, PolicyRule, RuleOutcome, StoredPolicy } from "@cairn/core";
import { sql } from "drizzle-orm";

/**
 * Raw rows of policies, evaluations and alias moves, alike on both drivers: ids as text,
 * timestamps as epoch ms (float8), jsonb as text parsed here.
 */
const json = <T>(v: unknown): T => (typeof v === "string" ? JSON.parse(v) : v) as T;
const iso = (ms: number | string) => new Date(Number(ms)).toISOString();
const int = (v: number | string | null) => (v === null ? null : Number(v));

export const POLICY_COLUMNS = sql.raw(`p.model_id::text as model_id, p.alias, p.revision, p.rules::text as rules, p.created_by,
  (extract(epoch from p.created_at) * 1000)::float8 as created_ms`);

export interface PolicyRow {
  model_id: string;
  alias: string;
  revision: number;
  rules: string;
  created_by: string;
  created_ms: number | string;
}

export function toStoredPolicy(r: PolicyRow): StoredPolicy {
  return { modelId: r.model_id, alias: r.alias, revision: Number(r.revision), rules: json<PolicyRule[]>(r.rules), createdBy: r.created_by, createdAt: iso(r.created_ms) };
}

export const EVALUATION_COLUMNS = sql.raw(`e.id::text as id, e.model_id::text as model_id, m.name as model_name, e.alias, e.version,
  e.current_version, e.policy_revision, e.passed, e.forced, e.mode, e.rules::text as rules, e.reason, e.actor,
  (extract(epoch from e.evaluated_at) * 1000)::float8 as evaluated_ms`);

export interface EvaluationRow {
  id: string;
  model_id: string;
  model_name: string;
  alias: string;
  version: number;
  current_version: number | null;
  policy_revision: number | null;
  passed: boolean;
  forced: boolean;
  mode: GateEvaluation["mode"];
  rules: string;
  reason: string | null;
  actor: string;
  evaluated_ms: number | string;
}

export function toGateEvaluation(r: EvaluationRow): GateEvaluation {
  return {
    id: r.id,
    modelId: r.model_id,
    modelName: r.model_name,
    alias: r.alias,
    version: Number(r.version),
    currentVersion: int(r.current_version),
    policyRevision: int(r.policy_revision),
    passed: r.passed,
    forced: r.forced,
    mode: r.mode,
    rules: json<RuleOutcome[]>(r.rules),
    reason: r.reason,
    actor: r.actor,
    evaluatedAt: iso(r.evaluated_ms),
  };
}

export const MOVE_COLUMNS = sql.raw(`am.id::text as id, am.alias, am.from_version, am.to_version, am.actor, am.reason,
  am.evaluation_id::text as evaluation_id, am.forced, (extract(epoch from am.moved_at) * 1000)::float8 as moved_ms`);

export interface MoveRow {
  id: string;
  alias: string;
  from_version: number | null;
  to_version: number | null;
  actor: string;
  reason: string | null;
  evaluation_id: string | null;
  forced: boolean;
  moved_ms: number | string;
}

export function toAliasMove(r: MoveRow): AliasMove {
  return {
    id: r.id,
    alias: r.alias,
    fromVersion: int(r.from_version),
    toVersion: int(r.to_version),
    actor: r.actor,
    reason: r.reason,
    evaluationId: r.evaluation_id,
    forced: r.forced,
    movedAt: iso(r.moved_ms),
  };
}
