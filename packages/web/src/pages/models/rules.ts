import type { PolicyRule, RuleOutcome } from "@cairn/core";
import { formatNumber } from "../../components/format.js";

/**
 * A policy rule as a person reads it. Mirrors core's `ruleKind` (gate/evaluate.ts), which
 * is not imported as a value: core's index pulls node-only modules into the bundle.
 */
export interface RuleText {
  /** metric, relative metric, check figure, check passes, schema, freshness. */
  kind: string;
  /** What is measured: `accuracy on test`, `bias "sex" → demographicParityRatio`. */
  subject: string;
  /** The bound as written in the policy: `≥ 0.9`, `not worse than production`. */
  bound: string;
  /** Tolerance and direction of a relative rule; empty for the others. */
  tolerance: string;
}

const bounds = (min: number | undefined, max: number | undefined): string => {
  if (min !== undefined && max !== undefined) return `between ${formatNumber(min)} and ${formatNumber(max)}`;
  if (min !== undefined) return `≥ ${formatNumber(min)}`;
  if (max !== undefined) return `≤ ${formatNumber(max)}`;
  return "—";
};

const checkName = (check: string, name: string | undefined) => (name ? `${check} check “${name}”` : `${check} check`);

/** Losses and errors are lower-is-better unless the rule says otherwise (as core's gate decides). */
const lowerIsBetterByName = (metric: string) => /loss|error|mae|mse|rmse|mape/i.test(metric);

export function describeRule(rule: PolicyRule): RuleText {
  if ("checksNewerThan" in rule) return { kind: "freshness", subject: "every piece of evidence", bound: `newer than ${rule.checksNewerThan}`, tolerance: "" };
  if ("notWorseThan" in rule) {
    const higher = rule.higherIsBetter ?? !lowerIsBetterByName(rule.metric);
    return {
      kind: "relative metric",
      subject: `${rule.metric} on ${rule.dataset}`,
      bound: `not worse than ${rule.notWorseThan}`,
      tolerance: `± ${formatNumber(rule.tolerance ?? 0)} (${higher ? "higher" : "lower"} is better)`,
    };
  }
  if ("compatibleWith" in rule) return { kind: "schema", subject: "signature", bound: `compatible with ${rule.compatibleWith}`, tolerance: "" };
  if ("allPass" in rule) return { kind: "check passes", subject: checkName(rule.check, rule.name), bound: "status passed", tolerance: "" };
  if ("field" in rule) return { kind: "check figure", subject: `${checkName(rule.check, rule.name)} → ${rule.field}`, bound: bounds(rule.min, rule.max), tolerance: "" };
  return { kind: "metric", subject: `${rule.metric} on ${rule.dataset}`, bound: bounds(rule.min, rule.max), tolerance: "" };
}

/** The observed value of an outcome: numbers as people read them, `—` for no evidence. */
export function formatObserved(observed: RuleOutcome["observed"]): string {
  if (observed === null) return "—";
  if (typeof observed === "number") return formatNumber(observed);
  return String(observed);
}
