import type { GateEvaluation, PolicyRule, RuleOutcome } from "@cairn/core";

/**
 * What a rule looks at, as a person says it (`accuracy on test`, `bias demographicParityRatio`,
 * `schema`): the gate's `bound` text carries the rest (`≥ 0.9`, `compatible with production v3`,
 * `newer than 7d`), so a rule reads as "<what> <bound>".
 */
export function describeRule(rule: PolicyRule): string {
  const r = rule as Record<string, unknown>;
  if (typeof r.checksNewerThan === "string") return "evidence";
  if (typeof r.metric === "string") return `${r.metric} on ${String(r.dataset)}`;
  const kind = String(r.check);
  // Names are often written `kind:label` already (`bias:sex`).
  const check = typeof r.name === "string" && r.name !== "" ? (r.name.startsWith(`${kind}:`) ? r.name : `${kind}:${r.name}`) : kind;
  return typeof r.field === "string" ? `${check} ${r.field}` : check;
}

/** An observed figure as text (numbers to 4 significant digits, null as "none"). */
export function observedText(v: RuleOutcome["observed"]): string {
  if (v === null) return "none";
  if (typeof v === "number") return Number.isFinite(v) ? String(Number(v.toPrecision(4))) : String(v);
  return String(v);
}

export function evidenceText(o: RuleOutcome): string {
  return o.evidence ? `${o.evidence.kind} ${o.evidence.id}` : "no evidence";
}

/** `rule 1 accuracy on test ≥ 0.9: observed 0.87 (check 0193…)` — rules are numbered from 1, as a reader counts. */
export function ruleLine(o: RuleOutcome): string {
  return `rule ${o.index + 1} ${describeRule(o.rule)} ${o.bound}: observed ${observedText(o.observed)} (${evidenceText(o)})`;
}

/** The evaluation as rows: rule, observed, bound, evidence, pass/fail (the CLI's table, and `--json` consumers' order). */
export function evaluationRows(e: GateEvaluation): string[][] {
  return e.rules.map((o) => [String(o.index + 1), describeRule(o.rule), observedText(o.observed), o.bound, evidenceText(o), o.passed ? "pass" : "FAIL"]);
}

export const EVALUATION_HEADERS = ["RULE", "CHECK", "OBSERVED", "BOUND", "EVIDENCE", "RESULT"];

/** The gate's why for a rule, when it says more than the figures again ("no behaviour check recorded for v4"); "" otherwise. */
export function whyText(o: RuleOutcome): string {
  if (!o.message || o.message.startsWith("observed")) return "";
  return o.message.replace(/^no evidence: /, "").replace(o.evidence ? `check ${o.evidence.id} ` : /^$/, "");
}

/** One line per failed rule under a heading, as GateRefusedError's message. */
export function refusalMessage(e: GateEvaluation): string {
  const failed = e.rules.filter((o) => !o.passed);
  const head = `promotion of ${e.modelName} v${e.version} to ${e.alias} refused: ${failed.length} of ${e.rules.length} rule${e.rules.length === 1 ? "" : "s"} failed${e.policyRevision === null ? "" : ` (policy revision ${e.policyRevision})`}`;
  // The gate's message adds the why when it is more than the figures again ("no evidence: no drift check recorded").
  return [head, ...failed.map((o) => `  ${ruleLine(o)}${whyText(o) ? ` — ${whyText(o)}` : ""}`)].join("\n");
}
