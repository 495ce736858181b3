import type { z } from "zod";
import type { CheckFieldRule, CheckPassRule, FreshnessRule, MetricRule, PolicyRule, RelativeMetricRule, RuleOutcome, SchemaCompatibilityRule } from "../schemas/models.js";
import { durationMs, formatAge } from "./duration.js";
import type { CheckEvidence, EvidenceDataset, GateEvidence, VersionEvidence } from "./evidence.js";

type Evidence = NonNullable<RuleOutcome["evidence"]>;
type Outcome = Omit<RuleOutcome, "index" | "rule">;

/** Which of the six rule shapes a (validated) rule is. */
export type RuleKind = "metric" | "relative" | "field" | "pass" | "schema" | "freshness";

export function ruleKind(rule: PolicyRule): RuleKind {
  if ("checksNewerThan" in rule) return "freshness";
  if ("notWorseThan" in rule) return "relative";
  if ("compatibleWith" in rule) return "schema";
  if ("allPass" in rule) return "pass";
  if ("field" in rule) return "field";
  return "metric";
}

/** The aliases whose holders a policy compares against (the server loads exactly these). */
export function referencedAliases(rules: readonly PolicyRule[]): { holders: string[]; compatibility: string[] } {
  const holders = new Set<string>();
  const compatibility = new Set<string>();
  for (const r of rules) {
    if ("notWorseThan" in r) holders.add(r.notWorseThan);
    if ("compatibleWith" in r) compatibility.add(r.compatibleWith);
  }
  return { holders: [...holders], compatibility: [...compatibility] };
}

/** Losses and errors are lower-is-better unless the rule says otherwise. */
export function higherIsBetter(metric: string, explicit?: boolean): boolean {
  return explicit ?? !/loss|error|mae|mse|rmse|mape/i.test(metric);
}

/**
 * 6 significant digits, for people: 0.922 − 0.01 reads 0.912 (not 0.9120000000000001) and
 * an accuracy of 81/86 reads 0.94186. The comparison itself uses the exact figures.
 */
export function formatNumber(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(6)));
}

/** A failing figure never reads the same as its bound: more digits until the two differ. */
function formatApart(a: number, b: number): [string, string] {
  for (let digits = 6; digits <= 17; digits++) {
    const fa = Number.isInteger(a) ? String(a) : String(Number(a.toPrecision(digits)));
    const fb = Number.isInteger(b) ? String(b) : String(Number(b.toPrecision(digits)));
    if (fa !== fb || a === b) return [fa, fb];
  }
  return [String(a), String(b)];
}

const failText = (value: number, op: "<" | ">", limit: number) => {
  const [v, l] = formatApart(value, limit);
  return `observed ${v} ${op} bound ${l}`;
};

const isFiniteNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const time = (iso: string | null) => (iso === null ? Number.NaN : Date.parse(iso));

/** Newest by time; the id (UUIDv7, time-ordered) breaks ties so the choice never depends on input order. */
function newest<T extends { id: string; createdAt: string }>(items: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const item of items) {
    if (!best) best = item;
    else {
      const d = time(item.createdAt) - time(best.createdAt);
      if (d > 0 || (d === 0 && item.id > best.id)) best = item;
    }
  }
  return best;
}

const checkEvidence = (c: CheckEvidence): Evidence => ({ kind: "check", id: c.id, createdAt: c.createdAt });

function describeEvidence(e: Evidence, version?: number): string {
  if (e.kind === "check") return `evidence check ${e.id}`;
  if (e.kind === "metrics") return `evidence metrics snapshot of v${version ?? "?"}`;
  return `evidence signature ${e.id}`;
}

function datasetLabel(d: EvidenceDataset): string {
  return d.label ?? `${d.role} dataset version ${d.datasetVersionId}`;
}

/** A figure of a version and where it came from. */
interface Figure {
  value: number;
  evidence: Evidence;
  /** The dataset version it was measured on, when known. */
  dataset: EvidenceDataset | undefined;
  source: string;
}

export const snapshotKeys = (dataset: string, metric: string) => [`${dataset}/${metric}`, `${dataset}.${metric}`, `${dataset}_${metric}`];

function snapshotFigure(v: VersionEvidence, metric: string, role: string, datasetVersionId?: string): Figure | undefined {
  const dataset = v.datasets.find((d) => d.role === role && (datasetVersionId === undefined || d.datasetVersionId === datasetVersionId));
  if (datasetVersionId !== undefined && !dataset) return undefined;
  for (const key of snapshotKeys(role, metric)) {
    const value = v.metrics[key];
    if (isFiniteNumber(value)) {
      return { value, evidence: { kind: "metrics", id: v.id, createdAt: v.createdAt }, dataset, source: `metrics snapshot of v${v.version} (${key})` };
    }
  }
  return undefined;
}

/**
 * The version's `metric` on the dataset with role `role`: its newest performance check on
 * that role reporting the metric, else its metrics snapshot. With `datasetVersionId`, only
 * figures measured on that very dataset version count.
 */
export function metricFigure(v: VersionEvidence, metric: string, role: string, datasetVersionId?: string): Figure | undefined {
  const onRole = (c: CheckEvidence) => c.datasets.find((d) => d.role === role && (datasetVersionId === undefined || d.datasetVersionId === datasetVersionId));
  const check = newest(v.checks.filter((c) => c.kind === "performance" && onRole(c) !== undefined && isFiniteNumber(c.figures[metric])));
  if (check) return { value: check.figures[metric] as number, evidence: checkEvidence(check), dataset: onRole(check), source: `check ${check.id}` };
  return snapshotFigure(v, metric, role, datasetVersionId);
}

/** `a.b.0.c` into a check's figures; numeric segments index arrays; own properties only. */
export function figureAt(figures: unknown, field: string): unknown {
  let cur: unknown = figures;
  for (const seg of field.split(".")) {
    if (Array.isArray(cur) && /^(?:0|[1-9][0-9]*)$/.test(seg)) cur = cur[Number(seg)];
    else if (typeof cur === "object" && cur !== null && !Array.isArray(cur) && Object.hasOwn(cur, seg)) cur = (cur as Record<string, unknown>)[seg];
    else return undefined;
  }
  return cur;
}

function boundText(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `≥ ${formatNumber(min)} and ≤ ${formatNumber(max)}`;
  return min !== undefined ? `≥ ${formatNumber(min)}` : `≤ ${formatNumber(max!)}`;
}

/** Min and max are inclusive. */
function judge(value: number, min: number | undefined, max: number | undefined, evidence: Evidence, version: number): Outcome {
  const bound = boundText(min, max);
  const where = describeEvidence(evidence, version);
  if (min !== undefined && value < min) return { passed: false, observed: value, bound, evidence, message: `${failText(value, "<", min)} (${where})` };
  if (max !== undefined && value > max) return { passed: false, observed: value, bound, evidence, message: `${failText(value, ">", max)} (${where})` };
  return { passed: true, observed: value, bound, evidence, message: `observed ${formatNumber(value)}, ${bound} (${where})` };
}

const noEvidence = (bound: string, why: string): Outcome => ({ passed: false, observed: null, bound, evidence: null, message: `no evidence: ${why}` });

function newestCheck(v: VersionEvidence, kind: string, name: string | undefined): CheckEvidence | undefined {
  return newest(v.checks.filter((c) => c.kind === kind && (name === undefined || c.name === name)));
}

const checkLabel = (kind: string, name: string | undefined) => (name === undefined ? `${kind} check` : `${kind} check named ${JSON.stringify(name)}`);

interface RuleShapes {
  metric: z.infer<typeof MetricRule>;
  relative: z.infer<typeof RelativeMetricRule>;
  field: z.infer<typeof CheckFieldRule>;
  pass: z.infer<typeof CheckPassRule>;
  schema: z.infer<typeof SchemaCompatibilityRule>;
  freshness: z.infer<typeof FreshnessRule>;
}
type Rule<K extends RuleKind> = RuleShapes[K];

function evaluateMetric(rule: Rule<"metric">, candidate: VersionEvidence): Outcome {
  const figure = metricFigure(candidate, rule.metric, rule.dataset);
  const bound = boundText(rule.min, rule.max);
  if (!figure) {
    return noEvidence(bound, `no performance check on the ${rule.dataset} dataset reports ${rule.metric}, and the metrics snapshot of v${candidate.version} has no ${snapshotKeys(rule.dataset, rule.metric).join(" / ")}`);
  }
  return judge(figure.value, rule.min, rule.max, figure.evidence, candidate.version);
}

/**
 * Two floats that print the same to 12 digits must not fail each other: 0.922 − 0.01 is
 * 0.9120000000000001, and 0.912 is "not worse" than that. The slack grows with the
 * tolerance, so a larger tolerance never turns a pass into a failure.
 */
const slack = (a: number, b: number) => 1e-12 * Math.max(1, Math.abs(a), Math.abs(b));

function evaluateRelative(rule: Rule<"relative">, evidence: GateEvidence): Outcome {
  const { candidate } = evidence;
  const alias = rule.notWorseThan;
  const tolerance = rule.tolerance ?? 0;
  const higher = higherIsBetter(rule.metric, rule.higherIsBetter);
  const figure = metricFigure(candidate, rule.metric, rule.dataset);
  const vague = `${higher ? "≥" : "≤"} ${alias}'s ${rule.metric} ${higher ? "−" : "+"} ${formatNumber(tolerance)}`;
  if (!figure) return noEvidence(vague, `no performance check on the ${rule.dataset} dataset reports ${rule.metric} for v${candidate.version}`);
  const holder = evidence.holders[alias] ?? null;
  if (!holder) return { passed: true, observed: figure.value, bound: vague, evidence: figure.evidence, message: `no version holds ${alias} yet` };
  if (!figure.dataset) {
    return { passed: false, observed: figure.value, bound: vague, evidence: figure.evidence, message: `cannot compare with ${alias} v${holder.version}: the candidate's ${rule.metric} (${figure.source}) names no ${rule.dataset} dataset version` };
  }
  const base = metricFigure(holder, rule.metric, rule.dataset, figure.dataset.datasetVersionId);
  if (!base) {
    return { passed: false, observed: figure.value, bound: vague, evidence: figure.evidence, message: `no evidence for ${alias} v${holder.version} on dataset ${datasetLabel(figure.dataset)}` };
  }
  const limit = higher ? base.value - tolerance : base.value + tolerance;
  const passed = higher ? figure.value >= limit - slack(base.value, tolerance) : figure.value <= limit + slack(base.value, tolerance);
  const bound = `${higher ? "≥" : "≤"} ${formatNumber(limit)} (${alias} v${holder.version}: ${formatNumber(base.value)} ${higher ? "−" : "+"} ${formatNumber(tolerance)})`;
  const where = `${describeEvidence(figure.evidence, candidate.version)}; ${alias} v${holder.version}: ${base.source}`;
  const message = passed
    ? `observed ${formatNumber(figure.value)}, ${bound} (${where})`
    : `${failText(figure.value, higher ? "<" : ">", limit)} (${alias} v${holder.version}: ${formatNumber(base.value)} ${higher ? "−" : "+"} ${formatNumber(tolerance)}; ${where})`;
  return { passed, observed: figure.value, bound, evidence: figure.evidence, message };
}

function evaluateField(rule: Rule<"field">, candidate: VersionEvidence): Outcome {
  const bound = boundText(rule.min, rule.max);
  const check = newestCheck(candidate, rule.check, rule.name);
  if (!check) return noEvidence(bound, `no ${checkLabel(rule.check, rule.name)} recorded for v${candidate.version}`);
  const value = figureAt(check.figures, rule.field);
  if (!isFiniteNumber(value)) {
    const what = value === undefined ? "has no field" : "has no number at";
    return { passed: false, observed: null, bound, evidence: checkEvidence(check), message: `check ${check.id} ${what} ${rule.field}` };
  }
  return judge(value, rule.min, rule.max, checkEvidence(check), candidate.version);
}

function evaluatePass(rule: Rule<"pass">, candidate: VersionEvidence): Outcome {
  const bound = "status passed";
  const check = newestCheck(candidate, rule.check, rule.name);
  if (!check) return noEvidence(bound, `no ${checkLabel(rule.check, rule.name)} recorded for v${candidate.version}`);
  const failed = isFiniteNumber(check.figures.failedCount) && isFiniteNumber(check.figures.total) ? ` (${check.figures.failedCount} of ${check.figures.total} cases failed)` : "";
  const passed = check.status === "passed";
  return {
    passed,
    observed: check.status,
    bound,
    evidence: checkEvidence(check),
    message: passed ? `check ${check.id} passed` : `check ${check.id} has status ${check.status}${failed}`,
  };
}

function evaluateSchema(rule: Rule<"schema">, evidence: GateEvidence): Outcome {
  const alias = rule.compatibleWith;
  const found = evidence.compatibility[alias];
  if (!found) return noEvidence(`compatible with ${alias}`, `the signatures were not compared with ${alias}`);
  if (found.status === "no_holder") return { passed: true, observed: null, bound: `compatible with ${alias}`, evidence: null, message: `no version holds ${alias} yet` };
  const bound = `compatible with ${alias} v${found.holderVersion}`;
  if (found.status === "no_signature") {
    const who = found.which === "candidate" ? `v${evidence.candidate.version}` : `${alias} v${found.holderVersion}`;
    return { passed: false, observed: null, bound, evidence: null, message: `no signature: ${who} was registered without one` };
  }
  const e: Evidence = { kind: "check", id: found.check.id, createdAt: found.check.createdAt };
  return found.compatible
    ? { passed: true, observed: true, bound, evidence: e, message: `${bound} (${describeEvidence(e)})` }
    : { passed: false, observed: false, bound, evidence: e, message: `incompatible with ${alias} v${found.holderVersion}: ${found.problems.join("; ") || "signatures differ"} (${describeEvidence(e)})` };
}

function evaluateFreshness(rule: Rule<"freshness">, used: readonly Evidence[], now: Date, candidate: VersionEvidence): Outcome {
  const bound = `newer than ${rule.checksNewerThan}`;
  const dated = used.filter((e) => e.createdAt !== null && Number.isFinite(time(e.createdAt)));
  const oldest = dated.reduce<Evidence | undefined>((a, e) => (!a || time(e.createdAt) < time(a.createdAt) ? e : a), undefined);
  if (!oldest) return { passed: true, observed: null, bound, evidence: null, message: "no other rule used dated evidence" };
  const age = now.getTime() - time(oldest.createdAt);
  const passed = age <= durationMs(rule.checksNewerThan);
  const observed = formatAge(age);
  const where = describeEvidence(oldest, candidate.version);
  return {
    passed,
    observed,
    bound,
    evidence: oldest,
    message: passed ? `oldest evidence is ${observed} old, ${bound} (${where})` : `observed age ${observed} > bound ${rule.checksNewerThan} (${where}, from ${oldest.createdAt})`,
  };
}

/**
 * The gate's judgement: one outcome per rule, in order. Pure: the server gathers the
 * evidence (stored checks, metrics snapshots, alias holders, signature comparisons) and
 * stores what this returns. A rule without evidence fails; freshness ages the evidence the
 * other rules used (the candidate's, not the holder's).
 */
export function evaluatePolicy(rules: readonly PolicyRule[], evidence: GateEvidence, now: Date): RuleOutcome[] {
  const outcomes: (Outcome | undefined)[] = rules.map((rule) => {
    switch (ruleKind(rule)) {
      case "metric":
        return evaluateMetric(rule as Rule<"metric">, evidence.candidate);
      case "relative":
        return evaluateRelative(rule as Rule<"relative">, evidence);
      case "field":
        return evaluateField(rule as Rule<"field">, evidence.candidate);
      case "pass":
        return evaluatePass(rule as Rule<"pass">, evidence.candidate);
      case "schema":
        return evaluateSchema(rule as Rule<"schema">, evidence);
      case "freshness":
        return undefined;
    }
  });
  const used = outcomes.flatMap((o) => (o?.evidence ? [o.evidence] : []));
  return rules.map((rule, index) => ({
    index,
    rule,
    ...(outcomes[index] ?? evaluateFreshness(rule as Rule<"freshness">, used, now, evidence.candidate)),
  }));
}

/** One field error per failed rule (`rules[2]`: "observed 0.87 < bound 0.9 (evidence check …)"), for the 409. */
export function failedRuleErrors(outcomes: readonly RuleOutcome[]): { path: string; message: string }[] {
  return outcomes.filter((o) => !o.passed).map((o) => ({ path: `rules[${o.index}]`, message: o.message }));
}

/** The 409's detail: every failed rule in words. */
export function describeFailures(outcomes: readonly RuleOutcome[]): string {
  const failed = outcomes.filter((o) => !o.passed);
  if (failed.length === 0) return "every rule passed";
  return `${failed.length} of ${outcomes.length} rule${outcomes.length === 1 ? "" : "s"} failed: ${failed.map((o) => `rules[${o.index}] ${ruleSummary(o.rule)}: ${o.message}`).join("; ")}`;
}

/** A rule as a short phrase: `accuracy on test`, `bias.demographicParityRatio`, `behaviour all pass`. */
export function ruleSummary(rule: PolicyRule): string {
  switch (ruleKind(rule)) {
    case "metric": {
      const r = rule as Rule<"metric">;
      return `${r.metric} on ${r.dataset}`;
    }
    case "relative": {
      const r = rule as Rule<"relative">;
      return `${r.metric} on ${r.dataset} not worse than ${r.notWorseThan}`;
    }
    case "field": {
      const r = rule as Rule<"field">;
      return `${r.check}${r.name === undefined ? "" : `(${r.name})`}.${r.field}`;
    }
    case "pass": {
      const r = rule as Rule<"pass">;
      return `${r.check}${r.name === undefined ? "" : `(${r.name})`} all pass`;
    }
    case "schema":
      return `schema compatible with ${(rule as Rule<"schema">).compatibleWith}`;
    case "freshness":
      return `evidence newer than ${(rule as Rule<"freshness">).checksNewerThan}`;
  }
}
