import {
  type CheckEvidence,
  type CompatibilityEvidence,
  compareSignatures,
  type EvidenceDataset,
  type GateEvidence,
  type ModelSignature,
  type PolicyRule,
  referencedAliases,
  ruleKind,
  uuidv7,
  type VersionEvidence,
} from "@cairn/core";
import { sql } from "drizzle-orm";
import type { Actor } from "../auth/actor.js";
import { rows, type Executor } from "../db/client.js";
import { insertCheck } from "../models/checks.service.js";

/**
 * Gathers what the policy's rules read, inside the promotion's transaction: the candidate's
 * and the alias holders' metrics snapshots, dataset versions and stored checks, and a fresh
 * signature comparison per `compatibleWith` alias (stored as a server check). The judging
 * itself is core's pure `evaluatePolicy`.
 */

const json = <T>(v: unknown): T => (typeof v === "string" ? JSON.parse(v) : v) as T;
const iso = (ms: number | string) => new Date(Number(ms)).toISOString();

/** A model version as the gate needs it. */
export interface GateVersion {
  id: string;
  version: number;
  archived: boolean;
  signature: ModelSignature | null;
  metrics: Record<string, number>;
  createdAt: string;
}

const GATE_VERSION_COLUMNS = sql.raw(`v.id::text as id, v.version, v.archived, v.signature::text as signature, v.metrics::text as metrics,
  (extract(epoch from v.created_at) * 1000)::float8 as created_ms`);

interface GateVersionRow {
  id: string;
  version: number;
  archived: boolean;
  signature: string | null;
  metrics: string;
  created_ms: number | string;
}

const toGateVersion = (r: GateVersionRow): GateVersion => ({
  id: r.id,
  version: Number(r.version),
  archived: r.archived,
  signature: r.signature === null ? null : json<ModelSignature>(r.signature),
  metrics: json<Record<string, number>>(r.metrics),
  createdAt: iso(r.created_ms),
});

/** Version numbers are int4: a larger one names no version (rather than failing the cast). */
const MAX_VERSION = 2_147_483_647;

export async function findVersion(db: Executor, modelId: string, version: number): Promise<GateVersion | undefined> {
  if (version > MAX_VERSION) return undefined;
  const [row] = await rows<GateVersionRow>(db, sql`select ${GATE_VERSION_COLUMNS} from model_versions v where v.model_id = ${modelId}::uuid and v.version = ${version}::int`);
  return row ? toGateVersion(row) : undefined;
}

/** The version holding `alias` now, or undefined. */
export async function findHolder(db: Executor, modelId: string, alias: string): Promise<GateVersion | undefined> {
  const [row] = await rows<GateVersionRow>(
    db,
    sql`select ${GATE_VERSION_COLUMNS} from model_aliases a join model_versions v on v.id = a.model_version_id
        where a.model_id = ${modelId}::uuid and a.alias = ${alias}`,
  );
  return row ? toGateVersion(row) : undefined;
}

/** `iris-test v2` for each dataset version id, so messages name data a person knows. */
async function datasetLabels(db: Executor, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const found = await rows<{ id: string; name: string; version: number }>(
    db,
    sql`select dv.id::text as id, d.name, dv.version from dataset_versions dv join datasets d on d.id = dv.dataset_id where dv.id = any(${sql.param(ids)}::uuid[])`,
  );
  return new Map(found.map((r) => [r.id, `${r.name} v${Number(r.version)}`]));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Metrics snapshot, dataset versions and the stored checks of `kinds`, per version. */
async function versionEvidence(db: Executor, versions: GateVersion[], kinds: string[]): Promise<Map<string, VersionEvidence>> {
  const ids = versions.map((v) => v.id);
  const out = new Map<string, VersionEvidence>(versions.map((v) => [v.id, { id: v.id, version: v.version, createdAt: v.createdAt, metrics: v.metrics, datasets: [], checks: [] }]));
  if (ids.length === 0) return out;
  const links = await rows<{ model_version_id: string; dataset_version_id: string; role: string }>(
    db,
    sql`select model_version_id::text as model_version_id, dataset_version_id::text as dataset_version_id, role
        from model_version_datasets where model_version_id = any(${sql.param(ids)}::uuid[]) order by role collate "C", dataset_version_id`,
  );
  const checks =
    kinds.length === 0
      ? []
      : await rows<{ id: string; model_version_id: string; kind: string; name: string | null; status: string; figures: string; datasets: string; created_ms: number | string }>(
          db,
          sql`select c.id::text as id, c.model_version_id::text as model_version_id, c.kind, c.name, c.status, c.figures::text as figures,
                     c.datasets::text as datasets, (extract(epoch from c.created_at) * 1000)::float8 as created_ms
              from check_results c where c.model_version_id = any(${sql.param(ids)}::uuid[]) and c.kind = any(${sql.param(kinds)}::text[])`,
        );
  const parsedChecks = checks.map((c) => ({ row: c, datasets: json<Array<{ datasetVersionId: string; role: string }>>(c.datasets) }));
  const referenced = new Set(links.map((l) => l.dataset_version_id));
  for (const c of parsedChecks) for (const d of c.datasets) if (UUID.test(d.datasetVersionId)) referenced.add(d.datasetVersionId.toLowerCase());
  const labels = await datasetLabels(db, [...referenced]);
  const dataset = (datasetVersionId: string, role: string): EvidenceDataset => ({ datasetVersionId, role, label: labels.get(datasetVersionId.toLowerCase()) });
  for (const l of links) out.get(l.model_version_id)!.datasets.push(dataset(l.dataset_version_id, l.role));
  for (const { row, datasets } of parsedChecks) {
    const check: CheckEvidence = {
      id: row.id,
      kind: row.kind,
      name: row.name,
      status: row.status,
      figures: json<Record<string, unknown>>(row.figures),
      datasets: datasets.map((d) => dataset(d.datasetVersionId.toLowerCase(), d.role)),
      createdAt: iso(row.created_ms),
    };
    out.get(row.model_version_id)!.checks.push(check);
  }
  return out;
}

/** What breaks the holder's callers, in words. */
export function compatibilityProblems(c: ReturnType<typeof compareSignatures>): string[] {
  return [
    ...c.missingInputs.map((n) => `input ${n} is required but the holder's callers do not send it`),
    ...c.typeChanges.map((t) => `${t.side} ${t.column} changed type from ${t.from} to ${t.to}`),
    ...c.removedOutputs.map((n) => `output ${n} is no longer produced`),
  ];
}

/** Where the gate's own checks are recorded: the candidate's project and model, for the check's audit event. */
export interface GateSubject {
  projectId: string;
  modelName: string;
}

/** Compares signatures with the alias holder and records the result as a server `schema` check of the candidate (audited like any check). */
async function compatibility(db: Executor, actor: Actor, subject: GateSubject, candidate: GateVersion, alias: string, holder: GateVersion | undefined): Promise<CompatibilityEvidence> {
  if (!holder) return { status: "no_holder" };
  if (!candidate.signature) return { status: "no_signature", which: "candidate", holderVersion: holder.version };
  if (!holder.signature) return { status: "no_signature", which: "holder", holderVersion: holder.version };
  const result = compareSignatures(candidate.signature, holder.signature);
  const problems = compatibilityProblems(result);
  const stored = await insertCheck(
    db,
    actor,
    subject.projectId,
    { id: candidate.id, version: candidate.version, modelName: subject.modelName },
    { id: uuidv7(), kind: "schema", name: `compatibleWith:${alias}`, status: result.compatible ? "passed" : "failed", figures: { ...result, compatibleWith: alias, holderVersion: holder.version, problems }, datasets: [], source: "server" },
  );
  return { status: "compared", holderVersion: holder.version, compatible: result.compatible, problems, check: { id: stored.id, createdAt: stored.createdAt } };
}

/** The kinds of stored check the rules read. */
function kindsRead(rules: readonly PolicyRule[]): string[] {
  const kinds = new Set<string>();
  for (const r of rules) {
    const k = ruleKind(r);
    if (k === "metric" || k === "relative") kinds.add("performance");
    else if (k === "field" || k === "pass") kinds.add((r as { check: string }).check);
  }
  return [...kinds];
}

/** Everything `evaluatePolicy` needs for `rules` against `candidate`, plus the ids of the server checks stored on the way. */
export async function gatherEvidence(db: Executor, { actor, subject, modelId, candidate, rules }: { actor: Actor; subject: GateSubject; modelId: string; candidate: GateVersion; rules: readonly PolicyRule[] }): Promise<{ evidence: GateEvidence; serverChecks: string[] }> {
  const { holders: holderAliases, compatibility: compatAliases } = referencedAliases(rules);
  const holders = new Map<string, GateVersion | undefined>();
  for (const alias of new Set([...holderAliases, ...compatAliases])) holders.set(alias, await findHolder(db, modelId, alias));
  // Compared (and stored) first, so a `{check: "schema", allPass: true}` rule reads today's comparison.
  const serverChecks: string[] = [];
  const compat: GateEvidence["compatibility"] = {};
  for (const alias of compatAliases) {
    const c = await compatibility(db, actor, subject, candidate, alias, holders.get(alias));
    if (c.status === "compared") serverChecks.push(c.check.id);
    compat[alias] = c;
  }
  const distinct = new Map<string, GateVersion>([[candidate.id, candidate]]);
  for (const h of holders.values()) if (h) distinct.set(h.id, h);
  const byId = await versionEvidence(db, [...distinct.values()], kindsRead(rules));
  const evidence: GateEvidence = { candidate: byId.get(candidate.id)!, holders: {}, compatibility: compat };
  for (const alias of holderAliases) {
    const h = holders.get(alias);
    evidence.holders[alias] = h ? byId.get(h.id)! : null;
  }
  return { evidence, serverChecks };
}
