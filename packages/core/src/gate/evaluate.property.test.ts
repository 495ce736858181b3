import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PolicyRule } from "../schemas/models.js";
import { evaluatePolicy, ruleKind } from "./evaluate.js";
import { bundle, check, NOW, TEST_V2, version } from "./evaluate.testutil.js";
import type { CheckEvidence } from "./evidence.js";

const finite = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });
const metric = fc.constantFrom("accuracy", "f1", "logLoss", "rmse");
const kind = fc.constantFrom("bias", "drift", "behaviour", "performance");

const ruleArb: fc.Arbitrary<PolicyRule> = fc.oneof(
  fc.record({ metric, dataset: fc.constantFrom("test", "validation"), min: finite }),
  fc.record({ metric, dataset: fc.constant("test"), max: finite }),
  fc.record({ metric, dataset: fc.constant("test"), notWorseThan: fc.constant("production"), tolerance: fc.double({ noNaN: true, min: 0, max: 10 }) }),
  fc.record({ check: kind, field: fc.constantFrom("x", "a.b", "list.0"), min: finite }),
  fc.record({ check: kind, allPass: fc.constant(true as const) }),
  fc.record({ check: fc.constant("schema" as const), compatibleWith: fc.constant("production") }),
  fc.record({ checksNewerThan: fc.constantFrom("1h", "1d", "7d") }),
);

const dateArb = fc.integer({ min: Date.parse("2026-11-01T00:00:00Z"), max: Date.parse("2026-11-21T12:00:00Z") }).map((ms) => new Date(ms).toISOString());
const checkArb: fc.Arbitrary<CheckEvidence> = fc
  .record({ kind, status: fc.constantFrom("passed", "failed"), value: finite, createdAt: dateArb })
  .map(({ kind, status, value, createdAt }) => check(kind, { accuracy: value, f1: value, logLoss: value, rmse: value, x: value, a: { b: value }, list: [value] }, { status, createdAt }));

describe("evaluatePolicy properties", () => {
  it("gives one outcome per rule, in order, echoing the rule; every rule validates", () => {
    fc.assert(
      fc.property(fc.array(ruleArb, { maxLength: 12 }), fc.array(checkArb, { maxLength: 8 }), (rules, checks) => {
        for (const r of rules) expect(PolicyRule.safeParse(r).success).toBe(true);
        const outcomes = evaluatePolicy(rules, bundle(version(2, { checks }), { holders: { production: version(1, { checks }) } }), NOW);
        expect(outcomes.map((o) => o.index)).toEqual(rules.map((_, i) => i));
        outcomes.forEach((o, i) => expect(o.rule).toBe(rules[i]));
      }),
    );
  });

  it("holds min and max inclusive, exactly at the edge", () => {
    fc.assert(
      fc.property(finite, fc.boolean(), (bound, useField) => {
        const below = bound - Math.max(Number.EPSILON, Math.abs(bound) * Number.EPSILON);
        const above = bound + Math.max(Number.EPSILON, Math.abs(bound) * Number.EPSILON);
        const judge = (value: number, side: "min" | "max") => {
          const rule: PolicyRule = useField ? { check: "drift", field: "x", [side]: bound } : { metric: "accuracy", dataset: "test", [side]: bound };
          const c = useField ? check("drift", { x: value }) : check("performance", { accuracy: value });
          return evaluatePolicy([rule], bundle(version(1, { checks: [c] })), NOW)[0]!.passed;
        };
        expect(judge(bound, "min")).toBe(true);
        expect(judge(bound, "max")).toBe(true);
        if (below < bound) expect(judge(below, "min")).toBe(false);
        if (above > bound) expect(judge(above, "max")).toBe(false);
      }),
    );
  });

  it("never turns a pass into a failure when the tolerance grows", () => {
    fc.assert(
      fc.property(metric, finite, fc.double({ noNaN: true, min: -20, max: 20 }), fc.double({ noNaN: true, min: 0, max: 20 }), fc.double({ noNaN: true, min: 0, max: 20 }), (m, base, delta, t1, t2) => {
        const [small, large] = t1 <= t2 ? [t1, t2] : [t2, t1];
        const cand = base + delta;
        const holder = version(1, { checks: [check("performance", { [m]: base })] });
        const candidate = version(2, { checks: [check("performance", { [m]: cand })] });
        const judge = (tolerance: number) =>
          evaluatePolicy([{ metric: m, dataset: "test", notWorseThan: "production", tolerance }], bundle(candidate, { holders: { production: holder } }), NOW)[0]!.passed;
        if (judge(small)) expect(judge(large)).toBe(true);
        // Equal to the holder is never worse.
        expect(evaluatePolicy([{ metric: m, dataset: "test", notWorseThan: "production", tolerance: 0 }], bundle(version(2, { checks: [check("performance", { [m]: base })] }), { holders: { production: holder } }), NOW)[0]!.passed).toBe(true);
      }),
    );
  });

  it("fails every evidence rule when the candidate has no evidence", () => {
    fc.assert(
      fc.property(fc.array(ruleArb, { minLength: 1, maxLength: 12 }), (rules) => {
        const holder = version(1, { checks: [check("performance", { accuracy: 1, f1: 1, logLoss: 0, rmse: 0 })] });
        const compatibility = { production: { status: "no_signature" as const, which: "candidate" as const, holderVersion: 1 } };
        const outcomes = evaluatePolicy(rules, bundle(version(2), { holders: { production: holder }, compatibility }), NOW);
        for (const o of outcomes) {
          if (ruleKind(o.rule) === "freshness") expect(o.passed).toBe(true); // nothing to age
          else expect(o).toMatchObject({ passed: false, evidence: null });
        }
      }),
    );
  });

  it("does not depend on the order the checks were gathered in", () => {
    fc.assert(
      fc.property(fc.array(ruleArb, { maxLength: 8 }), fc.array(checkArb, { maxLength: 8 }).chain((cs) => fc.tuple(fc.constant(cs), fc.shuffledSubarray(cs, { minLength: cs.length }))), (rules, [checks, shuffled]) => {
        const a = evaluatePolicy(rules, bundle(version(2, { checks })), NOW);
        const b = evaluatePolicy(rules, bundle(version(2, { checks: shuffled })), NOW);
        expect(b).toEqual(a);
      }),
    );
  });

  it("freshness only gets stricter as time passes", () => {
    fc.assert(
      fc.property(fc.array(checkArb, { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 30 * 86_400_000 }), (checks, later) => {
        const rules: PolicyRule[] = [{ check: "bias", field: "x", min: -1e9 }, { check: "drift", field: "x", min: -1e9 }, { checksNewerThan: "7d" }];
        const v = version(2, { checks: checks.map((c) => ({ ...c, datasets: [{ datasetVersionId: TEST_V2, role: "test" }] })) });
        const at = (ms: number) => evaluatePolicy(rules, bundle(v), new Date(ms))[2]!.passed;
        if (!at(NOW.getTime())) expect(at(NOW.getTime() + later)).toBe(false);
      }),
    );
  });
});
