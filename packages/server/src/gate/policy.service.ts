import { Policy, type PolicyRule, policyFieldErrors, type StoredPolicy } from "@cairn/core";
import { sql } from "drizzle-orm";
import type { z } from "zod";
import { auditQueryFromOrm, recordAudit } from "../audit/audit.service.js";
import { canonicalJson } from "../audit/canonical-json.js";
import type { Actor } from "../auth/actor.js";
import { liveProject } from "../datasets/dataset-rows.js";
import { rows, type Executor } from "../db/client.js";
import { ValidationError } from "../http/errors.js";
import { requireModel } from "../models/model-rows.js";
import type { ServerContext } from "../server-context.js";
import { POLICY_COLUMNS, type PolicyRow, toStoredPolicy } from "./gate-rows.js";

/** The revision in force for (model, alias), if any. */
export async function currentPolicy(db: Executor, modelId: string, alias: string): Promise<StoredPolicy | undefined> {
  const [row] = await rows<PolicyRow>(
    db,
    sql`select ${POLICY_COLUMNS} from model_policies p where p.model_id = ${modelId}::uuid and p.alias = ${alias} order by p.revision desc limit 1`,
  );
  return row ? toStoredPolicy(row) : undefined;
}

/** A 400 naming the rule's field (`rules[2].min`) for a policy the schema or min ≤ max rejects. */
export function checkPolicy(input: unknown): void {
  const errors = policyFieldErrors(input);
  if (errors.length > 0) throw new ValidationError(`invalid policy: ${errors.slice(0, 3).map((e) => `${e.path}: ${e.message}`).join("; ")}${errors.length > 3 ? "; …" : ""}`, errors);
}

/**
 * Stores the policy as a new revision (1, 2, 3… per model and alias, numbered under the
 * model's row lock). The same rules as the revision in force store nothing (`created: false`).
 */
export async function setPolicy({ ctx, actor, projectRef, name, input }: { ctx: ServerContext; actor: Actor; projectRef: string; name: string; input: z.input<typeof Policy> }): Promise<{ policy: StoredPolicy; created: boolean }> {
  checkPolicy(input);
  const policy = Policy.parse(input);
  const rules = policy.rules as PolicyRule[];
  return ctx.db.orm.transaction(async (tx) => {
    const project = await liveProject(tx, actor, projectRef, "writer");
    const model = await requireModel(tx, project.id, name, true);
    const before = await currentPolicy(tx, model.id, policy.alias);
    // jsonb does not keep key order: compare canonically.
    if (before && canonicalJson(before.rules) === canonicalJson(rules)) return { policy: before, created: false };
    const revision = (before?.revision ?? 0) + 1;
    await tx.execute(
      sql`insert into model_policies (model_id, alias, revision, rules, created_by)
          values (${model.id}::uuid, ${policy.alias}, ${revision}, ${JSON.stringify(rules)}::text::jsonb, ${actor.name})`,
    );
    const stored = (await currentPolicy(tx, model.id, policy.alias))!;
    await recordAudit(auditQueryFromOrm(tx), actor, {
      action: "policy.set",
      subject: { kind: "model", id: model.id },
      projectId: project.id,
      before: before ? { alias: before.alias, revision: before.revision, rules: before.rules } : null,
      after: { alias: stored.alias, revision: stored.revision, rules: stored.rules },
    });
    return { policy: stored, created: true };
  });
}

/** The revision in force per alias, or with `history` every revision newest first; `alias` narrows to one. */
export async function listPolicies({ ctx, actor, projectRef, name, alias, history }: { ctx: ServerContext; actor: Actor; projectRef: string; name: string; alias?: string | undefined; history?: boolean }): Promise<{ policies: StoredPolicy[] }> {
  const project = await liveProject(ctx.db.orm, actor, projectRef, "reader");
  const model = await requireModel(ctx.db.orm, project.id, name);
  const onAlias = alias === undefined ? sql`` : sql`and p.alias = ${alias}`;
  const found = await rows<PolicyRow>(
    ctx.db.orm,
    history
      ? sql`select ${POLICY_COLUMNS} from model_policies p where p.model_id = ${model.id}::uuid ${onAlias} order by p.created_at desc, p.alias collate "C", p.revision desc`
      : sql`select ${POLICY_COLUMNS} from model_policies p where p.model_id = ${model.id}::uuid ${onAlias}
              and p.revision = (select max(q.revision) from model_policies q where q.model_id = p.model_id and q.alias = p.alias)
            order by p.alias collate "C"`,
  );
  return { policies: found.map(toStoredPolicy) };
}
