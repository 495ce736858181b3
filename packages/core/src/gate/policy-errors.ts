import type { z } from "zod";
import { type FieldError, fieldErrors } from "../schemas/errors.js";
import { CheckFieldRule, CheckPassRule, FreshnessRule, MetricRule, Policy, RelativeMetricRule, SchemaCompatibilityRule } from "../schemas/models.js";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The rule shape a written rule was meant to be, from its telling keys, so errors name its fields rather than "no union member matched". */
function intendedShape(rule: Record<string, unknown>): z.ZodType | undefined {
  if ("checksNewerThan" in rule) return FreshnessRule;
  if ("notWorseThan" in rule) return RelativeMetricRule;
  if ("compatibleWith" in rule) return SchemaCompatibilityRule;
  if ("allPass" in rule) return CheckPassRule;
  if ("field" in rule) return CheckFieldRule;
  if ("metric" in rule) return MetricRule;
  return undefined;
}

function ruleErrors(rule: unknown, path: string): FieldError[] {
  if (!isObject(rule)) return [{ path, message: "must be a rule object" }];
  const shape = intendedShape(rule);
  if (!shape) {
    const message =
      "check" in rule
        ? "a check rule needs `field` with `min`/`max`, `allPass: true`, or (schema) `compatibleWith`"
        : "unknown rule: expected `metric` (with `min`/`max` or `notWorseThan`), `check`, or `checksNewerThan`";
    return [{ path, message }];
  }
  const parsed = shape.safeParse(rule);
  if (!parsed.success) return fieldErrors(parsed.error, path);
  const { min, max } = parsed.data as { min?: number; max?: number };
  if (min !== undefined && max !== undefined && min > max) return [{ path: `${path}.max`, message: `must be at least min (${min})` }];
  return [];
}

/**
 * Every error of a written policy, each naming its field (`rules[2].min`), or [] when it
 * is valid. The schema alone reports a bad rule as "no union member matched" at `rules[2]`;
 * this checks the rule against the shape its keys announce, and that min ≤ max.
 */
export function policyFieldErrors(input: unknown): FieldError[] {
  const parsed = Policy.safeParse(input);
  const rules = isObject(input) && Array.isArray(input.rules) ? input.rules : undefined;
  const perRule = rules && rules.length <= 100 ? rules.flatMap((r, i) => ruleErrors(r, `rules[${i}]`)) : [];
  if (parsed.success) return perRule;
  const bad = new Set(perRule.map((e) => /^rules\[\d+\]/.exec(e.path)![0]));
  const others = fieldErrors(parsed.error).filter((e) => !bad.has(/^rules\[\d+\]/.exec(e.path)?.[0] ?? ""));
  return [...others, ...perRule];
}
